export { type JobProgress, type JobState, type JobView } from './job-view.js';
export {
  JobsRepository,
  PermanentJobFailure,
  type JobHandler,
  type JobOutcome,
  type JobRun,
} from './jobs.repository.js';
export { JobsModule } from './jobs.module.js';
export { AGENT_JOB_PREFIX, type QueueName } from './queues.js';
