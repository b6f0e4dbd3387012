import { DomainError } from '@seed/errors';
import type { CapabilityErrorCode } from './capability-session.js';

/** Why an invocation did not produce an output. */
export type InvokeFailureCode =
  /** the module ran past its CPU or wall-clock timeout, or returned a promise that can never settle */
  | 'timeout'
  /** the module exceeded its memory limit; the isolate was disposed and is recreated on the next call */
  | 'memory_limit'
  /** the module threw (message, and the line in the module source where known) */
  | 'runtime_error'
  /** the output is not JSON: undefined, a function, a BigInt, a cycle... */
  | 'output_not_json'
  /** the output's JSON is larger than maxOutputBytes */
  | 'output_too_large'
  /** the caller passed an input that JSON cannot represent */
  | 'input_not_json'
  /** the module refused the input by throwing ctx.InputError: the caller's fault, never the version's */
  | 'invalid_input'
  /** the version's concurrency queue is full: the caller should retry later (HTTP 429) */
  | 'overloaded'
  /** the version was unloaded while the call waited or ran */
  | 'disposed'
  /** no version of the module is loaded on this node */
  | 'not_loaded'
  /** the module let a capability's failure escape (ctx.kv, ctx.call, ...): that failure's code */
  | CapabilityErrorCode;

/** Failures caused by the module's own code (HTTP 422, and what a canary counts); the rest are platform or caller side. */
const MODULE_FAULTS: ReadonlySet<InvokeFailureCode> = new Set([
  'timeout',
  'memory_limit',
  'runtime_error',
  'output_not_json',
  'output_too_large',
]);

export interface InvokeErrorDetails {
  /** 1-based line in the module's TypeScript source (runtime_error) */
  readonly line?: number;
  readonly column?: number;
  /** the module's stack with positions mapped to its TypeScript source */
  readonly stack?: string;
  /** ctx.log lines captured before the failure, when the sandbox could still report them */
  readonly logs?: readonly string[];
}

/** `details` (what a caller is shown) is the failure's position in the module's TypeScript source, when known. */
export class InvokeError extends DomainError<InvokeFailureCode> {
  readonly line?: number;
  readonly column?: number;
  readonly moduleStack?: string;
  readonly logs?: readonly string[];

  constructor(code: InvokeFailureCode, message: string, failure: InvokeErrorDetails = {}) {
    super(code, message, sourcePosition(failure));
    this.line = failure.line;
    this.column = failure.column;
    this.moduleStack = failure.stack;
    this.logs = failure.logs;
  }

  /** True when the module's code is to blame rather than the platform or the caller. */
  get moduleFault(): boolean {
    return MODULE_FAULTS.has(this.code);
  }
}

/** Why a version could not be loaded into a sandbox. */
export type LoadFailureCode =
  /** V8 rejected the compiled code */
  | 'syntax_error'
  /** the default export is missing or not a function */
  | 'not_a_function'
  /** the module's top-level code threw */
  | 'runtime_error'
  /** the module's top-level code ran past the CPU timeout */
  | 'timeout'
  /** the module's top-level code exceeded the memory limit */
  | 'memory_limit';

export class ModuleLoadError extends DomainError<LoadFailureCode> {
  readonly line?: number;
  readonly column?: number;

  constructor(code: LoadFailureCode, message: string, position: { line?: number; column?: number } = {}) {
    super(code, message, sourcePosition(position));
    this.line = position.line;
    this.column = position.column;
  }
}

function sourcePosition(where: {
  line?: number;
  column?: number;
}): { line: number; column?: number } | undefined {
  return where.line ? { line: where.line, column: where.column } : undefined;
}
