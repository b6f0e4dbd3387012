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

/** The states GET /queues counts; BullMQ answers each as a number. */
export const COUNTED_STATES = [
  'waiting',
  'prioritized',
  'waiting-children',
  'active',
  'delayed',
  'failed',
  'completed',
] as const;

/** A queue's jobs per state: `waiting` includes prioritized and waiting-children; `depth` is all unfinished. */
export interface QueueCounts {
  depth: number;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
}

export function queueCounts(raw: Partial<Record<(typeof COUNTED_STATES)[number], number>>): QueueCounts {
  const n = (state: (typeof COUNTED_STATES)[number]) => raw[state] ?? 0;
  const waiting = n('waiting') + n('prioritized') + n('waiting-children');
  return {
    depth: waiting + n('active') + n('delayed'),
    waiting,
    active: n('active'),
    delayed: n('delayed'),
    failed: n('failed'),
    completed: n('completed'),
  };
}
