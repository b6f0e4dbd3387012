import { Global, Module } from '@nestjs/common';
import { CodeStoreModule } from '@seed/code-store';
import { RuntimeModule } from '@seed/runtime';
import { ActivationBus } from './activation-bus.service.js';
import { ClusterStatus } from './cluster-status.service.js';
import { DnsDiscovery } from './dns-discovery.service.js';
import { DnsResolver } from './dns-resolver.js';
import { EventStream } from './event-stream.service.js';
import { PresenceService } from './presence.service.js';

/**
 * Node identity and presence, DNS discovery, the activation broadcast and the cluster-wide event stream.
 * Global like code-store: health, hot-reload and the HTTP layer all read the cluster's state.
 */
@Global()
@Module({
  imports: [CodeStoreModule, RuntimeModule],
  providers: [PresenceService, ActivationBus, EventStream, DnsResolver, DnsDiscovery, ClusterStatus],
  exports: [PresenceService, ActivationBus, EventStream, DnsResolver, DnsDiscovery, ClusterStatus],
})
export class ClusterModule {}
