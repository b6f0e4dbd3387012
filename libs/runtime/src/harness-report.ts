/**
 * What the harness copies out of an isolate, and the host's check of it. The harness cuts every string with
 * built-ins it captured before module code ran; the host checks the same bounds again before anything reads the
 * copy, so a harness the module managed to break is refused rather than trusted.
 */

import { CAPABILITY_ERROR_CODES, type CapabilityErrorCode } from './capability-session.js';

const isCapabilityErrorCode = (value: unknown): value is CapabilityErrorCode =>
  (CAPABILITY_ERROR_CODES as readonly unknown[]).includes(value);

/** Longest error name, message and stack (UTF-16 units) the harness copies out; a cut one ends with '…'. */
export const MAX_ERROR_NAME = 200;
export const MAX_ERROR_MESSAGE = 4000;
export const MAX_ERROR_STACK = 16_000;
/** Bytes every kept log line counts beyond its own, so empty lines are not free. */
export const LOG_LINE_OVERHEAD = 1;
/** What every harness task ends with instead of a result: see HARNESS_SOURCE. */
export const TASK_GUARD = 'seed:task-guard';

const ELLIPSIS = 1;

/** What the host expects at most; the harness was bound with the same numbers. */
export interface ReportBounds {
  readonly maxOutputBytes: number;
  readonly maxLogBytes: number;
  readonly maxLogLines: number;
}

type ErrorFields = { readonly name?: string; readonly message: string; readonly stack?: string };

/** What one call reports back from inside the isolate; only primitives and an array of strings, copied out. */
export type HarnessReport = {
  readonly logs: string[];
  readonly truncated: boolean;
  /** log lines not kept at all, once the lines or bytes ran out */
  readonly dropped: number;
} & (
  | { readonly kind: 'ok'; readonly json: string }
  | ({ readonly kind: 'error' } & ErrorFields)
  | { readonly kind: 'input_error'; readonly message: string }
  | { readonly kind: 'not_json'; readonly message: string }
  | { readonly kind: 'too_large'; readonly length: number }
  | { readonly kind: 'capability_error'; readonly code: CapabilityErrorCode; readonly message: string }
);

/** Why binding a module failed inside the isolate: its top-level code threw, or it exports no function. */
export type LoadFailureReport = { readonly code: 'runtime_error' | 'not_a_function' } & ErrorFields;

const within = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length <= max;
const optionalWithin = (value: unknown, max: number): value is string | undefined =>
  value === undefined || within(value, max);
const count = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

function readErrorFields(r: Record<string, unknown>): ErrorFields | undefined {
  const { name, message, stack } = r;
  return within(message, MAX_ERROR_MESSAGE + ELLIPSIS) &&
    optionalWithin(name, MAX_ERROR_NAME + ELLIPSIS) &&
    optionalWithin(stack, MAX_ERROR_STACK + ELLIPSIS)
    ? { name, message, stack }
    : undefined;
}

/** The log lines, when they keep to the bounds; lengths first, so no oversized string is ever measured in full. */
function readLogs(value: unknown, bounds: ReportBounds): string[] | undefined {
  if (!Array.isArray(value) || value.length > bounds.maxLogLines) return undefined;
  const lines = value as unknown[];
  let units = 0;
  for (const line of lines) {
    if (typeof line !== 'string') return undefined;
    // UTF-16 units never exceed UTF-8 bytes
    units += line.length + LOG_LINE_OVERHEAD;
    if (units > bounds.maxLogBytes) return undefined;
  }
  let bytes = 0;
  for (const line of lines as string[]) bytes += Buffer.byteLength(line, 'utf8') + LOG_LINE_OVERHEAD;
  return bytes <= bounds.maxLogBytes ? (lines as string[]) : undefined;
}

/** Undefined when what came out is not a report within the bounds (the module broke the harness). */
export function readReport(raw: unknown, bounds: ReportBounds): HarnessReport | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const logs = readLogs(r.logs, bounds);
  if (!logs || typeof r.truncated !== 'boolean' || !count(r.dropped)) return undefined;
  const base = { logs, truncated: r.truncated, dropped: r.dropped };
  switch (r.kind) {
    case 'ok':
      return within(r.json, bounds.maxOutputBytes) ? { ...base, kind: 'ok', json: r.json } : undefined;
    case 'error': {
      const fields = readErrorFields(r);
      return fields ? { ...base, kind: 'error', ...fields } : undefined;
    }
    case 'input_error':
      return within(r.message, MAX_ERROR_MESSAGE + ELLIPSIS)
        ? { ...base, kind: 'input_error', message: r.message }
        : undefined;
    case 'not_json':
      return within(r.message, MAX_ERROR_MESSAGE + ELLIPSIS)
        ? { ...base, kind: 'not_json', message: r.message }
        : undefined;
    case 'too_large':
      return count(r.length) ? { ...base, kind: 'too_large', length: r.length } : undefined;
    case 'capability_error':
      return isCapabilityErrorCode(r.code) && within(r.message, MAX_ERROR_MESSAGE + ELLIPSIS)
        ? { ...base, kind: 'capability_error', code: r.code, message: r.message }
        : undefined;
    default:
      return undefined;
  }
}

/** Undefined when it is not a load failure within the bounds. */
export function readLoadFailure(raw: unknown): LoadFailureReport | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (r.code !== 'runtime_error' && r.code !== 'not_a_function') return undefined;
  const fields = readErrorFields(r);
  return fields ? { code: r.code, ...fields } : undefined;
}

/** Cuts text from outside the sandbox (isolated-vm's own errors) the way the harness cuts the module's. */
export function clipMessage(text: string, max = MAX_ERROR_MESSAGE): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
