import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CodeStoreError, type RunStopReason } from '@seed/code-store';
import { JobsRepository, PermanentJobFailure } from '@seed/jobs';
import { ImprovementEngine } from './improvement-engine.service.js';
import type { ImprovementJobData } from './improvements.service.js';

/**
 * Runs the `agent` queue's jobs (job name `improve`): each is one improvement run, which the engine resumes at its
 * round when a job is delivered again. A job that fails for good ends its run as `failed`, so it never shows
 * `running` forever (and its module is free for the next run).
 */
@Injectable()
export class ImprovementWorker implements OnApplicationBootstrap {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly engine: ImprovementEngine,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.work<Partial<ImprovementJobData>, { runId: string; stopReason: RunStopReason }>(
      'agent',
      async (job) => {
        const { runId } = job.data;
        // Queued by a release before runs were records: its request has no run to resume.
        if (!runId)
          throw new PermanentJobFailure(
            'an attempt-loop job of an earlier release: request the improvement again',
          );
        try {
          return { runId, stopReason: await this.engine.run(runId, job.signal) };
        } catch (caught) {
          const error =
            caught instanceof CodeStoreError && caught.code === 'module_not_found'
              ? new PermanentJobFailure(caught.message)
              : caught;
          if ((error instanceof PermanentJobFailure || job.finalAttempt) && !job.signal.aborted)
            await this.engine.fail(runId, (error as Error).message);
          throw error;
        }
      },
    );
  }
}
