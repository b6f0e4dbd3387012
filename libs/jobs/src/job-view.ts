/** What a job is doing, read the same way for both queues (GET /jobs/:id, the sweeper, the agent). */
export type JobState =
  'waiting' | 'active' | 'delayed' | 'prioritized' | 'waiting-children' | 'completed' | 'failed' | 'unknown';

/** Workers report progress as `{stage, percent, ...}`; the rest is the job's own (e.g. the agent's attempts). */
export interface JobProgress {
  stage: string;
  percent: number;
  [key: string]: unknown;
}

export interface JobView<D = unknown, R = unknown> {
  id: string;
  state: JobState;
  stage: string | null;
  progress: number;
  /** The whole progress object the worker last reported, or null. */
  progressData: JobProgress | null;
  /** BullMQ's delivery attempts so far (infrastructure retries). */
  attempts: number;
  data: D;
  result: R | null;
  failedReason: string | null;
  createdAt: number;
}

export function toJobState(state: string): JobState {
  const known: JobState[] = [
    'waiting',
    'active',
    'delayed',
    'prioritized',
    'waiting-children',
    'completed',
    'failed',
  ];
  return (known as string[]).includes(state) ? (state as JobState) : 'unknown';
}

export function isJobProgress(value: unknown): value is JobProgress {
  return typeof value === 'object' && value !== null && typeof (value as JobProgress).stage === 'string';
}
