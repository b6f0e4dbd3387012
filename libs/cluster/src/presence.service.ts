import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { RedisService } from '@seed/persistence';
import { MetricsService } from '@seed/telemetry';

export interface NodeInfo {
  name: string;
  version: string;
  startedAt: string;
  seenAt: string;
}

/**
 * Each node refreshes a key with a TTL every CLUSTER_POLL_INTERVAL; a node that dies simply expires.
 * The TTL is longer than the interval so one late heartbeat does not drop a node.
 */
@Injectable()
export class PresenceService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Presence');
  private timer?: NodeJS.Timeout;
  private readonly startedAt = new Date().toISOString();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
    metrics: MetricsService,
  ) {
    metrics.provide('seed_agent_cluster_nodes', async () => (await this.liveNodes()).length);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.heartbeat();
    this.timer = setInterval(() => void this.heartbeat(), this.config.cluster.pollIntervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.client.del(this.nodeKey(this.config.nodeName)).catch(() => undefined);
  }

  async liveNodes(): Promise<NodeInfo[]> {
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
      .flatMap((v) => (v ? [JSON.parse(v) as NodeInfo] : []))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private async heartbeat(): Promise<void> {
    const info: NodeInfo = {
      name: this.config.nodeName,
      version: this.config.version,
      startedAt: this.startedAt,
      seenAt: new Date().toISOString(),
    };
    const ttl = Math.max(this.config.cluster.presenceTtlMs, this.config.cluster.pollIntervalMs * 3);
    try {
      await this.redis.client.set(this.nodeKey(info.name), JSON.stringify(info), 'PX', ttl);
    } catch (error) {
      this.logger.warn(`presence heartbeat failed: ${(error as Error).message}`);
    }
  }

  private nodeKey(name: string): string {
    return this.redis.key('nodes', name);
  }
}
