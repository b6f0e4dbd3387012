import type { SandboxLimits } from '@seed/config';
import ivm from 'isolated-vm';
import {
  CapabilityError,
  MAX_CAPABILITY_ARGS,
  MAX_CAPABILITY_RESULT,
  type CapabilityName,
  type CapabilitySession,
} from './capability-session.js';
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
  readonly settle: ivm.Reference;
}

/** Bits of the grants `invoke` passes to the harness (see HARNESS_SOURCE's `capabilities`). */
const GRANT_BITS: Record<CapabilityName, number> = { kv: 1, call: 2, fetch: 4, model: 8, secret: 16 };
const OPS: Record<CapabilityName, readonly string[]> = {
  kv: ['get', 'set', 'delete', 'list'],
  call: ['call'],
  fetch: ['fetch'],
  model: ['generate'],
  secret: [],
};

/** One invocation's capabilities while it runs. */
interface OpenSession {
  readonly session: CapabilitySession;
  readonly maxCalls: number;
  calls: number;
}

export async function createBlankSandbox(memoryMb: number): Promise<BlankSandbox> {
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb });
  try {
    const context = await isolate.createContext();
    const value = (await context.eval(HARNESS_SOURCE, {
      reference: true,
      filename: 'seed-harness.js',
    })) as ivm.Reference;
    const [bind, bound, collect, settle] = (await Promise.all(
      ['bind', 'bound', 'collect', 'settle'].map((name) => value.get(name, { reference: true })),
    )) as ivm.Reference[];
    value.release();
    return { isolate, harness: { bind, bound, collect, settle }, memoryMb };
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
  private readonly waiting = new Map<
    number,
    { resolve: (report: HarnessReport | undefined) => void; reject: (error: unknown) => void }
  >();
  /** capabilities of the calls in flight, by call id */
  private readonly sessions = new Map<number, OpenSession>();

  private constructor(
    private readonly isolate: ivm.Isolate,
    private readonly invokeRef: ivm.Reference,
    private readonly collectRef: ivm.Reference,
    private readonly settleRef: ivm.Reference,
    private readonly bounds: ReportBounds,
    private readonly cpuTimeoutMs: number,
  ) {}

  /** Runs the module's top-level code in a fresh (or pooled, blank) isolate and binds its default export. */
  static async create(spec: SandboxSpec, blank?: BlankSandbox): Promise<Sandbox> {
    const ready = blank ?? (await createBlankSandbox(spec.limits.memoryMb));
    const { isolate, harness } = ready;
    const bounds = reportBounds(spec.limits);
    // the module's capability requests arrive here, on the host's event loop, once the instance exists
    let target: Sandbox | undefined;
    const host = new ivm.Reference((...args: unknown[]) => target?.onRequest(args));
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
              host,
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
      target = new Sandbox(
        isolate,
        invoke,
        harness.collect,
        harness.settle,
        bounds,
        spec.limits.cpuTimeoutMs,
      );
      return target;
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
    session?: CapabilitySession,
  ): Promise<HarnessReport | undefined> {
    const id = ++this.lastCallId;
    const reported = new Promise<HarnessReport | undefined>((resolve, reject) =>
      this.waiting.set(id, { resolve, reject }),
    );
    // a capability's answer can fail the call before this one awaits it
    reported.catch(() => undefined);
    let grants = 0;
    let handles: string | undefined;
    if (session) {
      this.sessions.set(id, { session, maxCalls: session.maxCalls, calls: 0 });
      for (const name of session.granted) grants |= GRANT_BITS[name];
      if (session.secretHandles) handles = JSON.stringify(session.secretHandles);
    }
    try {
      await guarded(
        this.invokeRef.apply(undefined, [id, inputJson, captureLogs, grants, handles], {
          timeout: cpuTimeoutMs,
        }),
      );
      await this.collect();
      return await reported;
    } finally {
      this.waiting.delete(id);
      this.sessions.delete(id);
    }
  }

  /**
   * A capability request from the harness: (call id, request id, capability, op, arguments' JSON). Untrusted: the
   * module may have broken the harness, so every field is checked before anything is parsed.
   */
  private onRequest(args: unknown[]): void {
    const [id, rid, capability, op, json] = args;
    if (typeof id !== 'number' || typeof rid !== 'number' || !Number.isSafeInteger(rid)) return;
    const open = this.sessions.get(id);
    if (!open) return;
    void this.answer(open, rid, capability, op, json).then(
      (answer) => this.deliver(id, rid, answer),
      () => undefined,
    );
  }

  private async answer(
    open: OpenSession,
    rid: number,
    capability: unknown,
    op: unknown,
    json: unknown,
  ): Promise<{ ok: true; json?: string } | { ok: false; code: string; message: string }> {
    try {
      if (typeof capability !== 'string' || !Object.hasOwn(OPS, capability)) {
        throw new CapabilityError('invalid_capability_args', 'no such capability');
      }
      const name = capability as CapabilityName;
      if (!open.session.granted.includes(name)) {
        throw new CapabilityError('capability_denied', `the module has no ${name} grant`);
      }
      if (typeof op !== 'string' || !OPS[name].includes(op)) {
        throw new CapabilityError(
          'invalid_capability_args',
          `${name} has no operation ${String(op).slice(0, 50)}`,
        );
      }
      if (typeof json !== 'string' || json.length > MAX_CAPABILITY_ARGS) {
        throw new CapabilityError(
          'capability_limit',
          `the arguments are over ${MAX_CAPABILITY_ARGS} characters`,
        );
      }
      if (++open.calls > open.maxCalls) {
        throw new CapabilityError(
          'capability_limit',
          `the call made more than ${open.maxCalls} capability calls (SANDBOX_MAX_CAPABILITY_CALLS)`,
        );
      }
      const parsed: unknown = JSON.parse(json);
      if (!Array.isArray(parsed))
        throw new CapabilityError('invalid_capability_args', 'the arguments are no list');
      const result = await open.session.request(name, op, parsed);
      if (result === undefined) return { ok: true };
      const out = JSON.stringify(result);
      if (out.length > MAX_CAPABILITY_RESULT) {
        throw new CapabilityError(
          'capability_limit',
          `the result is over ${MAX_CAPABILITY_RESULT} characters of JSON`,
        );
      }
      return { ok: true, json: out };
    } catch (error) {
      if (error instanceof CapabilityError)
        return { ok: false, code: error.code, message: clipMessage(error.message) };
      return { ok: false, code: 'capability_unavailable', message: 'the capability failed' };
    }
  }

  /** Settles the request in the isolate (a task of its own, under the CPU timeout), then collects what finished. */
  private async deliver(
    id: number,
    rid: number,
    answer: { ok: true; json?: string } | { ok: false; code: string; message: string },
  ): Promise<void> {
    // the call ended meanwhile (wall-clock timeout, disposal): nothing waits for the answer
    if (!this.sessions.has(id) || this.isolate.isDisposed) return;
    const args = answer.ok ? [rid, true, answer.json] : [rid, false, answer.message, answer.code];
    try {
      await guarded(this.settleRef.apply(undefined, args, { timeout: this.cpuTimeoutMs }));
      await this.collect();
    } catch (error) {
      // the module's continuation ran past its CPU timeout, or the isolate went: that call fails
      this.waiting.get(id)?.reject(error);
    }
  }

  /** Hands the reports of the calls that finished in the isolate to their callers. */
  private async collect(): Promise<void> {
    let raw: unknown;
    try {
      raw = await this.collectRef.apply(undefined, [], { result: { copy: true } });
    } catch (error) {
      // the guard of a task that timed out (a capability's answer) is still unreported: that call failed already
      if (error === TASK_GUARD) return;
      throw error;
    }
    if (typeof raw !== 'object' || raw === null) return;
    for (const [key, value] of Object.entries(raw)) {
      const id = Number(key);
      const waiter = this.waiting.get(id);
      if (!waiter) continue;
      this.waiting.delete(id);
      waiter.resolve(readReport(value, this.bounds));
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
    this.sessions.clear();
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
