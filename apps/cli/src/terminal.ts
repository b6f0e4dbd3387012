/**
 * Everything the server sends may come from an LLM or a caller (sources, rationales, diagnostics, logs): it is
 * printed as text with terminal control sequences removed, so it cannot move the cursor, retitle the window,
 * hide lines or write hyperlinks.
 */
/* eslint-disable no-control-regex -- matching control characters is what this file is for */
const ESCAPES =
  /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|[@-Z\\-_])/g;
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/* eslint-enable no-control-regex */

/** Keeps newlines and tabs; drops ANSI/OSC escapes and every other C0/C1 control character. */
export function safeText(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined ? '' : String(value);
  return text.replace(ESCAPES, '').replace(CONTROLS, '');
}

/**
 * JSON for --json: JSON.stringify escapes C0 characters but leaves DEL and C1 (U+009B is a one-byte CSI on
 * some terminals) as they are; escaping them keeps the output valid JSON and inert on a terminal.
 */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\x7f-\x9f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Where a command writes: results on stdout, progress on stderr, both sanitised. */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** A line of result text (text mode only). */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${safeText(text)}\n`);
  }

  /** A progress line (stderr; silent with --json so stdout stays parseable and stderr quiet). */
  progress(text: string): void {
    if (!this.json) this.stderr.write(`${safeText(text)}\n`);
  }

  /** The machine-readable result (json mode only): one JSON document, or one per line for streams. */
  data(value: unknown): void {
    if (this.json) this.stdout.write(`${safeJson(value)}\n`);
  }

  /** JSON shown to a person (module output, inputs), sanitised like any other text. */
  pretty(value: unknown): void {
    this.line(JSON.stringify(value, null, 2));
  }

  error(text: string): void {
    this.stderr.write(`seed-agent: ${safeText(text)}\n`);
  }
}

/** `key  value` rows lined up, for `show` commands. */
export function fields(rows: [string, unknown][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows
    .filter(([, v]) => v !== undefined)
    .map(
      ([k, v]) =>
        `${k.padEnd(width)}  ${v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
    )
    .join('\n');
}

/** A plain table: columns padded to their widest cell. */
export function table(header: string[], rows: unknown[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => safeText(r[i]).length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
