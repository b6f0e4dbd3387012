import { Controller, Get, Param } from '@nestjs/common';
import { CodeStoreRepository } from '@seed/code-store';
import { errorRate, percentile, RolloutRepository, TrafficRepository, type WindowStats } from '@seed/rollout';
import { z } from 'zod';
import { ApiError } from './api-error.js';
import { AnyRole } from './auth/roles.decorator.js';
import { ValidQuery } from './validated.js';

/** Charts read at most this many slots per version (windowMs / ROLLOUT_REPORT_INTERVAL). */
const MAX_SLOTS = 3600;

export const statsQuerySchema = z.object({
  windowMs: z.coerce.number().int().min(1).max(21_600_000).default(60_000),
});

/** The counters the rollout analysis reads, per version and report interval, for charts (docs/rollouts.md). */
@Controller('modules/:name/stats')
export class StatsController {
  constructor(
    private readonly store: CodeStoreRepository,
    private readonly rollouts: RolloutRepository,
    private readonly traffic: TrafficRepository,
  ) {}

  @Get()
  @AnyRole()
  async stats(
    @Param('name') name: string,
    @ValidQuery(statsQuerySchema) query: z.infer<typeof statsQuerySchema>,
  ) {
    if (query.windowMs / this.traffic.slotMs > MAX_SLOTS) {
      throw new ApiError(
        'invalid_request',
        `windowMs spans more than ${MAX_SLOTS} report intervals of ${this.traffic.slotMs} ms`,
      );
    }
    const module = await this.store.getModule(name);
    const rollout = await this.rollouts.open(module.id);
    const versions: Array<{ versionId: string; role: 'stable' | 'canary' }> = [];
    if (module.activeVersionId) versions.push({ versionId: module.activeVersionId, role: 'stable' });
    if (rollout) versions.push({ versionId: rollout.versionId, role: 'canary' });
    const toMs = Date.now();
    const fromMs = toMs - query.windowMs;
    return {
      module: name,
      windowMs: query.windowMs,
      intervalMs: this.traffic.slotMs,
      versions: await Promise.all(
        versions.map(async (v) => {
          const [total, slots] = await Promise.all([
            this.traffic.window(name, v.versionId, fromMs, toMs),
            this.traffic.slots(name, v.versionId, fromMs, toMs),
          ]);
          return {
            ...v,
            total: counters(total),
            intervals: slots
              .filter((s) => s.calls > 0)
              .map((s) => ({ at: new Date(s.startMs), ...counters(s) })),
          };
        }),
      ),
    };
  }
}

function counters(stats: WindowStats) {
  return {
    calls: stats.calls,
    faults: stats.faults,
    errorRate: errorRate(stats),
    failingCallers: stats.failingCallers,
    p50Ms: percentile(stats, 0.5),
    p90Ms: percentile(stats, 0.9),
    p99Ms: percentile(stats, 0.99),
  };
}
