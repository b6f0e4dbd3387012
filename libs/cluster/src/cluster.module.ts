import { Global, Module } from '@nestjs/common';
import { CodeStoreModule } from '@seed/code-store';
import { RuntimeModule } from '@seed/runtime';
import { ClusterBus } from './cluster-bus.service.js';
import { ClusterStatus } from './cluster-status.service.js';
import { DnsDiscovery } from './dns-discovery.service.js';
import { DnsResolver } from './dns-resolver.js';
import { PresenceService } from './presence.service.js';

/**
 * Node identity and presence, DNS discovery and the cluster bus (activations, pipeline and agent events).
 * Global like code-store: health, hot-reload and the HTTP layer all read the cluster's state.
 */
@Global()
@Module({
  imports: [CodeStoreModule, RuntimeModule],
  providers: [PresenceService, ClusterBus, DnsResolver, DnsDiscovery, ClusterStatus],
  exports: [PresenceService, ClusterBus, DnsResolver, DnsDiscovery, ClusterStatus],
})
export class ClusterModule {}
