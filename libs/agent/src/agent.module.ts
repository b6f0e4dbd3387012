import { Module } from '@nestjs/common';
import { ClusterModule } from '@seed/cluster';
import { HotReloadModule } from '@seed/hot-reload';
import { IntegrationsModule } from '@seed/integrations';
import { JobsModule } from '@seed/jobs';
import { CandidateGenerator } from './candidate-generator.service.js';
import { CandidateRunner } from './candidate-runner.service.js';
import { ArchivedSources } from './duplicates.js';
import { ImprovementEngine } from './improvement-engine.service.js';
import { ImprovementRunsRepository } from './improvement-runs.repository.js';
import { ImprovementWorker } from './improvement-worker.js';
import { ImprovementSweeper } from './improvement-sweeper.js';
import { ImprovementsService } from './improvements.service.js';
import { SelfHealService } from './self-heal.service.js';

/** The improvement engine: runs, archive, parent selection, edits, budgets, its queue's worker, self-healing. */
@Module({
  imports: [HotReloadModule, IntegrationsModule, ClusterModule, JobsModule],
  providers: [
    ImprovementRunsRepository,
    ArchivedSources,
    CandidateGenerator,
    CandidateRunner,
    ImprovementEngine,
    ImprovementsService,
    ImprovementWorker,
    ImprovementSweeper,
    SelfHealService,
  ],
  exports: [
    ImprovementsService,
    ImprovementEngine,
    ImprovementRunsRepository,
    ImprovementSweeper,
    SelfHealService,
  ],
})
export class AgentModule {}
