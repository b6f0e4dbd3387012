import {
  type CaseResult,
  type Diagnostic,
  previewText,
  previewValue,
  type TestReport,
  utf8Bytes,
} from '@seed/code-store';

/**
 * Pure: what the pipeline keeps of a candidate's results. Its outputs are untrusted and may each be as large
 * as the sandbox allows; every copy (the stored report, diagnostics, the job's result, bus events) holds
 * previews of at most `valueBytes` per value, and a report holds at most about `reportBytes` in all.
 */
/** Room kept for the note a cut report carries (truncated, bytes, omittedCases). */
const NOTE_BYTES = 64;

export interface ReportBounds {
  valueBytes: number;
  reportBytes: number;
}

/** Cases' details shrunk to previews; past `reportBytes`, later cases lose their details, then are left out. */
export function boundReport(report: TestReport, bounds: ReportBounds): TestReport {
  const sizes: number[] = [];
  let fullBytes = 0;
  const cases = report.cases.map((c) => {
    fullBytes += jsonBytes(c) + 1;
    const bounded = previewCase(c, bounds.valueBytes);
    const size = jsonBytes(bounded);
    sizes.push(size);
    return bounded;
  });
  const overhead = jsonBytes({ ...report, cases: [] });
  fullBytes += overhead;
  let size = overhead + sizes.reduce((sum, s) => sum + s + 1, 0);
  let cut = size < fullBytes;
  const budget = bounds.reportBytes - NOTE_BYTES;
  // The first failing cases become the diagnostics: keep their details longest.
  for (let i = cases.length - 1; i >= 0 && size > budget; i--) {
    if (!hasDetails(cases[i])) continue;
    cases[i] = slimCase(cases[i]);
    const slim = jsonBytes(cases[i]);
    size -= sizes[i] - slim;
    sizes[i] = slim;
    cut = true;
  }
  let omitted = 0;
  while (size > budget && cases.length > 0) {
    cases.pop();
    size -= sizes.pop()! + 1;
    omitted++;
  }
  if (!cut && omitted === 0) return { ...report, cases };
  return {
    ...report,
    cases,
    truncated: true,
    bytes: fullBytes,
    ...(omitted ? { omittedCases: omitted } : {}),
  };
}

export function boundDiagnostics(diagnostics: readonly Diagnostic[], valueBytes: number): Diagnostic[] {
  return diagnostics.map((d) => {
    const bounded: Diagnostic = { ...d, message: previewText(d.message, valueBytes) };
    for (const key of ['input', 'expected', 'actual'] as const)
      if (key in d) bounded[key] = previewValue(d[key], valueBytes);
    return bounded;
  });
}

function previewCase(c: CaseResult, valueBytes: number): CaseResult {
  const bounded: CaseResult = { ...c };
  for (const key of ['input', 'expected', 'actual'] as const)
    if (key in c) bounded[key] = previewValue(c[key], valueBytes);
  if (c.error) bounded.error = { ...c.error, message: previewText(c.error.message, valueBytes) };
  if (c.logs) bounded.logs = boundLogs(c.logs, valueBytes);
  return bounded;
}

/** The first lines that fit in `maxBytes` together, and a line saying how many were left out. */
function boundLogs(logs: readonly string[], maxBytes: number): string[] {
  const kept: string[] = [];
  let used = 0;
  for (const line of logs) {
    const shown = previewText(line, maxBytes);
    used += utf8Bytes(shown);
    if (used > maxBytes && kept.length > 0) {
      kept.push(`… ${logs.length - kept.length} more line(s) left out`);
      break;
    }
    kept.push(shown);
  }
  return kept;
}

function hasDetails(c: CaseResult): boolean {
  return c.input !== undefined || c.expected !== undefined || c.actual !== undefined || !!c.logs;
}

function slimCase(c: CaseResult): CaseResult {
  return {
    name: previewText(c.name, 200),
    kind: c.kind,
    passed: c.passed,
    latencyMs: c.latencyMs,
    ...(c.error
      ? { error: { code: c.error.code, message: previewText(c.error.message, 200), line: c.error.line } }
      : {}),
    detailsOmitted: true,
  };
}

function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value));
}
