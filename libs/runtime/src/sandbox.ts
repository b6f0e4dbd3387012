import type { SandboxLimits } from '@seed/config';
import ivm from 'isolated-vm';
import { MODULE_GLOBAL } from './compile.js';
import { InvokeError, ModuleLoadError, type InvokeFailureCode } from './failures.js';
import {
  clipMessage,
  readLoadFailure,
  readReport,
  TASK_GUARD,
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
  readonly harness: Harness;
  readonly memoryMb: number;
}

/** The harness's functions (see HARNESS_SOURCE). */
interface Harness {
  readonly bind: ivm.Reference;
  readonly bound: ivm.Reference;
  readonly collect: ivm.Reference;
}

export async function createBlankSandbox(memoryMb: number): Promise<BlankSandbox> {
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb });
  try {
    const context = await isolate.createContext();
    const value = (await context.eval(HARNESS_SOURCE, {
      reference: true,
      filename: 'seed-harness.js',
    })) as ivm.Reference;
    const [bind, bound, collect] = (await Promise.all(
      ['bind', 'bound', 'collect'].map((name) => value.get(name, { reference: true })),
    )) as ivm.Reference[];
    value.release();
    return { isolate, harness: { bind, bound, collect }, memoryMb };
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
  private lastCallId = 0;
  /** calls started and not yet reported, by call id */
  private readonly waiting = new Map<number, (report: HarnessReport | undefined) => void>();

  private constructor(
    private readonly isolate: ivm.Isolate,
    private readonly invokeRef: ivm.Reference,
    private readonly collectRef: ivm.Reference,
    private readonly bounds: ReportBounds,
  ) {}

  /** Runs the module's top-level code in a fresh (or pooled, blank) isolate and binds its default export. */
  static async create(spec: SandboxSpec, blank?: BlankSandbox): Promise<Sandbox> {
    const ready = blank ?? (await createBlankSandbox(spec.limits.memoryMb));
    const { isolate, harness } = ready;
    const bounds = reportBounds(spec.limits);
    try {
      // compiled here only for V8's syntax error and its position; the harness runs the code, catching its throws
      try {
        (await isolate.compileScript(spec.code, { filename: COMPILED_NAME })).release();
      } catch (error) {
        throw loadError('syntax_error', error, spec.sourceMap);
      }
      let invoke: ivm.Reference;
      try {
        await guarded(
          harness.bind.apply(
            undefined,
            [
              moduleScript(spec.code),
              spec.module,
              spec.versionId,
              bounds.maxOutputBytes,
              bounds.maxLogBytes,
              bounds.maxLogLines,
            ],
            { timeout: spec.limits.cpuTimeoutMs },
          ),
        );
        invoke = (await harness.bound.apply(undefined, [], { result: { reference: true } })) as ivm.Reference;
      } catch (error) {
        throw loadError(failureCode(error, isolate), error, spec.sourceMap);
      }
      harness.bind.release();
      harness.bound.release();
      if (invoke.typeof !== 'function') throw refusedLoad(await invoke.copy(), spec.sourceMap);
      return new Sandbox(isolate, invoke, harness.collect, bounds);
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
   * back as reports. Resolves undefined when what came out is not a report (the module broke the harness). A call
   * that awaits what only a later call settles is reported after that call's task; one that is never reported
   * waits for the caller's wall-clock timeout.
   */
  async call(
    inputJson: string | undefined,
    captureLogs: boolean,
    cpuTimeoutMs: number,
  ): Promise<HarnessReport | undefined> {
    const id = ++this.lastCallId;
    const reported = new Promise<HarnessReport | undefined>((resolve) => this.waiting.set(id, resolve));
    try {
      await guarded(this.invokeRef.apply(undefined, [id, inputJson, captureLogs], { timeout: cpuTimeoutMs }));
      await this.collect();
    } catch (error) {
      this.waiting.delete(id);
      throw error;
    }
    return reported;
  }

  /** Hands the reports of the calls that finished in the isolate to their callers. */
  private async collect(): Promise<void> {
    const raw: unknown = await this.collectRef.apply(undefined, [], { result: { copy: true } });
    if (typeof raw !== 'object' || raw === null) return;
    for (const [key, value] of Object.entries(raw)) {
      const id = Number(key);
      const resolve = this.waiting.get(id);
      if (!resolve) continue;
      this.waiting.delete(id);
      resolve(readReport(value, this.bounds));
    }
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
    // their callers have settled on a timeout or on the disposal already
    this.waiting.clear();
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
  if (disposedByHost) return 'disposed';
  if (/memory limit/i.test(message) || isolate.isDisposed) return 'memory_limit';
  return 'runtime_error';
}

function failureMessage(code: InvokeFailureCode, error: unknown, cpuTimeoutMs: number): string {
  const message = clipMessage(errorField(error, 'message') ?? String(error));
  switch (code) {
    case 'timeout':
      return `the module exceeded its CPU timeout of ${cpuTimeoutMs} ms`;
    case 'memory_limit':
      return 'the module exceeded its memory limit';
    case 'disposed':
      return 'the version was unloaded during the call';
    default:
      return message;
  }
}

/** Awaits a harness task, which ends with TASK_GUARD rather than a result when nothing went wrong. */
async function guarded(task: Promise<unknown>): Promise<void> {
  try {
    await task;
  } catch (error) {
    if (error !== TASK_GUARD) throw error;
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
    maxLogLines: limits.maxLogLines,
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
