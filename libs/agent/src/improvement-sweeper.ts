import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ImprovementRunEntity } from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { JobsRepository } from '@seed/jobs';
import { ImprovementEngine } from './improvement-engine.service.js';
import { ImprovementRunsRepository } from './improvement-runs.repository.js';
import { jobLost, STALE_AFTER_MS } from './stale-runs.js';

/** Runs looked at per sweep: the oldest first, the next sweep takes the rest. */
const SWEEP_BATCH = 100;

/**
 * Ends running improvement runs whose queue job is lost (Redis flushed, or the job failed for good without its
 * handler ending the run, e.g. its node died on the last delivery) as `job_lost`, every AGENT_SWEEP_INTERVAL on
 * every node. The end is a conditional UPDATE … WHERE state = 'running', so of nodes sweeping at once one ends a
 * run and announces it; the others skip it.
 */
@Injectable()
export class ImprovementSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ImprovementSweeper');
  private timer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly runs: ImprovementRunsRepository,
    private readonly jobs: JobsRepository,
    private readonly engine: ImprovementEngine,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      // A slow sweep (Redis timing out) is not stacked on by the next.
      if (this.sweeping) return;
      this.sweeping = true;
      this.sweep()
        .catch((e: Error) => this.logger.warn(`sweep failed: ${e.message}`))
        .finally(() => (this.sweeping = false));
    }, this.config.integrations.agent.sweepIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Ends the lost runs among the running ones; how many this node ended. */
  async sweep(now = Date.now()): Promise<number> {
    let ended = 0;
    const startedBefore = new Date(now - STALE_AFTER_MS);
    for (const run of await this.runs.runningQueued(startedBefore, SWEEP_BATCH))
      if (await this.endIfLost(run, now)) ended++;
    if (ended) this.logger.warn(`ended ${ended} improvement run(s) whose job was lost`);
    return ended;
  }

  /** Ends the run as `job_lost` when its job is; true when this call ended it. */
  async endIfLost(run: ImprovementRunEntity, now = Date.now()): Promise<boolean> {
    const ageMs = now - run.createdAt.getTime();
    // A run without a job (made by hand) is driven by whoever made it.
    if (!run.jobId) return false;
    const jobState = await this.jobs.state('agent', run.jobId);
    if (!jobLost({ jobState, ageMs })) return false;
    const why =
      jobState === 'missing'
        ? `its job ${run.jobId} is gone from the queue`
        : `its job ${run.jobId} ${jobState} while the run was running`;
    return this.engine.fail(run.id, why, 'job_lost');
  }
}
