/** Small statistics and formatting helpers shared by the benchmarks. */

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // nearest-rank: the smallest value with at least p% of the samples at or below it
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function summary(values) {
  if (values.length === 0) return { n: 0, mean: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN, min: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return {
    n: values.length,
    min: Math.min(...values),
    mean,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: Math.max(...values),
  };
}

/** Rounds to a few significant decimals for tables. */
export function r(value, digits = 2) {
  if (value === undefined || value === null || Number.isNaN(value)) return '—';
  if (typeof value !== 'number') return value;
  return Number(value.toFixed(digits));
}

export function mb(bytes) {
  return bytes / (1024 * 1024);
}

export function fmtMs(value, digits = 1) {
  return Number.isFinite(value) ? `${value.toFixed(digits)} ms` : '—';
}

/** A markdown table from rows of objects (column order from the first row, or `columns`). */
export function markdownTable(rows, columns = Object.keys(rows[0] ?? {})) {
  const cell = (v) => String(v ?? '').replace(/\|/g, '\\|');
  const lines = [
    `| ${columns.map(cell).join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${columns.map((c) => cell(row[c])).join(' | ')} |`),
  ];
  return lines.join('\n');
}

export function heading(text) {
  console.log(`\n### ${text}\n`);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
