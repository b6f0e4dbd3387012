import type { AppConfig } from '@seed/config';
import type { JobsOptions } from 'bullmq';

/**
 * The two queues. `pipeline` evaluates one submitted version per job (job name `evaluate`, jobId = version
 * id); `agent` runs one improvement request per job (job name `improve`, jobId `agent-<uuid>`). The pipeline's
 * queue was called `improvements` before: during a blue/green deploy the old nodes drain it, and the sweeper
 * re-enqueues any submission whose job it cannot find in the new one.
 */
export type QueueName = 'pipeline' | 'agent';
export const QUEUE_NAMES: readonly QueueName[] = ['pipeline', 'agent'];
export const JOB_NAMES: Record<QueueName, string> = { pipeline: 'evaluate', agent: 'improve' };

/** Ids of agent jobs carry this prefix, so GET /jobs/:id tells them from pipeline jobs (version ids). */
export const AGENT_JOB_PREFIX = 'agent-';

const DAY_S = 24 * 3600;

/** Retries and retention per queue: deterministic outcomes complete, infrastructure errors retry with backoff. */
export function jobOptions(config: AppConfig, queue: QueueName): JobsOptions {
  const backoff = { type: 'exponential', delay: config.pipeline.backoffMs };
  if (queue === 'pipeline') {
    return {
      attempts: config.pipeline.attempts,
      backoff,
      removeOnComplete: { age: DAY_S, count: 1000 },
      removeOnFail: { age: 7 * DAY_S },
    };
  }
  return {
    attempts: config.integrations.agent.jobAttempts,
    backoff,
    removeOnComplete: { age: 7 * DAY_S, count: 1000 },
    removeOnFail: { age: 7 * DAY_S },
  };
}

export interface WorkerSettings {
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** Abort running jobs at shutdown (long jobs that another node resumes) instead of letting them finish. */
  abortOnShutdown: boolean;
}

export function workerSettings(config: AppConfig, queue: QueueName): WorkerSettings {
  const { lockDurationMs, stalledIntervalMs } = config.pipeline;
  return queue === 'pipeline'
    ? { concurrency: config.pipeline.concurrency, lockDurationMs, stalledIntervalMs, abortOnShutdown: false }
    : {
        concurrency: config.integrations.agent.concurrency,
        lockDurationMs,
        stalledIntervalMs,
        abortOnShutdown: true,
      };
}
