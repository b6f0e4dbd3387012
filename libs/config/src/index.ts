export {
  configSchema,
  type AppConfig,
  type CanaryPolicy,
  type CapabilitiesConfig,
  type IntegrationsConfig,
  type SandboxLimits,
} from './config.schema.js';
export { ENV_SECTIONS, envSchema, type EnvSection } from './env.schema.js';
export { renderConfigReference, variableReference, type VariableReference } from './config-reference.js';
export {
  ConfigError,
  loadConfig,
  loadConfigFromProcess,
  scrubSecretsFromProcessEnv,
  SECRET_VARIABLES,
} from './load-config.js';
export { APP_CONFIG, ConfigModule } from './config.module.js';
export { hashSecret, ROLES, type ApiToken, type Role } from './api-tokens.js';
