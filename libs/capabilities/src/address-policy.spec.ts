import { parseCidr, refusedAddress } from './address-policy.js';

describe('refusedAddress', () => {
  it.each([
    '0.0.0.0',
    '10.1.2.3',
    '100.64.0.1',
    '127.0.0.1',
    '127.255.255.254',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '::ffff:10.0.0.1',
    '::127.0.0.1',
    '64:ff9b::7f00:1',
    '64:ff9b::8.8.8.8',
    '2001:db8::1',
    '2002:7f00:1::1',
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(refusedAddress(address)).toEqual(expect.any(String));
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001::200e',
  ])('admits global unicast %s', (address) => {
    expect(refusedAddress(address)).toBeUndefined();
  });

  it('admits the ranges FETCH_ALLOW_CIDRS names, and only those', () => {
    const allow = [parseCidr('127.0.0.1/32'), parseCidr('fd00::/8')];
    expect(refusedAddress('127.0.0.1', allow)).toBeUndefined();
    expect(refusedAddress('fd00::5', allow)).toBeUndefined();
    expect(refusedAddress('127.0.0.2', allow)).toMatch(/loopback/);
    expect(refusedAddress('10.0.0.1', allow)).toMatch(/private/);
  });

  it('names why', () => {
    expect(refusedAddress('169.254.169.254')).toMatch(/metadata/);
    expect(refusedAddress('::ffff:127.0.0.1')).toMatch(/embeds 127\.0\.0\.1: .*loopback/);
  });

  it('refuses malformed CIDRs', () => {
    for (const bad of ['127.0.0.1', '127.0.0.1/33', 'x/8', '::1/129', '1.2.3.4/8/9']) {
      expect(() => parseCidr(bad)).toThrow(/not a CIDR/);
    }
  });
});
