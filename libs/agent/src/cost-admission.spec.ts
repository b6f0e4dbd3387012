import { costAdmission, type CostAdmissionState, promptTokenEstimate } from './cost-admission';

// $1 per million input tokens, $1000 per million output tokens: a 100-token answer costs $0.1.
const priced: CostAdmissionState = {
  limitUsd: 0.25,
  spentUsd: 0,
  reservedUsd: 0,
  inFlight: 0,
  price: { input: 1, output: 1000 },
  promptTokens: 1000,
  maxOutputTokens: 100,
  largestCallUsd: null,
};

describe('costAdmission', () => {
  it('reserves a priced call its worst case, prompt plus its whole output allowance', () => {
    expect(costAdmission(priced)).toEqual({ kind: 'admit', reserveUsd: 0.101, maxOutputTokens: 100 });
    expect(costAdmission({ ...priced, reservedUsd: 0.101, inFlight: 1 })).toMatchObject({ kind: 'admit' });
  });

  it('makes a priced call that does not fit wait while others run, then answer within what is left', () => {
    expect(costAdmission({ ...priced, reservedUsd: 0.202, inFlight: 2 })).toEqual({ kind: 'wait' });
    // 0.05 left: the prompt takes 0.001, 49 output tokens 0.049 (48 once floating point rounds it down).
    const tight = costAdmission({ ...priced, spentUsd: 0.2 });
    if (tight.kind !== 'admit') throw new Error(`admitted nothing: ${tight.kind}`);
    expect([48, 49]).toContain(tight.maxOutputTokens);
    expect(tight.reserveUsd).toBeCloseTo(0.001 + tight.maxOutputTokens! * 0.001, 12);
    expect(tight.reserveUsd).toBeLessThanOrEqual(0.05);
    // Not even one output token after the prompt: no call.
    expect(costAdmission({ ...priced, spentUsd: 0.2495 })).toEqual({ kind: 'refuse' });
  });

  it('never admits priced reservations beyond the limit, whatever the order', () => {
    let state = { ...priced };
    const reservations: number[] = [];
    for (;;) {
      const decision = costAdmission(state);
      if (decision.kind !== 'admit') break;
      reservations.push(decision.reserveUsd);
      state = {
        ...state,
        reservedUsd: state.reservedUsd + decision.reserveUsd,
        inFlight: state.inFlight + 1,
      };
    }
    expect(reservations).toHaveLength(2);
    expect(reservations.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(priced.limitUsd);
  });

  it('runs an unpriced run’s first call alone, then reserves the dearest call so far', () => {
    const unpriced = { ...priced, price: null };
    expect(costAdmission(unpriced)).toEqual({ kind: 'admit', reserveUsd: 0 });
    expect(costAdmission({ ...unpriced, inFlight: 1 })).toEqual({ kind: 'wait' });
    const known = { ...unpriced, largestCallUsd: 0.1 };
    expect(costAdmission({ ...known, reservedUsd: 0.1, inFlight: 1 })).toEqual({
      kind: 'admit',
      reserveUsd: 0.1,
    });
    expect(costAdmission({ ...known, reservedUsd: 0.2, inFlight: 2 })).toEqual({ kind: 'wait' });
    // Alone, it may spend what is left (and is known only afterwards).
    expect(costAdmission({ ...known, spentUsd: 0.2 })).toEqual({
      kind: 'admit',
      reserveUsd: expect.closeTo(0.05, 12),
    });
    expect(costAdmission({ ...known, spentUsd: 0.25 })).toEqual({ kind: 'refuse' });
  });

  it('makes no unpriced call once nothing is left, unless calls are known to cost nothing', () => {
    const unpriced = { ...priced, price: null, spentUsd: 0.25 };
    expect(costAdmission(unpriced)).toEqual({ kind: 'refuse' });
    expect(costAdmission({ ...unpriced, inFlight: 1 })).toEqual({ kind: 'wait' });
    expect(costAdmission({ ...unpriced, largestCallUsd: 0 })).toEqual({ kind: 'admit', reserveUsd: 0 });
  });

  it('lets calls of a model that answers at no cost all run at once', () => {
    const free = { ...priced, price: null, largestCallUsd: 0, inFlight: 7 };
    expect(costAdmission(free)).toEqual({ kind: 'admit', reserveUsd: 0 });
  });

  it('counts a prompt on the safe side of 4 characters a token', () => {
    expect(promptTokenEstimate('x'.repeat(3000))).toBeGreaterThan(3000 / 4);
  });
});
