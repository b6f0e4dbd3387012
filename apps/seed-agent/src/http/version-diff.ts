import { createTwoFilesPatch } from 'diff';
import { ApiError } from './api-error.js';

export interface DiffLimits {
  maxEditLength: number;
  timeoutMs: number;
}

/**
 * A unified diff of two sources, bounded: Myers' diff costs (lines × edits) on the event loop, so two
 * large, unrelated sources would stall every request of the node. Past either bound: 422 diff_too_large.
 */
export function boundedDiff(
  from: { label: string; source: string },
  to: { label: string; source: string },
  limits: DiffLimits,
): string {
  const diff = createTwoFilesPatch(from.label, to.label, from.source, to.source, undefined, undefined, {
    maxEditLength: limits.maxEditLength,
    timeout: limits.timeoutMs,
  });
  if (diff !== undefined) return diff;
  throw new ApiError(
    'diff_too_large',
    `the sources differ by more than ${limits.maxEditLength} lines or take over ${limits.timeoutMs} ms to diff ` +
      '(HTTP_DIFF_MAX_EDIT_LENGTH, HTTP_DIFF_TIMEOUT): fetch both versions and diff them locally',
    { ...limits },
  );
}
