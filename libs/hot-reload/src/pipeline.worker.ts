import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { type JobProgress, type JobRun, JobsRepository } from '@seed/jobs';
import { PipelineService, type PipelineResult } from './pipeline.service.js';

export interface PipelineJobData {
  versionId: string;
  module: string;
}

/** A run's progress reaches its job at most this often: a fast run writes only its last. */
const PROGRESS_INTERVAL_MS = 250;

/** Adapts `pipeline` jobs to PipelineService: the job's progress is the run's, its id the version's. */
@Injectable()
export class PipelineWorker implements OnApplicationBootstrap {
  private readonly logger = new Logger('PipelineWorker');

  constructor(
    private readonly jobs: JobsRepository,
    private readonly pipeline: PipelineService,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.work<PipelineJobData, PipelineResult>('pipeline', async (job) => {
      const progress = new CoalescedProgress(job, (error) =>
        this.logger.warn(`progress of pipeline job ${job.id} not saved: ${error.message}`),
      );
      try {
        return await this.pipeline.evaluate(job.data.versionId, {
          finalAttempt: job.finalAttempt,
          progress: async (stage, percent) => progress.report({ stage, percent }),
        });
      } finally {
        await progress.flush();
      }
    });
  }
}

/**
 * Progress is informational (the version's status in PostgreSQL is the truth), so the run never waits for
 * it: the latest report is written on a timer and when the run ends, one Redis script instead of one per stage.
 */
class CoalescedProgress {
  private latest?: JobProgress;
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly job: JobRun<unknown>,
    private readonly onError: (error: Error) => void,
  ) {}

  report(progress: JobProgress): void {
    this.latest = progress;
    this.timer ??= setTimeout(() => void this.write(), PROGRESS_INTERVAL_MS);
  }

  async flush(): Promise<void> {
    await this.write();
  }

  private write(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const progress = this.latest;
    this.latest = undefined;
    if (progress) {
      // In order: a slow earlier write never overwrites a later one.
      this.writing = this.writing.then(() => this.job.reportProgress(progress).catch(this.onError));
    }
    return this.writing;
  }
}
