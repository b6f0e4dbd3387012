export { ActivationBus, type ActivationNotice } from './activation-bus.service.js';
export { ClusterModule } from './cluster.module.js';
export { PresenceService, type NodeInfo } from './presence.service.js';
export { EventStream, type PlatformEvent, type PlatformEventType } from './event-stream.service.js';
