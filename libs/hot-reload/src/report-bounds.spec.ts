import { type CaseResult, isPreview, utf8Bytes } from '@seed/code-store';
import { summariseCascade } from './cascade-stages';
import { boundDiagnostics, boundReport } from './report-bounds';

const MB = 1024 * 1024;
const failing = (i: number): CaseResult => ({
  name: `case-${i}`,
  kind: 'case',
  passed: false,
  latencyMs: 1,
  input: { i },
  expected: 'small',
  actual: 'y'.repeat(MB),
  logs: ['z'.repeat(10_000), 'second line'],
});

/** The report of these case results, as the cascade builds it. */
const reportOf = (results: CaseResult[]) =>
  summariseCascade([{ stage: 'visible', results }], 'visible', 0).report;

describe('report bounds', () => {
  it('keeps a small report as it is', () => {
    const report = reportOf([{ name: 'ok', kind: 'case', passed: true, latencyMs: 2 }]);
    expect(boundReport(report, { valueBytes: 2048, reportBytes: 65_536 })).toEqual(report);
  });

  it('bounds 50 failing cases of 1 MB each, noting the full size and keeping the first cases detailed', () => {
    const report = reportOf(Array.from({ length: 50 }, (_, i) => failing(i)));
    const bounded = boundReport(report, { valueBytes: 2048, reportBytes: 65_536 });
    expect(utf8Bytes(JSON.stringify(bounded))).toBeLessThanOrEqual(65_536);
    expect(bounded).toMatchObject({ passed: 0, failed: 50, truncated: true });
    expect(bounded.bytes).toBeGreaterThan(50 * MB);
    expect(bounded.cases).toHaveLength(50);
    expect(bounded.cases[0].actual).toEqual({ preview: expect.any(String), bytes: MB + 2, truncated: true });
    expect(bounded.cases[0].input).toEqual({ i: 0 });
    expect(bounded.cases[0].logs).toHaveLength(2);
    expect(bounded.cases.at(-1)).toEqual({
      name: 'case-49',
      kind: 'case',
      passed: false,
      latencyMs: 1,
      detailsOmitted: true,
    });
  });

  it('leaves cases out at the end when even their names do not fit', () => {
    const report = reportOf(
      Array.from(
        { length: 2000 },
        (_, i) => ({ name: `c${i}`, kind: 'case', passed: true, latencyMs: 1 }) as const,
      ),
    );
    const bounded = boundReport(report, { valueBytes: 2048, reportBytes: 4096 });
    expect(utf8Bytes(JSON.stringify(bounded))).toBeLessThanOrEqual(4096);
    expect(bounded.omittedCases! + bounded.cases.length).toBe(2000);
    expect(bounded.passed).toBe(2000);
  });

  it('bounds each diagnostic value and message', () => {
    const [d] = boundDiagnostics(
      [{ stage: 'validate', message: 'm'.repeat(MB), actual: ['a'.repeat(MB)] }],
      2048,
    );
    expect(utf8Bytes(d.message)).toBeLessThan(2100);
    expect(isPreview(d.actual)).toBe(true);
    expect(d).not.toHaveProperty('input');
  });
});
