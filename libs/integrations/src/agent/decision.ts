/** Pure decisions of the improving agent: data in, data out, no clock and no I/O. */

/** How one attempt ended. `pending` means its candidate is still in the pipeline. */
export type AttemptStatus =
  'pending' | 'active' | 'ready' | 'rejected' | 'superseded' | 'duplicate' | 'invalid_output';

export interface AttemptRecord {
  /** 1-based. */
  attempt: number;
  versionId: string | null;
  seq: number | null;
  status: AttemptStatus;
  /** What the next prompt tells the model about this attempt. */
  feedback: string[];
  costUsd: number;
}

/**
 * improved: a candidate went live; held: a candidate passed every gate and waits for an admin (policy);
 * exhausted: maxAttempts candidates, none passed; time_budget / cost_budget: a budget ran out first;
 * disabled: AGENT_ENABLED or the module's agent.enabled turned off while the job ran.
 */
export type AgentOutcome = 'improved' | 'held' | 'exhausted' | 'time_budget' | 'cost_budget' | 'disabled';

export interface LoopState {
  attempts: readonly AttemptRecord[];
  maxAttempts: number;
  elapsedMs: number;
  timeBudgetMs: number;
  costUsd: number;
  /** 0 turns the cost limit off. */
  costBudgetUsd: number;
  enabled: boolean;
}

export type NextStep =
  | { action: 'attempt'; attempt: number }
  | { action: 'finish'; outcome: AgentOutcome; versionId: string | null };

/** After each settled attempt (and at the start): stop with an outcome, or make the next attempt. */
export function nextStep(state: LoopState): NextStep {
  const last = state.attempts.at(-1);
  const lastVersion = last?.versionId ?? null;
  if (last?.status === 'active') return { action: 'finish', outcome: 'improved', versionId: lastVersion };
  if (last?.status === 'ready') return { action: 'finish', outcome: 'held', versionId: lastVersion };
  if (!state.enabled) return { action: 'finish', outcome: 'disabled', versionId: lastVersion };
  if (state.attempts.length >= state.maxAttempts)
    return { action: 'finish', outcome: 'exhausted', versionId: lastVersion };
  if (state.elapsedMs >= state.timeBudgetMs)
    return { action: 'finish', outcome: 'time_budget', versionId: lastVersion };
  if (state.costBudgetUsd > 0 && state.costUsd >= state.costBudgetUsd)
    return { action: 'finish', outcome: 'cost_budget', versionId: lastVersion };
  return { action: 'attempt', attempt: state.attempts.length + 1 };
}

export type RefusalCode = 'agent_disabled' | 'agent_disabled_for_module' | 'invalid_request';

export interface Refusal {
  code: RefusalCode;
  message: string;
}

/** Whether a request for an improvement may be queued at all (the daily limit and busy check need Redis). */
export function admissionRefusal(input: {
  agentEnabled: boolean;
  module: string;
  moduleAgentEnabled?: boolean;
  maxAttempts?: number;
  maxAttemptsAllowed: number;
}): Refusal | null {
  if (!input.agentEnabled)
    return { code: 'agent_disabled', message: 'the improving agent is turned off (AGENT_ENABLED=false)' };
  if (input.moduleAgentEnabled === false) {
    return {
      code: 'agent_disabled_for_module',
      message: `the improving agent is turned off for module ${input.module} (settings.agent.enabled=false)`,
    };
  }
  if (input.maxAttempts !== undefined && input.maxAttempts > input.maxAttemptsAllowed) {
    return {
      code: 'invalid_request',
      message: `maxAttempts may be at most ${input.maxAttemptsAllowed} (AGENT_MAX_ATTEMPTS)`,
    };
  }
  return null;
}

const COST_KEYS = ['costUsd', 'cost_usd', 'totalCostUsd', 'total_cost_usd'];

/**
 * The cost a model reported for one call, in USD: providers put it in their own providerMetadata entry
 * under one of a few names (the CLIs report `costUsd`). Absent means 0: subscription CLIs and most HTTP
 * providers report tokens, not money.
 */
export function reportedCostUsd(providerMetadata: unknown): number {
  if (!providerMetadata || typeof providerMetadata !== 'object') return 0;
  let total = 0;
  for (const entry of Object.values(providerMetadata as Record<string, unknown>)) {
    if (!entry || typeof entry !== 'object') continue;
    for (const key of COST_KEYS) {
      const value = (entry as Record<string, unknown>)[key];
      if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
        total += value;
        break;
      }
    }
  }
  return total;
}

/** The UTC day a daily limit counts in. */
export function dayOf(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Seconds until the next UTC day, when a daily limit starts over (at least 1). */
export function secondsUntilNextDay(now: number): number {
  const day = 24 * 3600 * 1000;
  return Math.max(1, Math.ceil((Math.floor(now / day + 1) * day - now) / 1000));
}
