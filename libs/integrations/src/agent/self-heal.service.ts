import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { InvocationService } from '@seed/hot-reload';
import { AgentService } from './agent.service.js';
import { observe, type SelfHealPolicy, selfHealVerdict, type WindowStats } from './self-heal.js';

/**
 * Self-healing (SELF_HEAL_ENABLED, off by default): counts each module's calls on this node as the canary
 * does (successes and the module's own failures) in a window of SELF_HEAL_WINDOW, and when the error rate
 * passes SELF_HEAL_THRESHOLD over at least SELF_HEAL_MIN_CALLS calls, asks the agent for an improvement. The
 * cooldown and the one-in-flight rule are enforced cluster-wide by AgentService.
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
    private readonly agent: AgentService,
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
    void this.agent
      .selfHeal(module, stats)
      .catch((error: Error) => this.logger.warn(`${module}: self-heal failed: ${error.message}`))
      .finally(() => this.scheduling.delete(module));
  }
}
