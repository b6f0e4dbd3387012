import { statfs } from 'node:fs/promises';
import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { DnsDiscovery } from '@seed/cluster';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { JobsRepository } from '@seed/jobs';
import { RedisService } from '@seed/persistence';
import { DataSource } from 'typeorm';
import { Level, levelAbove, levelBelow } from './thresholds.js';
import { withTimeout } from '@seed/errors';

const MB = 1024 * 1024;

/** One check per dependency, each bounded by HEALTH_CHECK_TIMEOUT; a warning stays `up` but says so. */
@Injectable()
export class DependencyChecks {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly indicators: HealthIndicatorService,
    private readonly dataSource: DataSource,
    private readonly redis: RedisService,
    private readonly jobs: JobsRepository,
    private readonly discovery: DnsDiscovery,
  ) {}

  postgres(): Promise<HealthIndicatorResult> {
    return this.probe('postgres', async () => {
      await this.dataSource.query('SELECT 1');
      return { level: 'ok' };
    });
  }

  redisPing(): Promise<HealthIndicatorResult> {
    return this.probe('redis', async () => {
      await this.redis.ping();
      return { level: 'ok' };
    });
  }

  disk(): Promise<HealthIndicatorResult> {
    const { diskWarnMb, diskMinMb } = this.config.health;
    return this.probe('disk', async () => {
      const stats = await statfs(this.config.codeDir);
      const freeMb = Math.floor((stats.bavail * stats.bsize) / MB);
      return { level: levelBelow(freeMb, diskWarnMb, diskMinMb), path: this.config.codeDir, freeMb };
    });
  }

  memory(): Promise<HealthIndicatorResult> {
    const { heapWarnMb, heapMaxMb, rssWarnMb, rssMaxMb } = this.config.health;
    return this.probe('memory', async () => {
      const usage = process.memoryUsage();
      const heapMb = Math.round(usage.heapUsed / MB);
      const rssMb = Math.round(usage.rss / MB);
      return {
        level: worst(levelAbove(heapMb, heapWarnMb, heapMaxMb), levelAbove(rssMb, rssWarnMb, rssMaxMb)),
        heapMb,
        rssMb,
      };
    });
  }

  queueDepth(): Promise<HealthIndicatorResult> {
    const { queueWarn, queueMax } = this.config.health;
    return this.probe('queue', async () => {
      const depth = await this.jobs.depth('pipeline');
      return { level: levelAbove(depth, queueWarn, queueMax), depth };
    });
  }

  /**
   * DNS peers against heartbeating nodes (only with DNS_CLUSTER_QUERY): a partition hint, so a warning at
   * most, never a failure. Reads the last poll's result: no I/O, nothing to time out.
   */
  clusterDiscovery(): Promise<HealthIndicatorResult> {
    return this.probe('cluster', async () => {
      const { warning, ...status } = this.discovery.status()!;
      if (!warning) return { level: 'ok', ...status };
      const problems = [
        status.error,
        status.missing?.length ? `in DNS but not heartbeating: ${status.missing.join(', ')}` : undefined,
        status.unexpected?.length
          ? `heartbeating but not in DNS: ${status.unexpected.map((u) => `${u.name} (${u.address ?? 'no address'})`).join(', ')}`
          : undefined,
      ].filter(Boolean);
      return {
        level: 'warning',
        ...status,
        message: `possible partition: ${problems.join('; ') || 'not compared yet'}`,
      };
    });
  }

  private async probe(
    key: string,
    read: () => Promise<{ level: Level } & Record<string, unknown>>,
  ): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      const { level, ...data } = await withTimeout(key, this.config.health.timeoutMs, read());
      if (level === 'failing')
        return indicator.down({ ...data, message: `${key} is past its failing threshold` });
      return indicator.up(level === 'warning' ? { ...data, warning: true } : data);
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}

function worst(a: Level, b: Level): Level {
  const order: Level[] = ['ok', 'warning', 'failing'];
  return order[Math.max(order.indexOf(a), order.indexOf(b))];
}
