import type { LoadedVersionView } from '@seed/runtime';
import { isIPv6 } from 'node:net';

/** What one node publishes in its presence heartbeat. */
export interface NodeHeartbeat {
  name: string;
  region?: string;
  /** Its private address (NODE_ADDRESS / FLY_PRIVATE_IP, or the local address found in DNS). */
  address?: string;
  machineId?: string;
  /** The service's own version (VERSION). */
  serviceVersion: string;
  startedAt: string;
  seenAt: string;
  /** What its ModuleRegistry serves: `current` takes new calls, `old` drains its in-flight calls. */
  modules: Array<{ name: string; current: string; old?: string; versions?: LoadedVersionView[] }>;
  /** Versions it was told to serve and could not load; it keeps serving its current one. */
  loadFailures: LoadFailure[];
}

export interface LoadFailure {
  module: string;
  versionId: string;
  seq?: number;
  code?: string;
  message: string;
  at: string;
}

/** The last answer of DNS_CLUSTER_QUERY. */
export interface DnsAnswer {
  query: string;
  /** Normalised addresses (A and AAAA) of the last successful resolution. */
  addresses: string[];
  resolvedAt?: string;
  /** Why the last resolution failed, when it did (the addresses are then those of the one before). */
  error?: string;
}

export interface DiscoveryComparison {
  /** Every peer DNS lists. */
  expected: string[];
  /** Peers in DNS that do not heartbeat. */
  missing: string[];
  /** Heartbeating nodes whose address DNS does not list (address null: the node published none). */
  unexpected: Array<{ name: string; address: string | null }>;
}

export interface ModuleView {
  name: string;
  current: string | null;
  old?: string;
  /** Its current differs from what PostgreSQL says is active; null when PostgreSQL could not be read. */
  behind: boolean | null;
  /** every version loaded for it (stable, canary, old, pinned) with in-flight calls, `draining` until drained */
  versions: LoadedVersionView[];
  loadFailure?: Omit<LoadFailure, 'module'>;
}

export interface NodeView {
  name: string;
  region?: string;
  address?: string;
  /** Milliseconds since its last heartbeat, by the answering node's clock. */
  lastSeenMs: number;
  serviceVersion: string;
  startedAt: string;
  modules: ModuleView[];
}

export interface ClusterView {
  /** The node that answered. */
  self: string;
  nodes: NodeView[];
  /** What PostgreSQL says every node must serve (null when it could not be read). */
  active: Record<string, { versionId: string; seq: number }> | null;
  /** Dependencies this answer had to do without ('postgres': `behind` unknown; 'redis': only this node). */
  degraded: string[];
  dns?: { query: string; resolvedAt?: string; error?: string };
  expected?: string[];
  missing?: string[];
  unexpected?: DiscoveryComparison['unexpected'];
}

/** One spelling per address, so `FDAA:0::1` in a heartbeat matches `fdaa::1` from DNS. Pure. */
export function normalizeAddress(address: string): string {
  const bare = address.trim().replace(/^\[|\]$/g, '');
  if (!isIPv6(bare)) return bare.toLowerCase();
  // The WHATWG URL parser serialises IPv6 in its canonical compressed lower-case form.
  return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
}

/** DNS peers against heartbeating nodes, by address: the partition hint. Pure. */
export function compareDiscovery(
  dnsAddresses: readonly string[],
  nodes: readonly NodeHeartbeat[],
): DiscoveryComparison {
  const expected = [...new Set(dnsAddresses.map(normalizeAddress))].sort();
  const inDns = new Set(expected);
  const heartbeating = new Set(nodes.flatMap((n) => (n.address ? [normalizeAddress(n.address)] : [])));
  return {
    expected,
    missing: expected.filter((a) => !heartbeating.has(a)),
    unexpected: nodes
      .filter((n) => !n.address || !inDns.has(normalizeAddress(n.address)))
      .map((n) => ({ name: n.name, address: n.address ?? null })),
  };
}

/** The local addresses that DNS lists: how a node without NODE_ADDRESS learns its own. Pure. */
export function selfAddressIn(
  dnsAddresses: readonly string[],
  localAddresses: readonly string[],
): string | undefined {
  const local = new Set(localAddresses.map(normalizeAddress));
  return dnsAddresses.map(normalizeAddress).find((a) => local.has(a));
}

/** The body of GET /cluster from the heartbeats, the active versions and the DNS answer. Pure. */
export function buildClusterView(input: {
  self: string;
  nowMs: number;
  nodes: readonly NodeHeartbeat[];
  active: ReadonlyArray<{ module: string; versionId: string; seq: number }> | null;
  dns?: DnsAnswer;
  degraded?: string[];
}): ClusterView {
  const active = input.active
    ? Object.fromEntries(input.active.map((a) => [a.module, { versionId: a.versionId, seq: a.seq }]))
    : null;
  const nodes = input.nodes.map((node): NodeView => {
    const names = new Set([...node.modules.map((m) => m.name), ...Object.keys(active ?? {})]);
    const failures = new Map(node.loadFailures.map((f) => [f.module, f]));
    const modules = [...names].sort().map((name): ModuleView => {
      const loaded = node.modules.find((m) => m.name === name);
      const failure = failures.get(name);
      const current = loaded?.current ?? null;
      return {
        name,
        current,
        ...(loaded?.old ? { old: loaded.old } : {}),
        behind: active ? current !== (active[name]?.versionId ?? null) : null,
        versions: loaded?.versions ?? [],
        ...(failure ? { loadFailure: withoutModule(failure) } : {}),
      };
    });
    return {
      name: node.name,
      ...(node.region ? { region: node.region } : {}),
      ...(node.address ? { address: node.address } : {}),
      lastSeenMs: Math.max(0, input.nowMs - Date.parse(node.seenAt)),
      serviceVersion: node.serviceVersion,
      startedAt: node.startedAt,
      modules,
    };
  });
  const view: ClusterView = {
    self: input.self,
    nodes,
    active,
    degraded: input.degraded ?? [],
  };
  if (input.dns) {
    const { query, resolvedAt, error } = input.dns;
    view.dns = { query, ...(resolvedAt ? { resolvedAt } : {}), ...(error ? { error } : {}) };
    if (resolvedAt) Object.assign(view, compareDiscovery(input.dns.addresses, input.nodes));
  }
  return view;
}

function withoutModule(failure: LoadFailure): Omit<LoadFailure, 'module'> {
  const { module: _module, ...rest } = failure;
  return rest;
}
