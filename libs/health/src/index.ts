export { HealthModule } from './health.module.js';
export { HealthService, type Liveness, type Readiness } from './health.service.js';
export { LifecycleService, type Phase } from './lifecycle.service.js';
export { type HealthErrorCode } from './with-timeout.js';
