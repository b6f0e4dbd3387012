import type { JobState } from '@seed/jobs';

/**
 * A run is inserted before its job is queued: until this long after its start a missing job may be one that is
 * being added, never one that was lost.
 */
export const STALE_AFTER_MS = 60_000;

/**
 * Pure: whether a running run's job is lost, so nothing will ever end the run: Redis has no such job (flushed,
 * or lost with its data), or the job ended (failed for good, e.g. its node died on the last delivery and the
 * stall check failed it, or completed) while the run still reads `running`. A waiting, delayed or active job
 * will run or is running: the run is not stale, however old.
 */
export function jobLost(input: { jobState: JobState | 'missing'; ageMs: number }): boolean {
  if (input.ageMs < STALE_AFTER_MS) return false;
  return input.jobState === 'missing' || input.jobState === 'failed' || input.jobState === 'completed';
}
