export { AgentModule } from './agent.module.js';
export { ImprovementEngine } from './improvement-engine.service.js';
export { ImprovementError, type ImprovementErrorCode } from './improvement.errors.js';
export { ImprovementRunsRepository } from './improvement-runs.repository.js';
export { ImprovementSweeper } from './improvement-sweeper.js';
export { ImprovementsService, type RunRequest } from './improvements.service.js';
export { SelfHealService } from './self-heal.service.js';
