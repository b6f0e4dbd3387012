import type { ModuleSettings, VersionScore } from '@seed/code-store';

/** Pure: a score and a module's objective → one utility; the activation policy that compares two. */

export type Objective = NonNullable<ModuleSettings['objective']>;
export type ActivationPolicy = NonNullable<ModuleSettings['policy']>;

export const OBJECTIVE_DEFAULTS = {
  latencyWeight: 0,
  sizeWeight: 0,
  capabilityWeight: 0,
  latencyRefMs: 100,
  sizeRefBytes: 20_000,
  capabilityRefCalls: 100,
} as const satisfies Required<Objective>;

export const POLICY_DEFAULTS = {
  utilityMargin: 0,
  latencyTolerance: 0.2,
} as const satisfies Required<ActivationPolicy>;

/** The measurements a utility weighs; a missing one costs nothing (older score records). */
export interface UtilityInput {
  score: Pick<VersionScore, 'ratio' | 'medianLatencyMs' | 'sourceBytes' | 'capabilityCalls'>;
}

/**
 * SICA's weighted sum, ordered correctness first: a version that fails a case scores `ratio·(1 − Σw)`, one
 * that passes every case `(1 − Σw) + Σ wᵢ·(1 − min(1, xᵢ / refᵢ))`. So every correct version outranks every
 * incorrect one, and among correct ones speed, size and capability use decide. In [0, 1].
 */
export function utility(score: UtilityInput['score'], objective: Objective = {}): number {
  const o = { ...OBJECTIVE_DEFAULTS, ...objective };
  const terms: Array<[number, number | undefined, number]> = [
    [o.latencyWeight, score.medianLatencyMs, o.latencyRefMs],
    [o.sizeWeight, score.sourceBytes, o.sizeRefBytes],
    [o.capabilityWeight, score.capabilityCalls, o.capabilityRefCalls],
  ];
  const weights = terms.reduce((sum, [w]) => sum + w, 0);
  const correctness = clamp01(score.ratio);
  if (correctness < 1) return round(correctness * (1 - weights));
  const secondary = terms.reduce(
    (sum, [w, x, ref]) => sum + w * (1 - Math.min(1, Math.max(0, x ?? 0) / ref)),
    0,
  );
  return round(1 - weights + secondary);
}

export interface PolicyVerdict {
  allowed: boolean;
  candidateUtility: number;
  activeUtility: number;
  reason: string;
}

/**
 * Whether a candidate may replace the active version under the module's policy: its utility must not fall
 * below the active version's by more than the margin, both scored on the same cases. A latency within the
 * tolerance of the active version's counts as equal, so noise alone never refuses a candidate.
 */
export function utilityPolicy(input: {
  candidate: UtilityInput['score'];
  active: UtilityInput['score'];
  objective?: Objective;
  policy?: ActivationPolicy;
}): PolicyVerdict {
  const { utilityMargin, latencyTolerance } = { ...POLICY_DEFAULTS, ...input.policy };
  const activeLatency = input.active.medianLatencyMs;
  const withinNoise =
    Math.abs(input.candidate.medianLatencyMs - activeLatency) <= latencyTolerance * activeLatency;
  const candidate = withinNoise ? { ...input.candidate, medianLatencyMs: activeLatency } : input.candidate;
  const candidateUtility = utility(candidate, input.objective);
  const activeUtility = utility(input.active, input.objective);
  const allowed = candidateUtility >= activeUtility - utilityMargin - 1e-9;
  return {
    allowed,
    candidateUtility,
    activeUtility,
    reason: allowed
      ? `utility ${candidateUtility} against the active version's ${activeUtility}`
      : `utility ${candidateUtility} is below the active version's ${activeUtility} by more than the margin ${utilityMargin}` +
        ` (median latency ${input.candidate.medianLatencyMs} ms against ${activeLatency} ms)`,
  };
}

/** Whether the objective weighs anything but correctness: only then is the active version measured too. */
export function weighsMoreThanCorrectness(objective: Objective | undefined): boolean {
  const o = { ...OBJECTIVE_DEFAULTS, ...objective };
  return o.latencyWeight + o.sizeWeight + o.capabilityWeight > 0;
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, Number.isFinite(x) ? x : 0));
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
