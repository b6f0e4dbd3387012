import type { AppConfig } from '@seed/config';
import type { NodeHeartbeat } from './cluster-view';
import { DnsDiscovery } from './dns-discovery.service';
import type { DnsResolver } from './dns-resolver';
import type { PresenceService } from './presence.service';

const dnsError = (code: string) => Object.assign(new Error(`query ${code}`), { code });
const heartbeat = (name: string, address?: string): NodeHeartbeat => ({
  name,
  ...(address ? { address } : {}),
  serviceVersion: '1',
  startedAt: 'then',
  seenAt: 'now',
  modules: [],
  loadFailures: [],
});

function setup({ dnsQuery }: { dnsQuery?: string } = { dnsQuery: 'app.internal' }) {
  const resolver = {
    resolve4: jest.fn<Promise<string[]>, [string]>().mockRejectedValue(dnsError('ENODATA')),
    resolve6: jest.fn<Promise<string[]>, [string]>().mockResolvedValue([]),
    localAddresses: jest.fn(() => ['127.0.0.1', 'fdaa::2']),
  };
  const presence = {
    liveNodes: jest.fn<Promise<NodeHeartbeat[]>, []>().mockResolvedValue([]),
    learnAddress: jest.fn(),
  };
  const config = { cluster: { dnsQuery, pollIntervalMs: 5000 } } as unknown as AppConfig;
  const discovery = new DnsDiscovery(
    config,
    resolver as unknown as DnsResolver,
    presence as unknown as PresenceService,
  );
  return { discovery, resolver, presence };
}

describe('DnsDiscovery', () => {
  it('does nothing without DNS_CLUSTER_QUERY', async () => {
    const { discovery, resolver } = setup({});
    expect(await discovery.poll()).toBeUndefined();
    expect(discovery.status()).toBeUndefined();
    expect(discovery.dnsAnswer()).toBeUndefined();
    expect(resolver.resolve6).not.toHaveBeenCalled();
  });

  it('takes AAAA and A answers (a family without records is empty) and learns its own address', async () => {
    const { discovery, resolver, presence } = setup();
    resolver.resolve6.mockResolvedValue(['fdaa:0::2', 'fdaa::1']);
    presence.liveNodes.mockResolvedValue([heartbeat('a', 'fdaa::1'), heartbeat('b', 'fdaa::2')]);
    expect(await discovery.poll()).toMatchObject({
      query: 'app.internal',
      expected: ['fdaa::1', 'fdaa::2'],
      missing: [],
      unexpected: [],
      warning: false,
    });
    expect(presence.learnAddress).toHaveBeenCalledWith('fdaa::2');
  });

  it('warns when both lookups fail, keeping the last good answer', async () => {
    const { discovery, resolver, presence } = setup();
    resolver.resolve6.mockResolvedValue(['fdaa::1']);
    presence.liveNodes.mockResolvedValue([heartbeat('a', 'fdaa::1')]);
    await discovery.poll();
    resolver.resolve4.mockRejectedValue(dnsError('ETIMEOUT'));
    resolver.resolve6.mockRejectedValue(dnsError('ETIMEOUT'));
    const status = await discovery.poll();
    expect(status).toMatchObject({ expected: ['fdaa::1'], missing: [], warning: true });
    expect(status?.error).toMatch(/^DNS: .*ETIMEOUT/);
    expect(discovery.dnsAnswer()).toMatchObject({ addresses: ['fdaa::1'], error: expect.any(String) });
  });

  it('warns, never throws, when presence cannot be read', async () => {
    const { discovery, resolver, presence } = setup();
    resolver.resolve6.mockResolvedValue(['fdaa::1']);
    presence.liveNodes.mockRejectedValue(new Error('Connection is closed.'));
    expect(await discovery.poll()).toMatchObject({
      error: 'presence: Connection is closed.',
      warning: true,
    });
    expect(discovery.status()?.warning).toBe(true);
  });
});
