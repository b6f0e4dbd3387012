export {
  CAPABILITY_ERROR_CODES,
  CAPABILITY_NAMES,
  CapabilityError,
  type CapabilityErrorCode,
  type CapabilityName,
  type CapabilitySession,
} from './capability-session.js';
export { ConcurrencyGate } from './concurrency-gate.js';
export { compileModule, type CompileDiagnostic, type CompileResult } from './compile.js';
export {
  InvokeError,
  ModuleLoadError,
  type InvokeErrorDetails,
  type InvokeFailureCode,
  type LoadFailureCode,
} from './failures.js';
export { IsolatePool, type IsolatePoolOptions } from './isolate-pool.js';
export {
  LoadedVersion,
  type InvokeOptions,
  type InvokeResult,
  type JsonValue,
  type LoadVersionOptions,
} from './loaded-version.js';
export { ModuleRegistry, type LoadedVersionView, type RegistryStats } from './module-registry.js';
export { RuntimeModule } from './runtime.module.js';
export { MODULE_SDK_DTS } from './sdk.js';
