import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { TrafficAccumulator } from './traffic-accumulator.js';
import { TrafficRepository } from './traffic.repository.js';

/**
 * This node's share of the cluster's counts: calls are counted in memory and added to Redis once per slot,
 * so the invocation path never waits on Redis. A failed flush keeps its counts for the next one.
 */
@Injectable()
export class TrafficReporter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TrafficReporter');
  private readonly counts: TrafficAccumulator;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(private readonly traffic: TrafficRepository) {
    this.counts = new TrafficAccumulator(traffic.slotMs);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), this.traffic.slotMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** One call that counts (never a pinned one): `fault` only for the module's own faults. */
  record(module: string, versionId: string, fault: boolean, caller: string, durationMs: number): void {
    this.counts.record(module, versionId, fault, caller, durationMs, Date.now());
  }

  /** Adds what was counted to Redis (tests and shutdown call it to see the latest counts at once). */
  async flush(): Promise<void> {
    await this.flushing;
    const drained = this.counts.drain();
    if (!drained.length) return;
    this.flushing = this.traffic.add(drained).catch((error: Error) => {
      this.counts.restore(drained);
      this.logger.warn(`rollout counts not reported: ${error.message}`);
    });
    await this.flushing;
  }
}
