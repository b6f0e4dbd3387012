/** Pure: whether a model call may start within what is left of a cost budget, and what it reserves. */

export interface Price {
  /** USD per million tokens. */
  input: number;
  output: number;
}

export interface CostAdmissionState {
  /** USD the budget has left for this round's calls (spent before the gate started already taken off). */
  limitUsd: number;
  /** What the calls released so far cost, and what the calls still running reserved. */
  spentUsd: number;
  reservedUsd: number;
  inFlight: number;
  /** The model's price (AGENT_PRICES), or null when it has none (it reports its cost only afterwards). */
  price: Price | null;
  /** The call's prompt, in tokens (promptTokenEstimate: on the safe side). */
  promptTokens: number;
  /** The most a priced call may answer (AGENT_MAX_OUTPUT_TOKENS): what bounds its worst case. */
  maxOutputTokens: number;
  /** Unpriced: the dearest call of the run so far, or null while no call has ended. */
  largestCallUsd: number | null;
}

export type CostAdmission =
  | { kind: 'admit'; reserveUsd: number; maxOutputTokens?: number }
  /** Calls are running: what they give back may let this one start. */
  | { kind: 'wait' }
  /** Nothing runs and nothing is left for a call: no more calls. */
  | { kind: 'refuse' };

/**
 * A priced call reserves its worst case, its prompt plus `maxOutputTokens` of output at the price, and is asked
 * to keep its output within it; calls run at once while what is free covers each one's worst case. When it does
 * not, a call waits until it runs alone, and then answers within what is left (fewer output tokens), so the
 * priced total never passes the limit (the model keeps to maxOutputTokens; the prompt is over-estimated).
 *
 * An unpriced call's cost is known only once it ends (the Claude CLI's `total_cost_usd`): it reserves the
 * dearest call of the run so far, the first call of a run runs alone, and a call that would not fit runs alone
 * on what is left. So the total passes the limit by at most what one call costs beyond the dearest before it.
 */
export function costAdmission(state: CostAdmissionState): CostAdmission {
  const free = state.limitUsd - state.spentUsd - state.reservedUsd;
  const alone = state.inFlight === 0;
  if (state.price) {
    const promptUsd = (state.promptTokens * state.price.input) / 1_000_000;
    const worstUsd = promptUsd + (state.maxOutputTokens * state.price.output) / 1_000_000;
    if (free >= worstUsd)
      return { kind: 'admit', reserveUsd: worstUsd, maxOutputTokens: state.maxOutputTokens };
    if (!alone) return { kind: 'wait' };
    const cap =
      state.price.output > 0
        ? Math.min(state.maxOutputTokens, Math.floor(((free - promptUsd) * 1_000_000) / state.price.output))
        : 0;
    if (cap < 1) return { kind: 'refuse' };
    return {
      kind: 'admit',
      reserveUsd: promptUsd + (cap * state.price.output) / 1_000_000,
      maxOutputTokens: cap,
    };
  }
  // Calls known to cost nothing run whatever is left; any other needs something left.
  if (free <= 0 && state.largestCallUsd !== 0) return alone ? { kind: 'refuse' } : { kind: 'wait' };
  if (state.largestCallUsd === null) return alone ? { kind: 'admit', reserveUsd: 0 } : { kind: 'wait' };
  if (free >= state.largestCallUsd) return { kind: 'admit', reserveUsd: state.largestCallUsd };
  if (!alone) return { kind: 'wait' };
  return { kind: 'admit', reserveUsd: free };
}

/**
 * A prompt's size in tokens on the safe side: a token is 3 to 4 characters of code or English, counted here as
 * 3, plus room for the answer's JSON schema and the provider's framing.
 */
export function promptTokenEstimate(text: string): number {
  return Math.ceil(text.length / 3) + 256;
}
