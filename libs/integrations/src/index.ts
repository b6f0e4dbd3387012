export { IntegrationsModule } from './integrations.module.js';
export { IntegrationError, type IntegrationErrorCode } from './models/integration-error.js';
export { parseModelSpec, formatModelSpec, type ModelSpec } from './models/model-spec.js';
export { ModelRegistry, type ModelFactory, type ListedModel } from './models/model-registry.js';
export { ClaudeCliLanguageModel } from './models/claude-cli.model.js';
export { CodexCliLanguageModel } from './models/codex-cli.model.js';
export {
  ChatCompletionsService,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ModelList,
} from './models/chat-completions.service.js';
export { AgentError, type AgentErrorCode } from './agent/agent.errors.js';
export {
  buildPrompt,
  feedbackFor,
  type PreviousAttempt,
  type PromptInput,
  type RecentError,
} from './agent/prompt.js';
export { reportedCostUsd, secondsUntilNextDay } from './agent/decision.js';
export { AgentStore } from './agent/agent.store.js';
export { RecentErrors } from './agent/recent-errors.service.js';
