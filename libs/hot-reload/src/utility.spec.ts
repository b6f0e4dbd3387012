import { moduleSettingsSchema } from '@seed/code-store';
import { utility, utilityPolicy, weighsMoreThanCorrectness } from './utility.js';

const score = (ratio: number, medianLatencyMs = 10, sourceBytes = 1000) => ({
  ratio,
  medianLatencyMs,
  sourceBytes,
});

describe('utility', () => {
  it('is correctness alone under the default objective', () => {
    expect(utility(score(1))).toBe(1);
    expect(utility(score(0.5, 1e6, 1e9))).toBe(0.5);
    expect(utility(score(0.5), { latencyWeight: 0.5 })).toBe(0.25);
  });

  it('weighs latency and size SICA-style, each term 1 at zero and 0 at its reference', () => {
    const objective = { latencyWeight: 0.25, sizeWeight: 0.25, latencyRefMs: 100, sizeRefBytes: 10_000 };
    expect(utility(score(1, 0, 0), objective)).toBe(1);
    expect(utility(score(1, 50, 5000), objective)).toBe(0.75);
    expect(utility(score(1, 500, 50_000), objective)).toBe(0.5);
  });

  it('keeps correctness first: any version passing every case outranks one that fails a case', () => {
    const objective = { latencyWeight: 0.5 };
    const correctButSlow = utility(score(1, 1e9), objective);
    const fastButWrong = utility(score(0.99, 0), objective);
    expect(correctButSlow).toBeGreaterThan(fastButWrong);
  });

  it('refuses objective weights that would let the other terms outweigh correctness', () => {
    expect(
      moduleSettingsSchema.safeParse({ objective: { latencyWeight: 0.3, sizeWeight: 0.3 } }).success,
    ).toBe(false);
    expect(
      moduleSettingsSchema.safeParse({ objective: { latencyWeight: 0.3, sizeWeight: 0.2 } }).success,
    ).toBe(true);
  });

  it('treats missing measurements of older score records as free', () => {
    expect(utility({ ratio: 1, medianLatencyMs: 0 }, { sizeWeight: 0.5 })).toBe(1);
  });
});

describe('utilityPolicy', () => {
  const objective = { latencyWeight: 0.5, latencyRefMs: 100 };

  it('refuses a slower candidate when the objective weighs latency', () => {
    const verdict = utilityPolicy({ candidate: score(1, 80), active: score(1, 10), objective });
    expect(verdict.allowed).toBe(false);
    expect(verdict.reason).toMatch(/below the active version's/);
  });

  it('allows the same slower candidate when the objective weighs correctness only', () => {
    expect(utilityPolicy({ candidate: score(1, 80), active: score(1, 10) }).allowed).toBe(true);
  });

  it('counts a latency within the tolerance as equal (noise)', () => {
    expect(utilityPolicy({ candidate: score(1, 11.5), active: score(1, 10), objective }).allowed).toBe(true);
    expect(
      utilityPolicy({
        candidate: score(1, 11.5),
        active: score(1, 10),
        objective,
        policy: { latencyTolerance: 0 },
      }).allowed,
    ).toBe(false);
  });

  it('allows a fall within the margin', () => {
    const policy = { utilityMargin: 0.2, latencyTolerance: 0 };
    expect(utilityPolicy({ candidate: score(1, 40), active: score(1, 10), objective, policy }).allowed).toBe(
      true,
    );
    expect(utilityPolicy({ candidate: score(1, 90), active: score(1, 10), objective, policy }).allowed).toBe(
      false,
    );
  });

  it('says when the active version must be measured too', () => {
    expect(weighsMoreThanCorrectness(undefined)).toBe(false);
    expect(weighsMoreThanCorrectness({ sizeWeight: 0.1 })).toBe(true);
  });
});
