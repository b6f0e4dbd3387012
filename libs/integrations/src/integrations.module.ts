import { Module } from '@nestjs/common';
import { ClusterModule } from '@seed/cluster';
import { HotReloadModule } from '@seed/hot-reload';
import { AgentQueueModule } from './agent/agent-queue.module.js';
import { AgentProcessor } from './agent/agent.processor.js';
import { AgentService } from './agent/agent.service.js';
import { AgentStore } from './agent/agent.store.js';
import { RecentErrors } from './agent/recent-errors.service.js';
import { SelfHealService } from './agent/self-heal.service.js';
import { ChatCompletionsService } from './models/chat-completions.service.js';
import { ModelRegistry } from './models/model-registry.js';

/** AI SDK models for the Claude Code and Codex CLIs, the improving agent, chat completions. */
@Module({
  imports: [HotReloadModule, ClusterModule, AgentQueueModule],
  providers: [
    ModelRegistry,
    ChatCompletionsService,
    AgentStore,
    RecentErrors,
    AgentService,
    AgentProcessor,
    SelfHealService,
  ],
  exports: [ModelRegistry, ChatCompletionsService, AgentService],
})
export class IntegrationsModule {}
