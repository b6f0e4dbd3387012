import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { JobsRepository } from '@seed/jobs';
import { PipelineService, type PipelineResult } from './pipeline.service.js';

export interface PipelineJobData {
  versionId: string;
  module: string;
}

/** Adapts `pipeline` jobs to PipelineService: the job's progress is the run's, its id the version's. */
@Injectable()
export class PipelineWorker implements OnApplicationBootstrap {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly pipeline: PipelineService,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.work<PipelineJobData, PipelineResult>('pipeline', (job) =>
      this.pipeline.evaluate(job.data.versionId, {
        finalAttempt: job.finalAttempt,
        progress: (stage, percent) => job.reportProgress({ stage, percent }),
      }),
    );
  }
}
