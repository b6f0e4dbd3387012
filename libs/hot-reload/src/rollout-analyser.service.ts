import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ModuleEntity, RolloutEntity } from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { RolloutRepository, stepDue, stepVerdict, TrafficRepository } from '@seed/rollout';
import { ActivationWatch } from './activation-watch.service.js';
import { RolloutsService } from './rollouts.service.js';

/**
 * Judges every running rollout's steps, and every activation's watch, for the whole cluster. One node at a time holds the Redis lease (renewed
 * each tick; another node takes it once it lapses, e.g. when its holder dies); its fencing token goes with each
 * decision, and PostgreSQL refuses a decision from an older token or about a step already decided.
 */
@Injectable()
export class RolloutAnalyser implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RolloutAnalyser');
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  /** the fencing token of the lease this node holds, -1 when it does not */
  private token = -1;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly traffic: TrafficRepository,
    private readonly rollouts: RolloutRepository,
    private readonly service: RolloutsService,
    private readonly watches: ActivationWatch,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.rollout.analysisIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    if (this.token >= 0) await this.traffic.releaseLease(this.config.nodeName).catch(() => undefined);
  }

  /** Whether this node is the analyser now (GET /cluster, tests). */
  get holdsLease(): boolean {
    return this.token >= 0;
  }

  /** One round: renew or take the lease, then decide every running rollout whose step is over. */
  async tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.round()
      .catch((error: Error) => {
        this.token = -1;
        this.logger.warn(`analysis round failed: ${error.message}`);
      })
      .finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async round(): Promise<void> {
    this.token = await this.traffic.acquireLease(this.config.nodeName, this.config.rollout.leaseTtlMs);
    if (this.token < 0) return;
    for (const { module, versionId } of await this.rollouts.unappliedPromotions()) {
      await this.service.applyPromotion(module, versionId);
    }
    for (const rollout of await this.rollouts.openAll()) {
      if (rollout.status === 'running') await this.analyse(rollout, this.token);
    }
    await this.watches.round(this.token, `node:${this.config.nodeName}`);
  }

  private async analyse(rollout: RolloutEntity & { module: ModuleEntity }, token: number): Promise<void> {
    const start = rollout.stepStartedAt.getTime();
    const end = start + rollout.intervalMs;
    // one report interval more, so every node's counts up to the step's end are in Redis
    const now = new Date();
    if (!stepDue(rollout.stepStartedAt, rollout.intervalMs + this.traffic.slotMs, now)) return;
    const module = rollout.module.name;
    const [canary, stable] = await Promise.all([
      this.traffic.window(module, rollout.versionId, start, end),
      this.traffic.window(module, rollout.stableVersionId, start, end),
    ]);
    const decision = stepVerdict(
      {
        canary,
        stable,
        settings: rollout.analysis,
        onInconclusive: rollout.onInconclusive,
        schedule: rollout.steps,
        step: rollout.step,
        failures: rollout.failures,
      },
      now,
    );
    await this.service.applyVerdict(module, rollout, decision, token, `node:${this.config.nodeName}`);
  }
}
