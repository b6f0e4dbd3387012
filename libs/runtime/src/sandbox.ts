import type { SandboxLimits } from '@seed/config';
import ivm from 'isolated-vm';
import { MODULE_GLOBAL } from './compile.js';
import { InvokeError, ModuleLoadError, type InvokeFailureCode } from './failures.js';
import {
  clipMessage,
  DEFAULT_MAX_LOG_LINES,
  readLoadFailure,
  readReport,
  type HarnessReport,
  type ReportBounds,
} from './harness-report.js';
import { HARNESS_SOURCE } from './sandbox-harness.js';
import { mapStack, SourceMap } from './source-map.js';

/** Script name of the compiled module inside the isolate, and of its source in mapped stacks. */
export const COMPILED_NAME = 'module.js';
export const SOURCE_NAME = 'module.ts';

/** An isolate whose context ran the harness but no module yet: what the pool keeps ready. */
export interface BlankSandbox {
  readonly isolate: ivm.Isolate;
  readonly bind: ivm.Reference;
  readonly memoryMb: number;
}

export async function createBlankSandbox(memoryMb: number): Promise<BlankSandbox> {
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb });
  try {
    const context = await isolate.createContext();
    const bind = (await context.eval(HARNESS_SOURCE, {
      reference: true,
      filename: 'seed-harness.js',
    })) as ivm.Reference;
    return { isolate, bind, memoryMb };
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}

export interface SandboxSpec {
  readonly module: string;
  readonly versionId: string;
  readonly code: string;
  readonly limits: SandboxLimits;
  readonly sourceMap?: SourceMap;
}

/**
 * One isolate running one version's code. Every call into module code is an async isolated-vm call with a CPU
 * timeout: module code runs on isolated-vm's threads, never on the host's event loop.
 */
export class Sandbox {
  private calls = 0;
  private retired = false;
  private disposedByHost = false;

  private constructor(
    private readonly isolate: ivm.Isolate,
    private readonly invokeRef: ivm.Reference,
    private readonly bounds: ReportBounds,
  ) {}

  /** Runs the module's top-level code in a fresh (or pooled, blank) isolate and binds its default export. */
  static async create(spec: SandboxSpec, blank?: BlankSandbox): Promise<Sandbox> {
    const ready = blank ?? (await createBlankSandbox(spec.limits.memoryMb));
    const { isolate, bind } = ready;
    const bounds = reportBounds(spec.limits);
    try {
      // compiled here only for V8's syntax error and its position; the harness runs the code, catching its throws
      try {
        (await isolate.compileScript(spec.code, { filename: COMPILED_NAME })).release();
      } catch (error) {
        throw loadError('syntax_error', error, spec.sourceMap);
      }
      let bound: ivm.Reference;
      try {
        bound = (await bind.apply(
          undefined,
          [
            moduleScript(spec.code),
            spec.module,
            spec.versionId,
            bounds.maxOutputBytes,
            bounds.maxLogBytes,
            bounds.maxLogLines,
          ],
          { timeout: spec.limits.cpuTimeoutMs, result: { reference: true } },
        )) as ivm.Reference;
      } catch (error) {
        throw loadError(failureCode(error, isolate), error, spec.sourceMap);
      }
      bind.release();
      if (bound.typeof !== 'function') throw refusedLoad(await bound.copy(), spec.sourceMap);
      return new Sandbox(isolate, bound, bounds);
    } catch (error) {
      if (!isolate.isDisposed) isolate.dispose();
      throw error;
    }
  }

  get isDisposed(): boolean {
    return this.isolate.isDisposed;
  }

  /** Takes no new calls: retired after a failure, or disposed (also by isolated-vm, past the memory limit). */
  get isRetired(): boolean {
    return this.retired || this.isolate.isDisposed;
  }

  /**
   * Calls the module once. Rejects with isolated-vm's errors (timeout, disposal); the module's own failures come
   * back as reports. Resolves undefined when what came out is not a report (the module broke the harness).
   */
  async call(
    inputJson: string | undefined,
    captureLogs: boolean,
    cpuTimeoutMs: number,
  ): Promise<HarnessReport | undefined> {
    const raw: unknown = await this.invokeRef.apply(undefined, [inputJson, captureLogs], {
      timeout: cpuTimeoutMs,
      result: { promise: true, copy: true },
    });
    return readReport(raw, this.bounds);
  }

  enter(): void {
    this.calls++;
  }

