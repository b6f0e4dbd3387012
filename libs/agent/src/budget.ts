/** Pure: what a model call cost, and when an improvement run stops. */

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** USD per million tokens, per model spec (config AGENT_PRICES). */
export type PriceTable = Readonly<Record<string, { input: number; output: number }>>;

/**
 * The cost of one call: what the model reported (the Claude CLI's `total_cost_usd`), else the price table's
 * rate for the model, else 0 (a subscription login, or a model nobody priced).
 */
export function callCostUsd(input: {
  model: string;
  usage: Usage;
  reportedUsd: number;
  prices: PriceTable;
}): number {
  if (input.reportedUsd > 0) return input.reportedUsd;
  const price = input.prices[input.model];
  if (!price) return 0;
  return (input.usage.inputTokens * price.input + input.usage.outputTokens * price.output) / 1_000_000;
}

export interface RunBudget {
  /** 0 = no limit, for each. */
  maxTokens: number;
  maxCostUsd: number;
  maxMs: number;
}

export type StopReason = 'solved' | 'budget' | 'rounds' | 'no_progress' | 'cancelled' | 'disabled';

export interface RunState {
  roundsDone: number;
  rounds: number;
  tokens: number;
  costUsd: number;
  elapsedMs: number;
  budget: RunBudget;
  /** A candidate of the last round was not generated: the token or cost gate had nothing left for its call. */
  budgetExhausted?: boolean;
  /** The module's spend today across runs, and its daily limit (0 = none). */
  moduleCostTodayUsd: number;
  moduleDailyCostUsd: number;
  /** A candidate of the last round went live or is held at `ready`. */
  solved: boolean;
  /** Rounds in a row whose best utility did not beat the best before them. */
  roundsWithoutProgress: number;
  patience: number;
  cancelled: boolean;
  enabled: boolean;
}

/** Before each round: the reason to stop, or null to run another. Cancellation and the switch win. */
export function stopReason(state: RunState): StopReason | null {
  if (state.cancelled) return 'cancelled';
  if (!state.enabled) return 'disabled';
  if (state.solved) return 'solved';
  if (overBudget(state)) return 'budget';
  if (state.roundsDone >= state.rounds) return 'rounds';
  if (state.patience > 0 && state.roundsWithoutProgress >= state.patience) return 'no_progress';
  return null;
}

export function overBudget(
  state: Pick<
    RunState,
    | 'tokens'
    | 'budgetExhausted'
    | 'costUsd'
    | 'elapsedMs'
    | 'budget'
    | 'moduleCostTodayUsd'
    | 'moduleDailyCostUsd'
  >,
): boolean {
  const { budget } = state;
  return (
    state.budgetExhausted === true ||
    (budget.maxTokens > 0 && state.tokens >= budget.maxTokens) ||
    (budget.maxCostUsd > 0 && state.costUsd >= budget.maxCostUsd) ||
    (budget.maxMs > 0 && state.elapsedMs >= budget.maxMs) ||
    (state.moduleDailyCostUsd > 0 && state.moduleCostTodayUsd >= state.moduleDailyCostUsd)
  );
}
