export * from './counts-against.js';
export * from './rollout.errors.js';
export * from './rollout-schedule.js';
export * from './rollout-verdict.js';
export * from './routing.js';
export * from './window-stats.js';
export * from './rollout.repository.js';
export * from './rollout.module.js';
