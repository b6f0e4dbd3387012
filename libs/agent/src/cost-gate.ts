import { costAdmission, type Price, promptTokenEstimate } from './cost-admission.js';

/** Leave to make one model call within the cost budget; `release` settles its reservation to what it cost. */
export interface CostGrant {
  /** The output cap that bounds a priced call's worst case, else undefined. */
  readonly maxOutputTokens?: number;
  /** `answered`: the model answered (a call that failed tells nothing of what a call costs). */
  release(costUsd: number, answered: boolean): void;
}

export interface CostGateOptions {
  /** USD left for this round's calls (0 or less: nothing), or null: no cost limit at all. */
  limitUsd: number | null;
  /** What the limit is, for a candidate it leaves without a call: "the run's cost budget". */
  what: string;
  price: Price | null;
  maxOutputTokens: number;
  /** Unpriced: the dearest call the run recorded before this round, or null. */
  largestCallUsd: number | null;
}

const UNLIMITED: CostGrant = { release: () => undefined };

/**
 * A run's cost budget (the lower of maxCostUsd and the module's AGENT_DAILY_COST_USD, less what was spent)
 * across the concurrent model calls of one round, as the token gate does for tokens: each call reserves its
 * worst case before it starts (costAdmission decides) and settles to what it cost when it ends, failed or not.
 */
export class CostGate {
  private spent = 0;
  private reserved = 0;
  private inFlight = 0;
  private largest: number | null;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly options: CostGateOptions) {
    this.largest = options.largestCallUsd;
  }

  get what(): string {
    return this.options.what;
  }

  /** What the calls released so far cost. */
  get total(): number {
    return this.spent;
  }

  /** Leave for a call with this prompt, once it fits; null when nothing is left for one. */
  async acquire(prompt: string): Promise<CostGrant | null> {
    const { limitUsd } = this.options;
    if (limitUsd === null) return UNLIMITED;
    const promptTokens = promptTokenEstimate(prompt);
    for (;;) {
      const decision = costAdmission({
        limitUsd,
        spentUsd: this.spent,
        reservedUsd: this.reserved,
        inFlight: this.inFlight,
        price: this.options.price,
        promptTokens,
        maxOutputTokens: this.options.maxOutputTokens,
        largestCallUsd: this.largest,
      });
      if (decision.kind === 'refuse') return null;
      if (decision.kind === 'admit') return this.grant(decision.reserveUsd, decision.maxOutputTokens);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private grant(reservation: number, maxOutputTokens: number | undefined): CostGrant {
    this.reserved += reservation;
    this.inFlight++;
    let released = false;
    return {
      ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
      release: (costUsd, answered) => {
        if (released) return;
        released = true;
        this.reserved -= reservation;
        this.inFlight--;
        this.spent += costUsd;
        // An answer at no cost (a subscription CLI, a local model) says calls are free: they all run at once.
        if (answered || costUsd > 0) this.largest = Math.max(this.largest ?? 0, costUsd);
        for (const wake of this.waiting.splice(0)) wake();
      },
    };
  }
}
