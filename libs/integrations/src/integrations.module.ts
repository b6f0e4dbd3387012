import { Module } from '@nestjs/common';
import { ClusterModule } from '@seed/cluster';
import { HotReloadModule } from '@seed/hot-reload';
import { JobsModule } from '@seed/jobs';
import { AgentService } from './agent/agent.service.js';
import { AgentStore } from './agent/agent.store.js';
import { AgentWorker } from './agent/agent.worker.js';
import { ImprovementLoop } from './agent/improvement-loop.service.js';
import { RecentErrors } from './agent/recent-errors.service.js';
import { SelfHealService } from './agent/self-heal.service.js';
import { ChatCompletionsService } from './models/chat-completions.service.js';
import { ModelRegistry } from './models/model-registry.js';
import { ModuleModels } from './models/module-models.js';

/** AI SDK models for the Claude Code and Codex CLIs, the improving agent, chat completions. */
@Module({
  imports: [HotReloadModule, ClusterModule, JobsModule],
  providers: [
    ModelRegistry,
    ModuleModels,
    ChatCompletionsService,
    AgentStore,
    RecentErrors,
    AgentService,
    ImprovementLoop,
    AgentWorker,
    SelfHealService,
  ],
  exports: [
    ModelRegistry,
    ChatCompletionsService,
    AgentService,
    ImprovementLoop,
    AgentWorker,
    AgentStore,
    RecentErrors,
  ],
})
export class IntegrationsModule {}
