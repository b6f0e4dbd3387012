/** Why a parsed body or query cannot be accepted before any schema sees it; null when it can. */
export interface JsonInputProblem {
  kind: 'too_deep' | 'bad_string';
  /** Path of the offending value from the root (empty for the root itself). */
  path: string[];
  message: string;
}

/**
 * Walks a parsed JSON value without recursion (a deep value must not overflow the stack here either):
 * nesting beyond `maxDepth`, and strings or keys PostgreSQL cannot store (NUL) or JSON columns refuse
 * (lone surrogates), are reported with their path. Depth counts nested arrays and objects: `[[1]]` is 2.
 */
export function inspectJson(value: unknown, maxDepth: number): JsonInputProblem | null {
  const stack: Array<{ value: unknown; depth: number; path: string[] }> = [{ value, depth: 1, path: [] }];
  while (stack.length) {
    const node = stack.pop()!;
    if (typeof node.value === 'string') {
      const problem = badString(node.value);
      if (problem) return { kind: 'bad_string', path: node.path, message: problem };
      continue;
    }
    if (node.value === null || typeof node.value !== 'object') continue;
    if (node.depth > maxDepth) {
      return {
        kind: 'too_deep',
        path: node.path,
        message: `JSON is nested deeper than ${maxDepth} levels (HTTP_MAX_JSON_DEPTH)`,
      };
    }
    for (const [key, child] of Object.entries(node.value)) {
      const path = [...node.path, key];
      const problem = badString(key);
      if (problem) return { kind: 'bad_string', path: path, message: `key ${problem}` };
      stack.push({ value: child, depth: node.depth + 1, path });
    }
  }
  return null;
}

/** In unicode mode a surrogate pair is one code point: only an unpaired half matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Why a string cannot be stored, or null. */
export function badString(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate, which is not valid Unicode';
  return null;
}
