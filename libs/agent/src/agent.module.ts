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
import { ImprovementsService } from './improvements.service.js';

/** The improvement engine: runs, archive, parent selection, edits, budgets. */
@Module({
  imports: [HotReloadModule, IntegrationsModule, ClusterModule, JobsModule],
  providers: [
    ImprovementRunsRepository,
    ArchivedSources,
    CandidateGenerator,
    CandidateRunner,
    ImprovementEngine,
    ImprovementsService,
  ],
  exports: [ImprovementsService, ImprovementEngine, ImprovementRunsRepository],
})
export class AgentModule {}
