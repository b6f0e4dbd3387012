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
