export { MetricsService } from './metrics.service.js';
export { TelemetryModule } from './telemetry.module.js';
export * from './telemetry-events.js';
