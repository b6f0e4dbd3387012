import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { JobsRepository } from '@seed/jobs';
import {
  type AgentJobData,
  type AgentProgress,
  type AgentResult,
  ImprovementLoop,
} from './improvement-loop.service.js';

/** Adapts `agent` jobs to ImprovementLoop: the job's progress holds the attempts, so a retry resumes. */
@Injectable()
export class AgentWorker implements OnApplicationBootstrap {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly loop: ImprovementLoop,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.work<AgentJobData, AgentResult>('agent', (job) =>
      this.loop.run({
        id: job.id,
        data: job.data,
        createdAt: job.createdAt,
        saved: job.savedProgress as Partial<AgentProgress> | null,
        finalAttempt: job.finalAttempt,
        signal: job.signal,
        saveProgress: (progress) => job.reportProgress(progress),
      }),
    );
  }
}
