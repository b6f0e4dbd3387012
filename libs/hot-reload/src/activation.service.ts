import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClusterBus } from '@seed/cluster';
import {
  ActivationReason,
  ActivationResult,
  CodeStoreRepository,
  ModuleVersionEntity,
  type WatchPlanner,
} from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import type { LoadedVersion } from '@seed/runtime';
import { EVENTS, emit } from '@seed/telemetry';
import { watchPlan } from './canary.js';
import { HotReloadError } from './hot-reload.errors.js';
import { Reconciler } from './reconciler.service.js';

/**
 * Switches a module's active version: PostgreSQL first (the truth, with an `activations` row), then this
 * node's registry, then a broadcast so the other nodes follow.
 */
@Injectable()
export class ActivationService {
  private readonly logger = new Logger('Activation');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    private readonly reconciler: Reconciler,
    private readonly bus: ClusterBus,
  ) {}

  /** The pipeline's activation: a compare-and-swap on the candidate's parent. */
  async activateCandidate(
    module: string,
    version: ModuleVersionEntity,
    warm?: LoadedVersion,
  ): Promise<ActivationResult> {
    const result = await this.store.activate(version.moduleId, version.id, {
      expectedActiveId: version.parentId,
      reason: 'gates',
      actor: version.author,
      maxCases: this.config.pipeline.maxCasesPerModule,
      watch: this.watchFor('gates'),
    });
    await this.propagate(module, result, 'gates', warm);
    return result;
  }

  /**
   * An improvement round's activation: a compare-and-swap against the version that was active when the round
   * started (the candidate's parent may be an older archived version).
   */
  async activateIfActive(
    module: string,
    version: ModuleVersionEntity,
    expectedActiveId: string | null,
  ): Promise<ActivationResult> {
    const result = await this.store.activate(version.moduleId, version.id, {
      expectedActiveId,
      reason: 'gates',
      actor: version.author,
      maxCases: this.config.pipeline.maxCasesPerModule,
      watch: this.watchFor('gates'),
    });
    if (result.activated) await this.propagate(module, result, 'gates');
    return result;
  }

  /** An admin's explicit activation: unconditional. */
  async activate(
    module: string,
    versionId: string,
    actor: string,
    reason: ActivationReason = 'manual',
  ): Promise<ActivationResult> {
    const entity = await this.store.getModule(module);
    const result = await this.store.activate(entity.id, versionId, {
      reason,
      actor,
      maxCases: this.config.pipeline.maxCasesPerModule,
      watch: this.watchFor(reason),
    });
    await this.propagate(module, result, reason);
    return result;
  }

  /** Back to `versionId`, or by default to the version active before the current one. */
  async rollback(
    module: string,
    actor: string,
    versionId?: string,
    reason: ActivationReason = 'rollback',
    /** Only roll back if this version is still the active one (the canary's compare-and-swap). */
    expectedActiveId?: string,
  ): Promise<ActivationResult> {
    const entity = await this.store.getModule(module);
    const target = versionId ?? (await this.store.previousActiveVersionId(entity.id, entity.activeVersionId));
    if (!target)
      throw new HotReloadError(
        'no_active_version',
        `module ${module} has no earlier version to roll back to`,
      );
    const result = await this.store.activate(entity.id, target, {
      reason,
      actor,
      expectedActiveId,
      maxCases: this.config.pipeline.maxCasesPerModule,
      watch: this.watchFor(reason),
    });
    if (result.activated && result.fromVersionId !== result.toVersionId) {
      emit(EVENTS.rollback, {
        module,
        fromVersionId: result.fromVersionId,
        toVersionId: result.toVersionId,
        seq: result.seq,
        reason,
      });
    }
    await this.propagate(module, result, reason);
    return result;
  }

  /** Every switch is watched cluster-wide by the analyser, from the module's canary settings. */
  private watchFor(reason: ActivationReason): WatchPlanner {
    return (module, target) => watchPlan(this.config.canary, module.settings, reason, target.authorRole);
  }

  private async propagate(
    module: string,
    result: ActivationResult,
    reason: string,
    warm?: LoadedVersion,
  ): Promise<void> {
    if (!result.activated) return;
    await this.announceAborted(module, result, reason);
    this.logger.log(`${module}: version ${result.seq} activated (${reason})`);
    const [active] = await this.store.activeVersions(module);
    if (active?.versionId === result.toVersionId && warm) {
      if (!(await this.reconciler.adopt(active, warm))) warm.dispose();
    } else {
      warm?.dispose();
      await this.reconciler.syncModule(module);
    }
    // After this node serves it: a client that saw the event finds the version here. Also the other nodes' hint.
    await this.bus.publish({
      type: reason === 'gates' || reason === 'manual' ? 'module.activated' : 'module.rolled_back',
      module,
      versionId: result.toVersionId,
      fromVersionId: result.fromVersionId,
      seq: result.seq,
      reason,
    });
  }

  /**
   * Any activation but a rollout's own promotion ended the module's open rollout in its transaction (recorded as
   * its last decision), so the stable version it was measured against never changes under it: nodes are told.
   */
  private async announceAborted(module: string, result: ActivationResult, reason: string): Promise<void> {
    for (const rollout of result.abortedRollouts) {
      this.logger.log(`${module}: rollout ${rollout.id} aborted by an activation (${reason})`);
      await this.bus.publish({
        type: 'rollout.changed',
        module,
        rolloutId: rollout.id,
        versionId: rollout.versionId,
        status: 'aborted',
        step: rollout.step,
        weight: 0,
      });
    }
  }
}
