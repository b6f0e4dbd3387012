export { type JobProgress, type JobState, type JobView, type QueueCounts } from './job-view.js';
export {
  JobsRepository,
  PermanentJobFailure,
  type JobHandler,
  type JobOutcome,
  type JobRun,
} from './jobs.repository.js';
export { JobsModule } from './jobs.module.js';
export { AGENT_JOB_PREFIX, QUEUE_NAMES, type QueueName } from './queues.js';
