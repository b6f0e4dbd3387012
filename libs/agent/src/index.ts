export {
  callCostUsd,
  overBudget,
  stopReason,
  type PriceTable,
  type RunBudget,
  type RunState,
  type StopReason,
  type Usage,
} from './budget.js';
export { normalisedHash } from './normalise.js';
export {
  activeParent,
  chooseParent,
  chooseParents,
  selectionWeight,
  type ArchiveEntry,
  type ParentChoice,
} from './parent-selection.js';
export {
  applyBlocks,
  applyFeedback,
  parseBlocks,
  type ApplyResult,
  type EditBlock,
} from './search-replace.js';
export { AgentModule } from './agent.module.js';
export { ImprovementEngine } from './improvement-engine.service.js';
export { ImprovementError, type ImprovementErrorCode } from './improvement.errors.js';
export { ImprovementRunsRepository } from './improvement-runs.repository.js';
export { ImprovementsService, type ImprovementJobData, type RunRequest } from './improvements.service.js';
export { type Reader } from './run-views.js';
export { SelfHealService } from './self-heal.service.js';
