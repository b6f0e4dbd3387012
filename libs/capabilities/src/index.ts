export { CapabilitiesModule } from './capabilities.module.js';
export {
  calleeFailure,
  CapabilityBroker,
  type ModelGateway,
  type ModuleInvoker,
} from './capability-broker.js';
export { GrantedSession, type Backends, type CallBackend, type KvBackend } from './granted-session.js';
export { grantedNames, resolveGrants, type ResolvedGrants } from './grants.js';
export { parseKvOp, type KvOp } from './kv-args.js';
export { KvStore } from './kv-store.js';
export { entryBytes, quotaRefusal, type KvQuota, type KvUsage } from './kv-quota.js';
export { FixtureSession } from './fixture-session.js';
export { parseCidr, refusedAddress, type Cidr } from './address-policy.js';
export { parseFetchArgs } from './fetch-args.js';
export {
  FetchClient,
  systemResolver,
  type FetchBounds,
  type FetchRequest,
  type FetchResult,
  type Resolver,
} from './fetch-client.js';
export { parseGenerateArgs, promptText, type GenerateRequest, type GenerateResult } from './model-args.js';
export { TokenBudget } from './token-budget.js';
export { keyId, SecretBox } from './secret-box.js';
export {
  SecretsError,
  SecretsService,
  type SecretListing,
  type SecretsErrorCode,
} from './secrets.service.js';
export {
  MAX_TRANSCRIPT_CHARS,
  TranscriptSession,
  transcriptKey,
  type TranscriptEntry,
} from './transcript.js';
