export { ActivationService } from './activation.service.js';
export { ActivationWatch } from './activation-watch.service.js';
export { HotReloadError, type HotReloadErrorCode } from './hot-reload.errors.js';
export { HotReloadModule } from './hot-reload.module.js';
export { LocalRuns } from './local-runs.service.js';
export { errorRate, type CallStats } from './canary.js';
export {
  InvocationService,
  type Invocation,
  type InvocationOutcome,
  type RouteOptions,
} from './invocation.service.js';
export { RouteTable, type Route } from './route-table.service.js';
export { RolloutAnalyser } from './rollout-analyser.service.js';
export { ModulesService } from './modules.service.js';
export { Reconciler } from './reconciler.service.js';
export { RolloutsService, type ManualAction, type StartRollout } from './rollouts.service.js';
export {
  FINAL_STATUSES,
  IN_PIPELINE,
  PipelineService,
  type PipelineResult,
  type PipelineRun,
} from './pipeline.service.js';
export { SubmissionsService, type Candidate, type JobView, type Submission } from './submissions.service.js';
export {
  utility,
  utilityPolicy,
  OBJECTIVE_DEFAULTS,
  POLICY_DEFAULTS,
  type Objective,
  type ActivationPolicy,
} from './utility.js';
export { activationDecision } from './gates.js';
export { whyWaiting } from './waiting.js';
