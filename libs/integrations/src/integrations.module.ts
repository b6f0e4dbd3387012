import { Module } from '@nestjs/common';
import { HotReloadModule } from '@seed/hot-reload';
import { AgentStore } from './agent/agent.store.js';
import { RecentErrors } from './agent/recent-errors.service.js';
import { ChatCompletionsService } from './models/chat-completions.service.js';
import { ModelRegistry } from './models/model-registry.js';
import { ModuleModels } from './models/module-models.js';

/** AI SDK models for the Claude Code and Codex CLIs, the improving agent's prompts and Redis state, chat completions. */
@Module({
  imports: [HotReloadModule],
  providers: [ModelRegistry, ModuleModels, ChatCompletionsService, AgentStore, RecentErrors],
  exports: [ModelRegistry, ChatCompletionsService, AgentStore, RecentErrors],
})
export class IntegrationsModule {}
