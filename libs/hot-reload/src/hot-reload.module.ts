import { Module } from '@nestjs/common';
import { CapabilitiesModule } from '@seed/capabilities';
import { ClusterModule } from '@seed/cluster';
import { CodeStoreModule } from '@seed/code-store';
import { JobsModule } from '@seed/jobs';
import { RuntimeModule } from '@seed/runtime';
import { ActivationService } from './activation.service.js';
import { CanaryWatch } from './canary-watch.service.js';
import { InvocationService } from './invocation.service.js';
import { ModulesService } from './modules.service.js';
import { PipelineService } from './pipeline.service.js';
import { PipelineWorker } from './pipeline.worker.js';
import { Reconciler } from './reconciler.service.js';
import { ReplaySamples } from './replay-samples.service.js';
import { SubmissionsService } from './submissions.service.js';

@Module({
  imports: [JobsModule, ClusterModule, CodeStoreModule, RuntimeModule, CapabilitiesModule],
  providers: [
    ReplaySamples,
    Reconciler,
    ActivationService,
    SubmissionsService,
    InvocationService,
    CanaryWatch,
    ModulesService,
    PipelineService,
    PipelineWorker,
  ],
  exports: [
    ActivationService,
    SubmissionsService,
    InvocationService,
    ModulesService,
    PipelineService,
    Reconciler,
    RuntimeModule,
  ],
})
export class HotReloadModule {}
