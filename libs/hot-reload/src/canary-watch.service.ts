import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { CodeStoreRepository, ModuleSettings } from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { ActivationService } from './activation.service.js';
import {
  adminActivation,
  CallStats,
  canaryPolicy,
  canaryVerdict,
  errorRate,
  ModuleCanaryPolicy,
} from './canary.js';
import { Reconciler } from './reconciler.service.js';

interface Watch {
  candidateId: string;
  predecessorId: string;
  predecessor: CallStats;
  policy: ModuleCanaryPolicy;
  until: number;
  /** Callers (token names) with at least one failed call on the candidate. */
  failingCallers: Set<string>;
}

/**
 * Watches each activation on this node: the new version's module failures over the canary window against
 * its predecessor's. Past the threshold it rolls the module back (reason `canary`), as a compare-and-swap
 * so several nodes reaching the same verdict roll back once.
 */
@Injectable()
export class CanaryWatch implements OnModuleInit {
  private readonly logger = new Logger('Canary');
  private readonly stats = new Map<string, Map<string, CallStats>>();
  private readonly watches = new Map<string, Watch>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reconciler: Reconciler,
    private readonly activation: ActivationService,
    private readonly store: CodeStoreRepository,
  ) {}

  onModuleInit(): void {
    this.reconciler.onSwap((swap) =>
      this.started(swap.module, swap.fromVersionId, swap.toVersionId, swap.settings, Date.now()),
    );
  }

  started(
    module: string,
    fromVersionId: string | null,
    toVersionId: string,
    settings: ModuleSettings,
    now: number,
  ): void {
    const versions = this.stats.get(module) ?? new Map<string, CallStats>();
    const predecessor = fromVersionId
      ? (versions.get(fromVersionId) ?? { calls: 0, failures: 0 })
      : undefined;
    // Only the two versions being compared are kept, so the map stays bounded by the modules.
    versions.clear();
    if (fromVersionId && predecessor) versions.set(fromVersionId, predecessor);
    versions.set(toVersionId, { calls: 0, failures: 0 });
    this.stats.set(module, versions);
    this.watches.delete(module);
    const policy = canaryPolicy(this.config.canary, settings);
    if (!fromVersionId || !predecessor || !policy.enabled) return;
    this.watches.set(module, {
      candidateId: toVersionId,
      predecessorId: fromVersionId,
      predecessor: { ...predecessor },
      policy,
      until: now + policy.windowMs,
      failingCallers: new Set(),
    });
  }

  /**
   * Called for every invocation; `failed` means the module's own fault (not overload, shutdown or a refused
   * input). `caller` is who called (the token's name).
   */
  record(module: string, versionId: string, failed: boolean, caller: string, now = Date.now()): void {
    const versions = this.stats.get(module);
    const stats = versions?.get(versionId);
    if (!stats) {
      versions?.set(versionId, { calls: 1, failures: failed ? 1 : 0 });
      if (!versions) this.stats.set(module, new Map([[versionId, { calls: 1, failures: failed ? 1 : 0 }]]));
      return;
    }
    stats.calls++;
    if (failed) stats.failures++;
    const watch = this.watches.get(module);
    if (!watch || watch.candidateId !== versionId) return;
    if (now > watch.until) {
      this.watches.delete(module);
      return;
    }
    if (failed) watch.failingCallers.add(caller);
    if (canaryVerdict(stats, watch.predecessor, watch.policy, watch.failingCallers.size) !== 'rollback')
      return;
    this.watches.delete(module);
    void this.rollBack(module, watch, stats).catch((e: Error) =>
      this.logger.error(`canary rollback of ${module} failed: ${e.message}`),
    );
  }

  private async rollBack(module: string, watch: Watch, stats: CallStats): Promise<void> {
    const message =
      `error rate ${pct(errorRate(stats))} over ${stats.calls} calls from ${watch.failingCallers.size} failing ` +
      `callers against ${pct(errorRate(watch.predecessor))} for the predecessor (threshold +${pct(watch.policy.threshold)})`;
    if (!watch.policy.rollbackAdminActivations && (await this.activatedByAdmin(module, watch.candidateId))) {
      this.logger.warn(`${module}: not rolled back, an admin activated it: ${message}`);
      return this.note(watch.candidateId, `not rolled back by canary (an admin's activation): ${message}`);
    }
    const result = await this.activation.rollback(
      module,
      'system:canary',
      watch.predecessorId,
      'canary',
      watch.candidateId,
    );
    if (!result.activated) return;
    this.logger.warn(`${module}: rolled back by canary: ${message}`);
    await this.note(watch.candidateId, `rolled back by canary: ${message}`);
  }

  private async note(versionId: string, message: string): Promise<void> {
    const version = await this.store.findVersion(versionId);
    await this.store.updateVersion(versionId, {
      diagnostics: [...(version?.diagnostics ?? []), { stage: 'activate', message }],
    });
  }

  private async activatedByAdmin(module: string, versionId: string): Promise<boolean> {
    const entity = await this.store.getModule(module);
    const [activation] = (await this.store.listActivations(entity.id, { limit: 1, offset: 0 })).items;
    const version = await this.store.findVersion(versionId);
    if (!activation || !version || activation.toVersionId !== versionId) return false;
    return adminActivation(activation.reason, version.authorRole);
  }
}

function pct(rate: number): string {
  return `${Math.round(rate * 1000) / 10}%`;
}
