import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { RedisService } from '@seed/persistence';
import { ModuleRegistry } from '@seed/runtime';
import { MetricsService } from '@seed/telemetry';
import type { LoadFailure, NodeHeartbeat } from './cluster-view.js';

/** A change (swap, unload, load failure) is published this soon, coalesced, instead of at the next beat. */
const REFRESH_DELAY_MS = 20;

/**
 * Each node refreshes a key with a TTL every CLUSTER_POLL_INTERVAL, carrying its identity and the version of
 * every module it serves; a node that dies simply expires, one that stops deletes its key. The TTL is longer
 * than the interval so one late heartbeat does not drop a node.
 */
@Injectable()
export class PresenceService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Presence');
  private timer?: NodeJS.Timeout;
  private refresh?: NodeJS.Timeout;
  private stopped = false;
  private failing = false;
  private lastCount = 0;
  private readonly startedAt = new Date().toISOString();
  private readonly loadFailures = new Map<string, LoadFailure>();
  private discoveredAddress?: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
    private readonly registry: ModuleRegistry,
    metrics: MetricsService,
  ) {
    registry.onDrained(() => this.changed());
    // A scrape during a Redis outage reports the last count rather than failing /metrics.
    metrics.provide('seed_agent_cluster_nodes', async () => {
      this.lastCount = (await this.liveNodes().catch(() => undefined))?.length ?? this.lastCount;
      return this.lastCount;
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    // Back at once after a Redis outage (whose heartbeats failed), not at the next interval.
    this.redis.client.on('ready', () => this.changed());
    await this.heartbeat();
    this.timer = setInterval(() => void this.heartbeat(), this.config.cluster.pollIntervalMs);
    this.timer.unref();
  }

  /** Leaves the cluster at once (the first shutdown step), rather than after the TTL. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.refresh);
    // Commands on one connection run in order: this DEL lands after any heartbeat already sent.
    await this.redis.client.del(this.nodeKey(this.config.nodeName)).catch(() => undefined);
  }

  /** Every node whose heartbeat has not expired, by name. */
  async liveNodes(): Promise<NodeHeartbeat[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.client.scan(cursor, 'MATCH', this.nodeKey('*'), 'COUNT', 200);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    if (keys.length === 0) return [];
    const values = await this.redis.client.mget(...keys);
    return values
      .flatMap((v) => (v ? [JSON.parse(v) as NodeHeartbeat] : []))
      .map((n) => ({ ...n, modules: n.modules ?? [], loadFailures: n.loadFailures ?? [] }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** This node's heartbeat as it would be published now. */
  snapshot(): NodeHeartbeat {
    const { region, machineId } = this.config.node;
    const address = this.address;
    return {
      name: this.config.nodeName,
      ...(region ? { region } : {}),
      ...(address ? { address } : {}),
      ...(machineId ? { machineId } : {}),
      serviceVersion: this.config.version,
      startedAt: this.startedAt,
      seenAt: new Date().toISOString(),
      modules: this.registry
        .loadedModules()
        .sort()
        .flatMap((name) => {
          const current = this.registry.current(name)?.versionId;
          const old = this.registry.old(name)?.versionId;
          const versions = this.registry.loadedVersions(name);
          return current ? [{ name, current, ...(old ? { old } : {}), versions }] : [];
        }),
      loadFailures: [...this.loadFailures.values()],
    };
  }

  get address(): string | undefined {
    return this.config.node.address ?? this.discoveredAddress;
  }

  /** Discovery found this node's own address in DNS (used when NODE_ADDRESS is not set). */
  learnAddress(address: string | undefined): void {
    if (this.config.node.address || !address || address === this.discoveredAddress) return;
    this.discoveredAddress = address;
    this.changed();
  }

  /** Records that this node could not load a version; true when it is news (not the same failure again). */
  reportLoadFailure(failure: LoadFailure): boolean {
    const before = this.loadFailures.get(failure.module);
    this.loadFailures.set(failure.module, failure);
    this.changed();
    return before?.versionId !== failure.versionId;
  }

  /** The module now serves what it should (or is gone): its failure, if any, is over. */
  clearLoadFailure(module: string): void {
    if (this.loadFailures.delete(module)) this.changed();
  }

  /** What this node serves changed: publish it shortly (coalesced), not at the next interval. */
  changed(): void {
    if (this.stopped || this.refresh) return;
    this.refresh = setTimeout(() => {
      this.refresh = undefined;
      void this.heartbeat();
    }, REFRESH_DELAY_MS);
    this.refresh.unref();
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    const info = this.snapshot();
    const ttl = Math.max(this.config.cluster.presenceTtlMs, this.config.cluster.pollIntervalMs * 3);
    try {
      await this.redis.client.set(this.nodeKey(info.name), JSON.stringify(info), 'PX', ttl);
      if (this.failing) this.logger.log('presence heartbeat restored');
      this.failing = false;
    } catch (error) {
      // Once per outage, not every interval.
      if (!this.failing) this.logger.warn(`presence heartbeat failed: ${(error as Error).message}`);
      this.failing = true;
    }
  }

  private nodeKey(name: string): string {
    return this.redis.key('nodes', name);
  }
}