  leave(): void {
    this.calls--;
    if (this.retired && this.calls === 0) this.dispose();
  }

  /** No new calls come here; the isolate goes once the calls still inside it have returned. */
  retire(): void {
    this.retired = true;
    if (this.calls === 0) this.dispose();
  }

  dispose(): void {
    if (this.isolate.isDisposed) return;
    this.disposedByHost = true;
    this.isolate.dispose();
  }

  /** What an isolated-vm rejection of `call` means for the caller. */
  failureOf(error: unknown, cpuTimeoutMs: number): InvokeError {
    const code = failureCode(error, this.isolate, this.disposedByHost);
    return new InvokeError(code, failureMessage(code, error, cpuTimeoutMs));
  }
}

// isolated-vm's errors come from the main realm, so `instanceof Error` fails under Jest's vm realm: duck-type them
function errorField(error: unknown, field: 'name' | 'message' | 'stack'): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

function failureCode(error: unknown, isolate: ivm.Isolate, disposedByHost = false): InvokeFailureCode {
  const message = errorField(error, 'message') ?? String(error);
  if (/timed out/i.test(message)) return 'timeout';
  // isolated-vm abandons a call whose promise was garbage collected unsettled: it could never have settled
  if (/promise was abandoned/i.test(message)) return 'timeout';
  if (disposedByHost) return 'disposed';
  if (/memory limit/i.test(message) || isolate.isDisposed) return 'memory_limit';
  return 'runtime_error';
}

function failureMessage(code: InvokeFailureCode, error: unknown, cpuTimeoutMs: number): string {
  const message = clipMessage(errorField(error, 'message') ?? String(error));
  switch (code) {
    case 'timeout':
      return /abandoned/i.test(message)
        ? 'the module returned a promise that can never settle'
        : `the module exceeded its CPU timeout of ${cpuTimeoutMs} ms`;
    case 'memory_limit':
      return 'the module exceeded its memory limit';
    case 'disposed':
      return 'the version was unloaded during the call';
    default:
      return message;
  }
}

/**
 * The module's script as the harness evaluates it: its completion value is the exports, and its stack frames name
 * the compiled script as a script run from the host would.
 */
function moduleScript(code: string): string {
  return `${code}\n;typeof ${MODULE_GLOBAL} === 'undefined' ? undefined : ${MODULE_GLOBAL}\n//# sourceURL=${COMPILED_NAME}`;
}

function reportBounds(limits: SandboxLimits): ReportBounds {
  return {
    maxOutputBytes: limits.maxOutputBytes,
    maxLogBytes: limits.maxLogBytes,
    maxLogLines: limits.maxLogLines ?? DEFAULT_MAX_LOG_LINES,
  };
}

/** What the harness answered instead of an invoke function: the module's top-level throw, or no function. */
function refusedLoad(raw: unknown, map?: SourceMap): ModuleLoadError {
  const failure = readLoadFailure(raw);
  if (!failure) return new ModuleLoadError('runtime_error', 'the module broke the sandbox while loading');
  const text = failure.name ? `${failure.name}: ${failure.message}` : failure.message;
  const { position } = mapStack(failure.stack ?? '', COMPILED_NAME, SOURCE_NAME, map);
  return new ModuleLoadError(failure.code, text, position ?? {});
}

/** Errors of isolated-vm itself and of V8's compiler: no module code made them, but they can quote its source. */
function loadError(
  code: InvokeFailureCode | 'syntax_error',
  error: unknown,
  map?: SourceMap,
): ModuleLoadError {
  const loadCode =
    code === 'timeout' || code === 'memory_limit' || code === 'syntax_error' ? code : 'runtime_error';
  const message = errorField(error, 'message');
  const base = message === undefined ? String(error) : `${errorField(error, 'name') ?? 'Error'}: ${message}`;
  // a syntax error carries its position in the message: "Unexpected token ';' [module.js:2:7]"
  const stack = `${errorField(error, 'stack') ?? ''}\n${message ?? ''}`;
  const { position } = mapStack(stack, COMPILED_NAME, SOURCE_NAME, map);
  const text =
    loadCode === 'timeout'
      ? "the module's top-level code exceeded its CPU timeout"
      : loadCode === 'memory_limit'
        ? "the module's top-level code exceeded its memory limit"
        : clipMessage(base);
  return new ModuleLoadError(loadCode, text, position ?? {});
}
