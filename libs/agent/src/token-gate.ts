/** What one model call is expected to cost: the largest usage a call of the run has reported so far. */
export interface CallEstimate {
  tokens: number;
  inputTokens: number;
}

/** Leave to make one model call; `release` records what it reported and frees its reservation. */
export interface TokenGrant {
  /** A cap for the call's output when the budget is too tight for a whole call, else undefined. */
  readonly maxOutputTokens?: number;
  release(usage: { inputTokens: number; outputTokens: number }): void;
}

const UNLIMITED: TokenGrant = { release: () => undefined };

/**
 * A run's token budget (maxTokens) across the concurrent model calls of one round. Before a call starts it
 * reserves what a call is expected to cost (the largest usage seen in the run); calls run at once only while the
 * free budget (maxTokens − spent − reserved) covers every reservation, so once the budget is tight candidates are
 * generated one at a time, and the last one is asked to keep its output within what is left. The first call of a
 * run runs alone, as nothing is known yet of what a call costs. So the total passes maxTokens only by what a call
 * reports beyond its reservation. When what is free would not even hold a call's prompt and no call runs,
 * `acquire` answers null: no more calls.
 */
export class TokenGate {
  private spent: number;
  private reserved = 0;
  private inFlight = 0;
  private estimate: CallEstimate | null;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly maxTokens: number,
    spent: number,
    estimate: CallEstimate | null,
  ) {
    this.spent = spent;
    this.estimate = estimate;
  }

  /** The tokens the calls released so far reported, with what the gate started from. */
  get total(): number {
    return this.spent;
  }

  async acquire(): Promise<TokenGrant | null> {
    if (this.maxTokens <= 0) return UNLIMITED;
    for (;;) {
      const free = this.maxTokens - this.spent - this.reserved;
      if (this.inFlight === 0) {
        // Not even a prompt's worth is left: no call could answer within the budget.
        if (free <= (this.estimate?.inputTokens ?? 0)) return null;
        const tight = !this.estimate || free < this.estimate.tokens;
        const cap = free - (this.estimate?.inputTokens ?? 0);
        return this.grant(Math.min(free, this.estimate?.tokens ?? free), tight ? cap : undefined);
      }
      if (this.estimate && free >= this.estimate.tokens) return this.grant(this.estimate.tokens, undefined);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private grant(reservation: number, maxOutputTokens: number | undefined): TokenGrant {
    this.reserved += reservation;
    this.inFlight++;
    let released = false;
    return {
      ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
      release: (usage) => {
        if (released) return;
        released = true;
        const tokens = usage.inputTokens + usage.outputTokens;
        this.reserved -= reservation;
        this.inFlight--;
        this.spent += tokens;
        // A call that reported nothing (it failed) says nothing about what the next one costs.
        if (tokens > 0 && (!this.estimate || tokens > this.estimate.tokens))
          this.estimate = { tokens, inputTokens: usage.inputTokens };
        for (const wake of this.waiting.splice(0)) wake();
      },
    };
  }
}
