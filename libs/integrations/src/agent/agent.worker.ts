import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { JobsRepository } from '@seed/jobs';
import {
  type AgentJobData,
  type AgentProgress,
  type AgentResult,
  ImprovementLoop,
} from './improvement-loop.service.js';

/** Runs an improvement run's job (the engine, in @seed/agent, registers itself here). */
export type RunHandler = (runId: string, signal: AbortSignal, finalAttempt: boolean) => Promise<unknown>;

/**
 * Adapts `agent` jobs: an improvement run's (`runId` in its data) to the engine, any other to ImprovementLoop
 * (the job's progress holds the attempts, so a retry resumes).
 */
@Injectable()
export class AgentWorker implements OnApplicationBootstrap {
  private runHandler?: RunHandler;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly loop: ImprovementLoop,
  ) {}

  /** Called by the engine's module at init, before workers start at bootstrap. */
  handleRuns(handler: RunHandler): void {
    this.runHandler = handler;
  }

  onApplicationBootstrap(): void {
    this.jobs.work<AgentJobData & { runId?: string }, AgentResult>('agent', (job) => {
      if (job.data.runId) {
        if (!this.runHandler) throw new Error('no improvement engine is registered');
        return this.runHandler(job.data.runId, job.signal, job.finalAttempt) as Promise<never>;
      }
      return this.loop.run({
        id: job.id,
        data: job.data,
        createdAt: job.createdAt,
        saved: job.savedProgress as Partial<AgentProgress> | null,
        finalAttempt: job.finalAttempt,
        signal: job.signal,
        saveProgress: (progress) => job.reportProgress(progress),
      });
    });
  }
}
