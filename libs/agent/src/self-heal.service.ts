import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { CodeStoreRepository } from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { type CallStats, InvocationService } from '@seed/hot-reload';
import { AgentError, AgentStore, RecentErrors } from '@seed/integrations';
import { ImprovementError } from './improvement.errors.js';
import { ImprovementRunsRepository } from './improvement-runs.repository.js';
import { ImprovementsService } from './improvements.service.js';
import {
  observe,
  type SelfHealPolicy,
  selfHealRequest,
  selfHealVerdict,
  type WindowStats,
} from './self-heal.js';

/**
 * Self-healing (SELF_HEAL_ENABLED, off by default): counts each module's calls on this node as the canary
 * does (successes and the module's own failures) in a window of SELF_HEAL_WINDOW, and when the error rate
 * passes SELF_HEAL_THRESHOLD over at least SELF_HEAL_MIN_CALLS calls, starts an improvement run with the
 * failing inputs as goal cases: at most once per SELF_HEAL_COOLDOWN across the cluster, never beside another
 * run of the module.
 */
@Injectable()
export class SelfHealService implements OnModuleInit {
  private readonly logger = new Logger('SelfHeal');
  private readonly stats = new Map<string, WindowStats>();
  private readonly lastScheduled = new Map<string, number>();
  private readonly scheduling = new Set<string>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly invocations: InvocationService,
    private readonly store: CodeStoreRepository,
    private readonly agentStore: AgentStore,
    private readonly recentErrors: RecentErrors,
    private readonly runs: ImprovementRunsRepository,
    private readonly improvements: ImprovementsService,
  ) {}

  private get policy(): SelfHealPolicy {
    return this.config.integrations.selfHeal;
  }

  onModuleInit(): void {
    if (!this.policy.enabled || !this.config.integrations.agent.enabled) return;
    this.invocations.observe((outcome) => this.record(outcome.module, outcome.error !== undefined));
  }

  record(module: string, failed: boolean, now = Date.now()): void {
    const stats = observe(this.stats.get(module), failed, now, this.policy.windowMs);
    this.stats.set(module, stats);
    // Only a failure can push the rate past the threshold.
    if (!failed || this.scheduling.has(module)) return;
    const verdict = selfHealVerdict({
      stats,
      policy: this.policy,
      now,
      lastScheduledAt: this.lastScheduled.get(module),
    });
    if (verdict !== 'schedule') return;
    // The next verdict needs a fresh window of evidence, and this node waits out the cooldown locally too.
    this.stats.delete(module);
    this.lastScheduled.set(module, now);
    this.scheduling.add(module);
    void this.selfHeal(module, stats)
      .catch((error: Error) => this.logger.warn(`${module}: self-heal failed: ${error.message}`))
      .finally(() => this.scheduling.delete(module));
  }

  /** Starts a self-heal run of a failing module; its id, or null when nothing was started. */
  async selfHeal(moduleName: string, stats: CallStats): Promise<string | null> {
    const module = await this.store.findModule(moduleName);
    if (!module?.activeVersionId || module.settings.agent?.enabled === false) return null;
    // A running run would refuse it anyway: do not spend the cooldown on it.
    if (await this.runs.running(module.id)) return null;
    if (!(await this.agentStore.claimCooldown(moduleName, this.policy.cooldownMs))) return null;
    const [errors, cases] = await Promise.all([
      this.recentErrors.list(moduleName),
      this.store.listTests(module.id),
    ]);
    const request = selfHealRequest({
      module: moduleName,
      stats,
      windowMs: this.policy.windowMs,
      errors,
      existingCaseNames: new Set(cases.map((c) => c.name)),
    });
    try {
      const { runId } = await this.improvements.start(moduleName, request, 'system:self-heal', 'self-heal');
      this.logger.warn(
        `${moduleName}: self-heal started (${stats.failures}/${stats.calls} calls failed): ${runId}`,
      );
      return runId;
    } catch (error) {
      if (!(error instanceof AgentError || error instanceof ImprovementError)) throw error;
      this.logger.warn(`${moduleName}: self-heal not started: ${error.message}`);
      return null;
    }
  }
}
