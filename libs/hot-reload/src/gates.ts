import type { Diagnostic, ModuleSettings } from '@seed/code-store';

/** Pure decisions of the pipeline: data in, data out, no clock and no I/O. */

/** Static checks on the candidate's source before it is ever run. */
export function validateSource(source: string, maxBytes: number): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const bytes = Buffer.byteLength(source, 'utf8');
  if (source.trim() === '') problems.push({ stage: 'validate', message: 'source is empty' });
  if (bytes > maxBytes)
    problems.push({ stage: 'validate', message: `source is ${bytes} bytes; the limit is ${maxBytes}` });
  const code = stripCommentsAndStrings(source);
  const forbidden: Array<[RegExp, string]> = [
    [
      /(^|[^.\w$])import\s*(\(|[\w*{'"])/m,
      'modules cannot import anything: the sandbox has no module loader',
    ],
    [/(^|[^.\w$])require\s*\(/m, 'modules cannot require anything: the sandbox has no module loader'],
  ];
  for (const [pattern, message] of forbidden) {
    const match = pattern.exec(code);
    if (match)
      problems.push({ stage: 'validate', message, ...position(code, match.index + match[1].length) });
  }
  if (!/\bexport\s+default\b/.test(code)) {
    problems.push({
      stage: 'validate',
      message: 'the module must have a default export: export default (input, ctx) => output',
    });
  }
  return problems;
}

/** Deep JSON equality where object key order does not matter (arrays keep their order). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, i) => jsonEqual(item, other[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b as object, k) && jsonEqual((a as never)[k], (b as never)[k]));
}

export type ActivationDecision = 'activate' | 'hold' | 'never';

/**
 * Whether a candidate that passed every gate goes live on its own: only when asked, not a dry run, the
 * module allows auto-activation, and — for agents — the module does not require an admin's approval.
 */
export function activationDecision(input: {
  activateRequested: boolean;
  dryRun: boolean;
  authorRole: string;
  settings: ModuleSettings;
}): ActivationDecision {
  if (input.dryRun) return 'never';
  if (!input.activateRequested) return 'hold';
  if (input.settings.autoActivate === false) return 'hold';
  if (input.authorRole === 'agent' && input.settings.requireApproval) return 'hold';
  return 'activate';
}

function position(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/** Blanks comments and string contents (keeping offsets) so a word inside them is not mistaken for code. */
function stripCommentsAndStrings(source: string): string {
  return source.replace(
    /\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\[\s\S]|[^`\\])*`/g,
    (m) => m.replace(/[^\n]/g, ' '),
  );
}
