import type { CaseResult } from '@seed/code-store';
import { planCases, quantile, redactHidden, stageDiagnostics, summariseCascade } from './cascade-stages.js';

const c = (name: string, extra: { smoke?: boolean; hidden?: boolean } = {}) => ({
  name,
  input: name,
  hasExpected: false,
  ...extra,
});
const r = (name: string, passed: boolean, latencyMs = 1): CaseResult => ({
  name,
  kind: 'case',
  passed,
  latencyMs,
  ...(passed ? {} : { input: name, expected: 1, actual: 2 }),
});

describe('planCases', () => {
  it('takes the first 3 visible cases as smoke when none is marked', () => {
    const plan = planCases([c('a'), c('h', { hidden: true }), c('b'), c('c'), c('d')]);
    expect(plan.smoke.map((x) => x.name)).toEqual(['a', 'b', 'c']);
    expect(plan.visible.map((x) => x.name)).toEqual(['d']);
    expect(plan.hidden.map((x) => x.name)).toEqual(['h']);
  });

  it('takes the marked smoke cases, and never a hidden one, in exactly one stage each', () => {
    const plan = planCases([c('a'), c('b', { smoke: true }), c('h', { hidden: true, smoke: true })]);
    expect(plan.smoke.map((x) => x.name)).toEqual(['b']);
    expect(plan.visible.map((x) => x.name)).toEqual(['a']);
    expect(plan.hidden.map((x) => x.name)).toEqual(['h']);
  });
});

describe('summariseCascade', () => {
  it('records the stage reached, partial tallies apart, median and p95', () => {
    const summary = summariseCascade(
      [
        { stage: 'smoke', results: [r('a', true, 1), r('b', true, 3)] },
        { stage: 'visible', results: [r('c', true, 2)] },
        { stage: 'hidden', results: [redactHidden(r('h', false, 9), 0)] },
      ],
      'hidden',
      120,
    );
    expect(summary.failedStage).toBe('hidden');
    expect(summary.score).toMatchObject({
      passed: 3,
      total: 4,
      visible: { passed: 3, total: 3 },
      hidden: { passed: 0, total: 1 },
      medianLatencyMs: 2.5,
      p95LatencyMs: 9,
      sourceBytes: 120,
      stageReached: 'hidden',
    });
    expect(summary.score.replay).toBeUndefined();
  });

  it('keeps nothing of a hidden case but its outcome, and reports hidden failures as a count', () => {
    const hidden = redactHidden(r('secret-name', false), 1);
    expect(hidden).toEqual({ name: 'hidden-2', kind: 'hidden', passed: false, latencyMs: 1 });
    expect(stageDiagnostics({ stage: 'hidden', results: [hidden, redactHidden(r('x', false), 2)] })).toEqual([
      { stage: 'test', message: '2 of 2 hidden cases failed' },
    ]);
  });

  it('names visible failures with their details', () => {
    const [d] = stageDiagnostics({ stage: 'smoke', results: [r('a', false)] });
    expect(d).toMatchObject({ case: 'a', input: 'a', expected: 1, actual: 2 });
    expect(d.message).toContain('smoke stage');
  });

  it('computes nearest-rank quantiles', () => {
    expect(quantile([], 0.95)).toBe(0);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100], 0.95)).toBe(19);
  });
});
