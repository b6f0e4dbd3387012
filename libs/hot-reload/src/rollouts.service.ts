import { Injectable, Logger } from '@nestjs/common';
import { ClusterBus } from '@seed/cluster';
import { CodeStoreRepository, type RolloutEntity, type RolloutStatus } from '@seed/code-store';
import {
  type AnalysisSettings,
  type NewDecision,
  type OnInconclusive,
  type RolloutChange,
  RolloutError,
  RolloutRepository,
  type StepDecision,
  stepSchedule,
  verdictRecord,
} from '@seed/rollout';
import { ActivationService } from './activation.service.js';
import { activationDecision } from './gates.js';

export interface StartRollout {
  versionId: string;
  steps?: number[];
  stepWeight?: number;
  maxWeight?: number;
  intervalMs: number;
  analysis: AnalysisSettings;
  onInconclusive: OnInconclusive;
}

export type ManualAction = 'promote' | 'pause' | 'resume' | 'abort';

const OPEN: readonly RolloutStatus[] = ['running', 'paused'];

/**
 * Starts rollouts and carries out decisions about them, a person's or the analyser's: PostgreSQL first (the
 * decision and the new state in one compare-and-swap), then a broadcast so every node routes by the new weight.
 * A promotion is an activation (reason `rollout`).
 */
@Injectable()
export class RolloutsService {
  private readonly logger = new Logger('Rollouts');

  constructor(
    private readonly store: CodeStoreRepository,
    private readonly rollouts: RolloutRepository,
    private readonly activation: ActivationService,
    private readonly bus: ClusterBus,
  ) {}

  /**
   * An agent token may roll out only its own candidates, and only where the module's policy would let the
   * candidate go live by itself (auto-activation on, no admin approval required).
   */
  async start(module: string, input: StartRollout, actor: string, actorRole: string): Promise<RolloutEntity> {
    const entity = await this.store.getModule(module);
    const steps = stepSchedule(input);
    if (actorRole === 'agent') {
      const version = await this.store.getVersion(entity.id, input.versionId);
      const allowed =
        version.authorRole === 'agent' &&
        activationDecision({
          activateRequested: true,
          dryRun: version.dryRun,
          authorRole: 'agent',
          settings: entity.settings,
        }) === 'activate';
      if (!allowed) {
        throw new RolloutError(
          'rollout_not_allowed',
          `an agent may roll out only its own candidates, in a module whose policy lets them go live (requireApproval off, autoActivate on)`,
        );
      }
    }
    const rollout = await this.rollouts.start({
      moduleId: entity.id,
      versionId: input.versionId,
      steps,
      intervalMs: input.intervalMs,
      analysis: input.analysis,
      onInconclusive: input.onInconclusive,
      actor,
    });
    this.logger.log(
      `${module}: rollout ${rollout.id} of ${rollout.versionId} started at ${rollout.weight} %`,
    );
    await this.changed(module, rollout);
    return rollout;
  }

  /** A person's promote, pause, resume or abort of the module's open rollout. */
  async act(module: string, action: ManualAction, actor: string): Promise<RolloutEntity> {
    const entity = await this.store.getModule(module);
    const open = await this.rollouts.open(entity.id);
    if (!open) throw new RolloutError('no_rollout', `module ${module} has no rollout in progress`);
    const decision: NewDecision = { verdict: null, reason: 'manual', action, actor };
    const [expected, change] = manualChange(action, open);
    const result = await this.rollouts.decide(open.id, { status: expected }, decision, change);
    if (!result) {
      throw new RolloutError('no_rollout', `the rollout of module ${module} is not ${expected.join(' or ')}`);
    }
    await this.applied(module, result.rollout, action, decision);
    return result.rollout;
  }

  /**
   * Carries out the analyser's decision on a step, if the rollout is still at that step and no newer analyser
   * (fencing token) has decided. Returns false when the state had moved on: nothing was written.
   */
  async applyVerdict(
    module: string,
    rollout: RolloutEntity,
    decision: StepDecision,
    fence: number,
    actor: string,
  ): Promise<boolean> {
    const change = verdictChange(decision, rollout);
    const written = verdictRecord(decision, actor);
    const result = await this.rollouts.decide(
      rollout.id,
      { status: ['running'], step: rollout.step, stepStartedAt: rollout.stepStartedAt, fence },
      written,
      change,
    );
    if (!result) return false;
    this.logger.log(
      `${module}: rollout step ${rollout.step} at ${rollout.weight} % → ${decision.verdict} (${decision.reason}), ${decision.action}`,
    );
    await this.applied(module, result.rollout, decision.action, written);
    return true;
  }

  /** The activation of a promotion whose decider died before making it (found by the analyser). */
  async applyPromotion(module: string, versionId: string): Promise<void> {
    this.logger.warn(`${module}: applying a promotion recorded before its node stopped`);
    await this.activation.activate(module, versionId, 'system:rollout', 'rollout');
  }

  private async applied(
    module: string,
    rollout: RolloutEntity,
    action: string,
    decision: NewDecision,
  ): Promise<void> {
    await this.bus.publish({
      type: 'rollout.decision',
      module,
      rolloutId: rollout.id,
      step: rollout.step,
      weight: rollout.weight,
      verdict: decision.verdict,
      reason: decision.reason,
      action,
    });
    if (rollout.status === 'promoted') {
      await this.activation.activate(module, rollout.versionId, decision.actor, 'rollout');
    }
    await this.changed(module, rollout);
  }

  private async changed(module: string, rollout: RolloutEntity): Promise<void> {
    await this.bus.publish({
      type: 'rollout.changed',
      module,
      rolloutId: rollout.id,
      versionId: rollout.versionId,
      status: rollout.status,
      step: rollout.step,
      weight: rollout.weight,
    });
  }
}

function manualChange(action: ManualAction, open: RolloutEntity): [readonly RolloutStatus[], RolloutChange] {
  switch (action) {
    case 'promote':
      return [OPEN, { status: 'promoted', weight: 100 }];
    case 'pause':
      return [['running'], { status: 'paused' }];
    case 'resume':
      // a fresh interval: the calls seen before the pause are not this step's any more
      return [['paused'], { status: 'running', restartInterval: true, weight: open.steps[open.step] }];
    case 'abort':
      return [OPEN, { status: 'aborted', weight: 0 }];
  }
}

function verdictChange(decision: StepDecision, rollout: RolloutEntity): RolloutChange {
  const failures = decision.failures;
  switch (decision.action) {
    case 'advance': {
      const step = Math.min(rollout.step + 1, rollout.steps.length - 1);
      return { step, weight: rollout.steps[step], failures, restartInterval: true };
    }
    case 'promote':
      return { status: 'promoted', weight: 100, failures };
    case 'hold':
      return { failures, restartInterval: true };
    case 'rollback':
      return { status: 'rolled_back', weight: 0, failures };
    case 'pause':
      return { status: 'paused', failures };
    case 'abort':
      return { status: 'aborted', weight: 0, failures };
  }
}
