import { Module } from '@nestjs/common';
import { CapabilitiesModule } from '@seed/capabilities';
import { ClusterModule } from '@seed/cluster';
import { CodeStoreModule } from '@seed/code-store';
import { JobsModule } from '@seed/jobs';
import { RolloutModule } from '@seed/rollout';
import { RuntimeModule } from '@seed/runtime';
import { ActivationService } from './activation.service.js';
import { ActivationWatch } from './activation-watch.service.js';
import { InvocationService } from './invocation.service.js';
import { ModulesService } from './modules.service.js';
import { PipelineService } from './pipeline.service.js';
import { LocalRuns } from './local-runs.service.js';
import { PipelineWorker } from './pipeline.worker.js';
import { Reconciler } from './reconciler.service.js';
import { ReplaySamples } from './replay-samples.service.js';
import { RolloutsService } from './rollouts.service.js';
import { RolloutAnalyser } from './rollout-analyser.service.js';
import { RouteTable } from './route-table.service.js';
import { SubmissionsService } from './submissions.service.js';

@Module({
  imports: [JobsModule, ClusterModule, CodeStoreModule, RuntimeModule, RolloutModule, CapabilitiesModule],
  providers: [
    ReplaySamples,
    Reconciler,
    ActivationService,
    RolloutsService,
    RouteTable,
    RolloutAnalyser,
    SubmissionsService,
    InvocationService,
    ActivationWatch,
    ModulesService,
    PipelineService,
    PipelineWorker,
    LocalRuns,
  ],
  exports: [
    ActivationService,
    RolloutsService,
    RolloutAnalyser,
    RouteTable,
    RolloutModule,
    SubmissionsService,
    InvocationService,
    ModulesService,
    PipelineService,
    Reconciler,
    RuntimeModule,
  ],
})
export class HotReloadModule {}
