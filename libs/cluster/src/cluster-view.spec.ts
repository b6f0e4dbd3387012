import {
  buildClusterView,
  compareDiscovery,
  NodeHeartbeat,
  normalizeAddress,
  selfAddressIn,
} from './cluster-view';

const node = (name: string, extra: Partial<NodeHeartbeat> = {}): NodeHeartbeat => ({
  name,
  serviceVersion: '1.2.3',
  startedAt: '2026-01-01T00:00:00.000Z',
  seenAt: '2026-01-01T00:00:10.000Z',
  modules: [],
  loadFailures: [],
  ...extra,
});

describe('cluster view', () => {
  it('normalises addresses so heartbeats and DNS answers compare', () => {
    expect(normalizeAddress('FDAA:0:0:0::1')).toBe('fdaa::1');
    expect(normalizeAddress('[fdaa:0::1]')).toBe('fdaa::1');
    expect(normalizeAddress(' 10.0.0.7 ')).toBe('10.0.0.7');
  });

  it('reports DNS peers that do not heartbeat and heartbeating nodes DNS does not list', () => {
    const nodes = [
      node('a', { address: 'fdaa::1' }),
      node('b', { address: 'FDAA:0::2' }),
      node('c', { address: '10.0.0.3' }),
      node('d'),
    ];
    expect(compareDiscovery(['fdaa::2', 'fdaa:0::1', 'fdaa::9', 'fdaa::1'], nodes)).toEqual({
      expected: ['fdaa::1', 'fdaa::2', 'fdaa::9'],
      missing: ['fdaa::9'],
      unexpected: [
        { name: 'c', address: '10.0.0.3' },
        { name: 'd', address: null },
      ],
    });
    expect(compareDiscovery(['fdaa::1'], [node('a', { address: 'fdaa::1' })])).toEqual({
      expected: ['fdaa::1'],
      missing: [],
      unexpected: [],
    });
  });

  it('finds its own address among the DNS answers', () => {
    expect(selfAddressIn(['fdaa::1', 'fdaa::2'], ['127.0.0.1', 'FDAA::2', '::1'])).toBe('fdaa::2');
    expect(selfAddressIn(['fdaa::1'], ['127.0.0.1'])).toBeUndefined();
  });

  it('marks every module whose current version is not the active one as behind', () => {
    const view = buildClusterView({
      self: 'a',
      nowMs: Date.parse('2026-01-01T00:00:11.500Z'),
      nodes: [
        node('a', {
          region: 'ams',
          modules: [
            { name: 'm', current: 'v2', old: 'v1' },
            { name: 'gone', current: 'g1' },
          ],
        }),
        node('b', {
          modules: [{ name: 'm', current: 'v1' }],
          loadFailures: [{ module: 'm', versionId: 'v2', seq: 2, message: 'boom', at: 'then' }],
        }),
      ],
      active: [
        { module: 'm', versionId: 'v2', seq: 2 },
        { module: 'n', versionId: 'n1', seq: 1 },
      ],
    });
    expect(view.nodes[0]).toEqual({
      name: 'a',
      region: 'ams',
      lastSeenMs: 1500,
      serviceVersion: '1.2.3',
      startedAt: '2026-01-01T00:00:00.000Z',
      modules: [
        { name: 'gone', current: 'g1', behind: true, versions: [] },
        { name: 'm', current: 'v2', old: 'v1', behind: false, versions: [] },
        { name: 'n', current: null, behind: true, versions: [] },
      ],
    });
    expect(view.nodes[1].modules[0]).toEqual({
      name: 'm',
      current: 'v1',
      behind: true,
      versions: [],
      loadFailure: { versionId: 'v2', seq: 2, message: 'boom', at: 'then' },
    });
    expect(view.active).toEqual({ m: { versionId: 'v2', seq: 2 }, n: { versionId: 'n1', seq: 1 } });
    expect(view).not.toHaveProperty('expected');
  });

  it('says behind is unknown without PostgreSQL, and adds the DNS comparison once DNS answered', () => {
    const nodes = [node('a', { address: 'fdaa::1', modules: [{ name: 'm', current: 'v1' }] })];
    const view = buildClusterView({
      self: 'a',
      nowMs: Date.parse('2026-01-01T00:00:10.000Z'),
      nodes,
      active: null,
      degraded: ['postgres'],
      dns: { query: 'app.internal', addresses: ['fdaa::1', 'fdaa::2'], resolvedAt: 'now' },
    });
    expect(view.nodes[0].modules).toEqual([{ name: 'm', current: 'v1', behind: null, versions: [] }]);
    expect(view).toMatchObject({
      active: null,
      degraded: ['postgres'],
      dns: { query: 'app.internal', resolvedAt: 'now' },
      expected: ['fdaa::1', 'fdaa::2'],
      missing: ['fdaa::2'],
      unexpected: [],
    });
    const unresolved = buildClusterView({
      self: 'a',
      nowMs: 0,
      nodes,
      active: [],
      dns: { query: 'app.internal', addresses: [], error: 'ETIMEOUT' },
    });
    expect(unresolved.dns).toEqual({ query: 'app.internal', error: 'ETIMEOUT' });
    expect(unresolved).not.toHaveProperty('missing');
  });
});
