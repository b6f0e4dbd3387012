/**
 * Declarations for module authors, served at GET /modules/sdk.d.ts. Ambient (no exports) on purpose: a module may
 * not import anything, so an author adds `/// <reference path="./sdk.d.ts" />` or puts the file beside the module.
 */
export const MODULE_SDK_DTS = `/**
 * Seed Agent module SDK.
 *
 * A module is one TypeScript file with no imports whose default export is a ModuleFunction:
 *
 *   export default function (input: { name: string }, ctx: ModuleContext) {
 *     ctx.log('greeting', input.name);
 *     return { greeting: \`Hello, \${input.name}\` };
 *   }
 *
 * It runs in its own V8 isolate with only the JavaScript built-ins: no Node APIs (process, require, Buffer),
 * no import() or require(), no timers (setTimeout, setInterval), no network, no file system, no WebAssembly,
 * no SharedArrayBuffer or resizable ArrayBuffers. console exists but its output is discarded: use ctx.log.
 * Each call has a CPU timeout, a wall-clock timeout and a memory limit; the output's JSON has a size limit.
 * Globals may survive between calls of the same version, but any call may get a fresh isolate: never rely on them.
 */

/** A value JSON can represent. Inputs are parsed from JSON; outputs go through JSON.stringify. */
type JsonPrimitive = string | number | boolean | null;
type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

/** The second argument of every call; frozen. */
interface ModuleContext {
  /**
   * Appends one log line: strings as they are, other values as JSON, joined by spaces. The lines of one call are
   * returned with its result, up to the node's log line and size limits, each line counting one byte more than
   * its text (a final line marks the truncation and counts the lines dropped).
   */
  log(...args: unknown[]): void;
  /** Name of the module being invoked. */
  readonly module: string;
  /** Id of the version being invoked. */
  readonly version: string;
  /**
   * Throw \`new ctx.InputError('why')\` to refuse a bad input: the call fails with invalid_input (HTTP 422), counted
   * as the caller's fault, never the version's (no canary rollback, no self-healing).
   */
  readonly InputError: new (message?: string) => Error;
  /**
   * What a failed capability call rejects with: catch it and read \`code\`. One the module lets escape fails the
   * call with that code (capability_unavailable is HTTP 503, the others 422).
   */
  readonly CapabilityError: new (code: CapabilityErrorCode, message?: string) => CapabilityFailure;

  /**
   * Capabilities exist only when an admin granted them in the module's settings (\`capabilities\`); otherwise
   * they are undefined. Every call is asynchronous, its arguments are copied as JSON, and one invocation may make
   * at most SANDBOX_MAX_CAPABILITY_CALLS of them. Awaiting one counts against the wall-clock timeout.
   */
  /** Per-module JSON state, shared by every version (a rollback does not undo writes). */
  readonly kv?: ModuleKv;
  /** Runs another module's active version (grant: \`capabilities.call\` lists it) and resolves to its output. */
  readonly call?: (module: string, input?: JsonValue) => Promise<JsonValue>;
  /** HTTP to the granted origins only. */
  readonly fetch?: (url: string, init?: FetchInit) => Promise<FetchResponse>;
  /** The configured language model, within the module's token budgets. */
  readonly model?: { generate(request: GenerateRequest): Promise<GenerateResult> };
  /**
   * An opaque placeholder for a granted secret, random per invocation: put it in a ctx.fetch header value and the
   * host substitutes the secret for the origins it is bound to. The plaintext never enters the module.
   */
  readonly secret?: (name: string) => string;
}

type CapabilityErrorCode =
  | 'capability_unavailable'
  | 'capability_denied'
  | 'capability_limit'
  | 'invalid_capability_args'
  | 'quota_exceeded'
  | 'call_depth'
  | 'call_cycle'
  | 'call_failed'
  | 'invalid_json';

interface CapabilityFailure extends Error {
  readonly code: CapabilityErrorCode;
}

interface ModuleKv {
  /** The value stored under key, or null. Keys are 1-512 characters. */
  get(key: string): Promise<JsonValue>;
  /** Stores a JSON value (\`ttlMs\`: it expires after that long). Over the quota: quota_exceeded. */
  set(key: string, value: JsonValue, options?: { ttlMs?: number }): Promise<void>;
  /** True when the key existed. */
  delete(key: string): Promise<boolean>;
  /** Keys starting with prefix, in order, with their values (at most 1000). */
  list(prefix?: string): Promise<Array<{ key: string; value: JsonValue }>>;
}

interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

interface FetchResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** the body as text */
  readonly body: string;
  /** The body parsed as JSON; rejects with a CapabilityError of code invalid_json when it is not JSON. */
  json(): Promise<JsonValue>;
}

type ModelMessage = { role: 'user' | 'assistant'; content: string };

type GenerateRequest =
  | { prompt: string; system?: string; maxTokens?: number }
  | { messages: ModelMessage[]; system?: string; maxTokens?: number };

interface GenerateResult {
  readonly text: string;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number; readonly totalTokens: number };
}

/**
 * The default export of a module. Returning undefined, a function, a BigInt or a cyclic value fails the call with
 * output_not_json; throwing fails it with runtime_error (message and source line are reported).
 */
type ModuleFunction<Input = JsonValue, Output = JsonValue> = (
  input: Input,
  ctx: ModuleContext,
) => Output | Promise<Output>;
`;
