import { Injectable, Logger } from '@nestjs/common';
import { ClusterBus } from '@seed/cluster';
import { CodeStoreRepository, type ModuleEntity, type RolloutEntity } from '@seed/code-store';
import {
  type Observed,
  RolloutRepository,
  type StepDecision,
  TrafficRepository,
  verdictRecord,
  watchDecision,
  watchWindows,
} from '@seed/rollout';
import { ActivationService } from './activation.service.js';

type Watch = RolloutEntity & { module: ModuleEntity };

/**
 * The watch after an activation, judged for the whole cluster by the analyser (it holds the lease): the new
 * version's counts since the switch against its predecessor's from before it, with the rollout analysis at
 * weight 100. A rollback is recorded first (a compare-and-swap, fenced like a rollout step, so it is decided
 * once), then applied as a compare-and-swap on the active version; a node that dies between the two leaves it
 * to the next analyser round.
 */
@Injectable()
export class ActivationWatch {
  private readonly logger = new Logger('Canary');

  constructor(
    private readonly traffic: TrafficRepository,
    private readonly rollouts: RolloutRepository,
    private readonly activation: ActivationService,
    private readonly store: CodeStoreRepository,
    private readonly bus: ClusterBus,
  ) {}

  /** One analyser round's work on watches: recorded rollbacks first, then every running watch. */
  async round(fence: number, actor: string): Promise<void> {
    for (const { module, watch } of await this.rollouts.unappliedWatchRollbacks()) {
      this.logger.warn(`${module}: applying a canary rollback recorded before its node stopped`);
      await this.rollBack(module, watch);
    }
    for (const watch of await this.rollouts.openWatches()) await this.judge(watch, fence, actor);
  }

  private async judge(watch: Watch, fence: number, actor: string): Promise<void> {
    const module = watch.module.name;
    const now = new Date();
    const windows = watchWindows(
      watch.stepStartedAt.getTime(),
      watch.intervalMs,
      now.getTime(),
      this.traffic.slotMs,
    );
    const [candidate, baseline] = await Promise.all([
      this.traffic.window(module, watch.versionId, windows.candidate.fromMs, windows.candidate.toMs),
      this.traffic.window(module, watch.stableVersionId, windows.baseline.fromMs, windows.baseline.toMs),
    ]);
    const decision = watchDecision(
      { candidate, baseline, settings: watch.analysis, ended: windows.ended },
      now,
    );
    if (!decision) return;
    const rollback = decision.action === 'rollback';
    const result = await this.rollouts.decide(
      watch.id,
      { status: ['watching'], fence },
      verdictRecord(decision, actor),
      { status: rollback ? 'rolled_back' : 'promoted' },
    );
    if (!result) return;
    await this.bus.publish({
      type: 'rollout.decision',
      module,
      rolloutId: watch.id,
      step: 0,
      weight: 100,
      verdict: decision.verdict,
      reason: decision.reason,
      action: decision.action,
    });
    if (rollback) return this.rollBack(module, watch, decision);
    if (decision.verdict === 'rollback') {
      // observe-only: an admin's activation the module says is never rolled back
      const message = summary(decision.observed, decision);
      this.logger.warn(`${module}: not rolled back, an admin activated it: ${message}`);
      await this.note(watch.versionId, `not rolled back by canary (an admin's activation): ${message}`);
    }
  }

  private async rollBack(module: string, watch: RolloutEntity, decision?: StepDecision): Promise<void> {
    const result = await this.activation.rollback(
      module,
      'system:canary',
      watch.stableVersionId,
      'canary',
      watch.versionId,
    );
    if (!result.activated) return;
    const message = decision ? summary(decision.observed, decision) : 'recorded by the analyser';
    this.logger.warn(`${module}: rolled back by canary: ${message}`);
    await this.note(watch.versionId, `rolled back by canary: ${message}`);
  }

  private async note(versionId: string, message: string): Promise<void> {
    const version = await this.store.findVersion(versionId);
    await this.store.updateVersion(versionId, {
      diagnostics: [...(version?.diagnostics ?? []), { stage: 'activate', message }],
    });
  }
}

/** The values that drove the verdict, for the version's diagnostics and the log. */
function summary(observed: Observed, decision: StepDecision): string {
  const { thresholds } = decision;
  const why =
    decision.reason === 'latency_ratio'
      ? `p99 ${observed.canaryP99Ms} ms against ${observed.stableP99Ms} ms for the predecessor (ratio ${round(observed.latencyRatio ?? 0)}, limit ${thresholds.maxLatencyRatio})`
      : `error rate ${pct(observed.canaryErrorRate)} over ${observed.canaryCalls} calls from ${observed.failingCallers} failing callers against ${pct(observed.stableErrorRate)} for the predecessor (threshold +${pct(thresholds.maxErrorRateDelta)})`;
  return why;
}

function pct(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
