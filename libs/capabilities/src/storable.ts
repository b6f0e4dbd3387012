import type { JsonValue } from '@seed/runtime';

/** Nesting a kv value may have (jsonb and our own walk stay shallow). */
export const MAX_VALUE_DEPTH = 64;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text PostgreSQL stores as it is: no NUL (text refuses it), no lone surrogate (jsonb refuses it). */
export function isStorableText(text: string): boolean {
  return !text.includes('\0') && !LONE_SURROGATE.test(text);
}

/** The first problem of a JSON value for jsonb, or undefined; iterative, so a deep value cannot overflow the stack. */
export function unstorableReason(value: JsonValue): string | undefined {
  const stack: Array<{ value: JsonValue; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: v, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return 'a string holds NUL or a lone surrogate';
    } else if (typeof v === 'object' && v !== null) {
      if (depth > MAX_VALUE_DEPTH) return `the value nests deeper than ${MAX_VALUE_DEPTH}`;
      if (Array.isArray(v)) for (const item of v) stack.push({ value: item, depth: depth + 1 });
      else
        for (const [key, item] of Object.entries(v)) {
          if (!isStorableText(key)) return 'a key holds NUL or a lone surrogate';
          stack.push({ value: item, depth: depth + 1 });
        }
    }
  }
  return undefined;
}
