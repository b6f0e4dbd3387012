export { ClusterModule } from './cluster.module.js';
export { ClusterStatus } from './cluster-status.service.js';
export {
  buildClusterView,
  compareDiscovery,
  normalizeAddress,
  type ClusterView,
  type DiscoveryComparison,
  type DnsAnswer,
  type LoadFailure,
  type ModuleView,
  type NodeHeartbeat,
  type NodeView,
} from './cluster-view.js';
export { DnsDiscovery, type DiscoveryStatus } from './dns-discovery.service.js';
export { DnsResolver } from './dns-resolver.js';
export { PresenceService } from './presence.service.js';
export {
  MODULE_CHANGES,
  type BusEvent,
  type BusEventType,
  type BusMessage,
  type BusMessageOf,
  type ModuleChange,
} from './bus-events.js';
export { ClusterBus } from './cluster-bus.service.js';
