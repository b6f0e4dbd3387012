import { Inject, Injectable } from '@nestjs/common';
import { CodeStoreRepository } from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { buildClusterView, ClusterView, NodeHeartbeat } from './cluster-view.js';
import { DnsDiscovery } from './dns-discovery.service.js';
import { PresenceService } from './presence.service.js';

/**
 * GET /cluster: every live node with the versions it serves, each marked `behind` when it differs from what
 * PostgreSQL says is active, plus the DNS comparison. Answers without PostgreSQL (behind unknown) and without
 * Redis (only this node), saying which.
 */
@Injectable()
export class ClusterStatus {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly presence: PresenceService,
    private readonly discovery: DnsDiscovery,
    private readonly store: CodeStoreRepository,
  ) {}

  async view(): Promise<ClusterView> {
    const degraded: string[] = [];
    const [nodes, active] = await Promise.all([
      this.presence.liveNodes().catch((): NodeHeartbeat[] => {
        degraded.push('redis');
        return [this.presence.snapshot()];
      }),
      this.store.activeVersions().catch(() => {
        degraded.push('postgres');
        return null;
      }),
    ]);
    return buildClusterView({
      self: this.config.nodeName,
      nowMs: Date.now(),
      nodes,
      active,
      dns: this.discovery.dnsAnswer(),
      degraded: degraded.sort(),
    });
  }
}
