import { Module } from '@nestjs/common';
import { ClusterModule } from '@seed/cluster';
import { CodeStoreModule } from '@seed/code-store';
import { RuntimeModule } from '@seed/runtime';
import { ActivationService } from './activation.service.js';
import { CanaryWatch } from './canary-watch.service.js';
import { ImprovementQueueModule } from './improvement-queue.module.js';
import { ImprovementProcessor } from './improvement.processor.js';
import { InvocationService } from './invocation.service.js';
import { ModulesService } from './modules.service.js';
import { Reconciler } from './reconciler.service.js';
import { ReplaySamples } from './replay-samples.service.js';
import { SubmissionsService } from './submissions.service.js';

@Module({
  imports: [ImprovementQueueModule, ClusterModule, CodeStoreModule, RuntimeModule],
  providers: [
    ReplaySamples,
    Reconciler,
    ActivationService,
    SubmissionsService,
    InvocationService,
    CanaryWatch,
    ModulesService,
    ImprovementProcessor,
  ],
  exports: [
    ActivationService,
    SubmissionsService,
    InvocationService,
    ModulesService,
    Reconciler,
    RuntimeModule,
  ],
})
export class HotReloadModule {}
