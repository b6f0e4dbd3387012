export { ActivationBus, type ActivationNotice } from './activation-bus.service.js';
export { ClusterModule } from './cluster.module.js';
export { PresenceService, type NodeInfo } from './presence.service.js';
