import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Which resolved addresses ctx.fetch may connect to: global unicast only. Pure (no lookup, no socket), so it is
 * tested on addresses alone. `allow` (FETCH_ALLOW_CIDRS) re-admits ranges, e.g. a test's loopback server.
 */
const REFUSED_V4: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved or broadcast'],
];

const REFUSED_V6: Array<[string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b::', 96, 'NAT64'],
  ['64:ff9b:1::', 48, 'NAT64'],
  ['100::', 64, 'discard'],
  ['2001::', 32, 'Teredo'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4'],
  ['fc00::', 7, 'unique local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** `a.b.c.d/n` or `x::y/n`; throws on anything else (FETCH_ALLOW_CIDRS is checked at start). */
export function parseCidr(text: string): Cidr {
  const [address, bits, extra] = text.trim().split('/');
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  const prefix = Number(bits);
  const max = family === 'ipv4' ? 32 : 128;
  if (!family || extra !== undefined || !/^\d{1,3}$/.test(bits ?? '') || prefix > max) {
    throw new Error(`not a CIDR: ${text}`);
  }
  return { address, prefix, family };
}

function blockList(ranges: ReadonlyArray<[string, number, string]>, family: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  for (const [address, prefix] of ranges) list.addSubnet(address, prefix, family);
  return list;
}

const V4 = blockList(REFUSED_V4, 'ipv4');
const V6 = blockList(REFUSED_V6, 'ipv6');

/** The IPv4 address an IPv4-mapped (::ffff:a.b.c.d, also in hex) or IPv4-compatible IPv6 address carries. */
function embeddedV4(address: string): string | undefined {
  const groups = expandV6(address);
  if (!groups) return undefined;
  const zeros = groups.slice(0, 5).every((g) => g === 0);
  if (!zeros || (groups[5] !== 0xffff && groups[5] !== 0)) return undefined;
  if (groups[5] === 0 && groups[6] === 0) return undefined; // ::, ::1 and the like: not an embedded address
  return [groups[6] >> 8, groups[6] & 255, groups[7] >> 8, groups[7] & 255].join('.');
}

/** The eight 16-bit groups of an IPv6 address (with a dotted IPv4 tail or not). */
function expandV6(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const parts = dotted[1].split('.').map(Number);
    text = `${text.slice(0, -dotted[1].length)}${((parts[0] << 8) | parts[1]).toString(16)}:${((parts[2] << 8) | parts[3]).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  if (text.includes('::') ? missing < 0 : missing !== 0) return undefined;
  const groups = [...left, ...Array<string>(text.includes('::') ? missing : 0).fill('0'), ...right].map((g) =>
    parseInt(g, 16),
  );
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : undefined;
}

/** Why ctx.fetch may not connect to `address`, or undefined when it may. */
export function refusedAddress(address: string, allow: readonly Cidr[] = []): string | undefined {
  const bare = address.replace(/%.*$/, '');
  const family = isIPv4(bare) ? 'ipv4' : isIPv6(bare) ? 'ipv6' : undefined;
  if (!family) return 'not an IP address';
  if (allow.length) {
    const allowed = new BlockList();
    for (const cidr of allow) allowed.addSubnet(cidr.address, cidr.prefix, cidr.family);
    if (allowed.check(bare, family)) return undefined;
  }
  if (family === 'ipv4') {
    if (!V4.check(bare, 'ipv4')) return undefined;
    const hit = REFUSED_V4.find(([a, p]) => subnetHas(a, p, bare));
    return `${bare} is ${hit?.[2] ?? 'not global unicast'}`;
  }
  const v4 = embeddedV4(bare);
  if (v4 !== undefined) {
    const inner = refusedAddress(v4, allow);
    return inner ? `${bare} embeds ${v4}: ${inner}` : `${bare} is an IPv4-mapped address`;
  }
  const groups = expandV6(bare);
  if (!groups || groups[0] >> 13 !== 1) return `${bare} is not global unicast`;
  if (V6.check(bare, 'ipv6')) {
    const hit = REFUSED_V6.find(([a, p]) => subnetHas(a, p, bare, 'ipv6'));
    return `${bare} is ${hit?.[2] ?? 'not global unicast'}`;
  }
  return undefined;
}

function subnetHas(
  address: string,
  prefix: number,
  candidate: string,
  family: 'ipv4' | 'ipv6' = 'ipv4',
): boolean {
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  return list.check(candidate, family);
}
