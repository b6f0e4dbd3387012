import type { SandboxLimits } from '@seed/config';
import ivm from 'isolated-vm';
import { answerRequest, type CapabilityAnswer, type OpenSession } from './capability-requests.js';
import type { CapabilityName, CapabilitySession } from './capability-session.js';
import { MODULE_GLOBAL } from './compile.js';
import { batchOutcome, Crossing, type CrossingCall } from './crossing.js';
import type { InvokeError } from './failures.js';
import { readReport, TASK_GUARD, type HarnessReport, type ReportBounds } from './harness-report.js';
import { callFailure, COMPILED_NAME, failureCode, loadError, refusedLoad } from './sandbox-failures.js';
import {
  BATCH_START_WINDOW_MS,
  HARNESS_SOURCE,
  PROGRESS_LOOP_DONE,
  PROGRESS_STARTED,
} from './sandbox-harness.js';
import type { SourceMap } from './source-map.js';

export { COMPILED_NAME, SOURCE_NAME } from './sandbox-failures.js';

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
  readonly settle: ivm.Reference;
}

/** Bits of the grants `invoke` passes to the harness (see HARNESS_SOURCE's `capabilities`). */
const GRANT_BITS: Record<CapabilityName, number> = { kv: 1, call: 2, fetch: 4, model: 8, secret: 16 };

/**
 * Why a call came back without running: its batch failed before it started, or its isolate was retired while it
 * waited for a crossing. LoadedVersion sends it again to a fresh isolate, alone when `solo`.
 */
export class CallNotStarted extends Error {
  constructor(readonly solo: boolean) {
    super('the call did not start');
  }
}

/** One call between `call` and its report. */
interface PendingCall extends CrossingCall {
  readonly id: number;
  readonly args: readonly (string | number | boolean | undefined)[];
  readonly resolve: (report: HarnessReport | undefined) => void;
  readonly reject: (error: unknown) => void;
  reported: boolean;
}

/** A call handed to the sandbox: its report, and a way to take it back while it has not been sent. */
export interface SandboxCall {
  readonly report: Promise<HarnessReport | undefined>;
  /** the caller stopped waiting (wall-clock timeout); true when it had not been sent, so it never starts */
  withdraw(): boolean;
}

const hostDisposal = () => new Error('Isolate is disposed');

export async function createBlankSandbox(memoryMb: number): Promise<BlankSandbox> {
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb });
  try {
    const context = await isolate.createContext();
    const value = (await context.eval(HARNESS_SOURCE, {
      reference: true,
      filename: 'seed-harness.js',
    })) as ivm.Reference;
    const [bind, bound, settle] = (await Promise.all(
      ['bind', 'bound', 'settle'].map((name) => value.get(name, { reference: true })),
    )) as ivm.Reference[];
    value.release();
    return { isolate, harness: { bind, bound, settle }, memoryMb };
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
 * timeout: module code runs on isolated-vm's threads, never on the host's event loop. Calls cross into the
 * isolate in batches (see Crossing and the harness's `batch`); each still succeeds or fails on its own.
 */
export class Sandbox {
  private calls = 0;
  private retired = false;
  private disposedByHost = false;
  private lastCallId = 0;
  /** calls handed over and not yet reported, by call id */
  private readonly pending = new Map<number, PendingCall>();
  /** capabilities of the calls in flight, by call id */
  private readonly sessions = new Map<number, OpenSession>();
  private readonly crossing = new Crossing<PendingCall>((batch) => this.send(batch));

  private constructor(
    private readonly isolate: ivm.Isolate,
    private readonly batchRef: ivm.Reference,
    private readonly settleRef: ivm.Reference,
    private readonly progress: Int32Array,
    private readonly bounds: ReportBounds,
    private readonly cpuTimeoutMs: number,
  ) {}

  /** Runs the module's top-level code in a fresh (or pooled, blank) isolate and binds its default export. */
  static async create(spec: SandboxSpec, blank?: BlankSandbox): Promise<Sandbox> {
    const ready = blank ?? (await createBlankSandbox(spec.limits.memoryMb));
    const { isolate, harness } = ready;
    const bounds = reportBounds(spec.limits);
    // the module's capability requests and the calls' reports arrive here, on the host's event loop
    let target: Sandbox | undefined;
    const host = new ivm.Reference((...args: unknown[]) => target?.onRequest(args));
    const reporter = new ivm.Reference((...args: unknown[]) => target?.onReport(args));
    // written by the harness, read here even after its task timed out or its isolate went
    const progressBuffer = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    try {
      // compiled here only for V8's syntax error and its position; the harness runs the code, catching its throws
      try {
        (await isolate.compileScript(spec.code, { filename: COMPILED_NAME })).release();
      } catch (error) {
        throw loadError('syntax_error', error, spec.sourceMap);
      }
      let batch: ivm.Reference;
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
              reporter,
              new ivm.ExternalCopy(progressBuffer).copyInto({ release: true }),
            ],
            { timeout: spec.limits.cpuTimeoutMs },
          ),
        );
        batch = (await harness.bound.apply(undefined, [], { result: { reference: true } })) as ivm.Reference;
      } catch (error) {
        throw loadError(failureCode(error, isolate), error, spec.sourceMap);
      }
      harness.bind.release();
      harness.bound.release();
      if (batch.typeof !== 'function') throw refusedLoad(await batch.copy(), spec.sourceMap);
      target = new Sandbox(
        isolate,
        batch,
        harness.settle,
        new Int32Array(progressBuffer),
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
   * Calls the module once, in the next crossing. The report rejects with isolated-vm's errors (timeout,
   * disposal) when this call was the one running, and with CallNotStarted when it never started; the module's
   * own failures come back as reports. Resolves undefined when what came out is not a report (the module broke
   * the harness). A call that awaits what only a later call settles is reported after that call's task; one
   * that is never reported waits for the caller's wall-clock timeout.
   */
  call(
    inputJson: string | undefined,
    captureLogs: boolean,
    session?: CapabilitySession,
    solo = false,
  ): SandboxCall {
    const id = ++this.lastCallId;
    let grants = 0;
    let handles: string | undefined;
    if (session) {
      for (const name of session.granted) grants |= GRANT_BITS[name];
      if (session.secretHandles) handles = JSON.stringify(session.secretHandles);
    }
    let call!: PendingCall;
    const report = new Promise<HarnessReport | undefined>((resolve, reject) => {
      call = {
        id,
        solo,
        args: [id, inputJson, captureLogs, grants, handles],
        resolve,
        reject,
        reported: false,
      };
    });
    // a capability's answer can fail the call before its caller awaits it
    report.catch(() => undefined);
    if (this.isRetired) {
      call.reject(new CallNotStarted(false));
      return { report, withdraw: () => true };
    }
    this.pending.set(id, call);
    if (session) this.sessions.set(id, { session, maxCalls: session.maxCalls, calls: 0, outstanding: 0 });
    this.crossing.submit(call);
    return {
      report,
      withdraw: () => {
        const unsent = this.crossing.withdraw(call);
        this.forget(id);
        return unsent;
      },
    };
  }

  /** One crossing with a batch; settles each of its calls that did not finish, never rejects. */
  private async send(batch: PendingCall[]): Promise<void> {
    if (this.isolate.isDisposed) return this.lost(batch, hostDisposal());
    let failure: unknown;
    try {
      await guarded(
        this.batchRef.apply(
          undefined,
          batch.flatMap((call) => call.args),
          // the start window on top: every call that starts keeps the whole CPU timeout (see the harness)
          { timeout: this.cpuTimeoutMs + BATCH_START_WINDOW_MS },
        ),
      );
    } catch (error) {
      failure = error ?? new Error('the batch failed');
    }
    // the reports sent before the task ended have arrived: isolated-vm delivers them before the task's end
    const size = batch.length;
    const guess = Atomics.load(this.progress, PROGRESS_STARTED);
    const last = batch[Math.min(Math.max(guess, 1), size) - 1];
    const outcome = batchOutcome({
      size,
      started: guess,
      loopDone: Atomics.load(this.progress, PROGRESS_LOOP_DONE) === 1,
      failed: failure !== undefined,
      lastReported: last.reported,
      lastAwaitingHost: (this.sessions.get(last.id)?.outstanding ?? 0) > 0,
    });
    const notStarted = batch.slice(outcome.started);
    if (failure === undefined) {
      // the harness stopped early (a call that awaits, or its start window ran out): the rest go next, here
      // unless the isolate was retired meanwhile
      if (!this.retired) return this.crossing.requeue(notStarted);
      for (const call of notStarted) this.fail(call, new CallNotStarted(false));
      return;
    }
    // a failed task leaves the isolate in no state to trust: no new calls; those still waiting go elsewhere
    this.retired = true;
    for (const call of notStarted) this.fail(call, new CallNotStarted(true));
    for (const call of this.crossing.close()) this.fail(call, new CallNotStarted(false));
    if (outcome.running !== undefined) this.fail(batch[outcome.running], failure);
    // past the memory limit the isolate is gone, and every call still in it with it
    if (this.isolate.isDisposed) for (const call of [...this.pending.values()]) this.fail(call, failure);
  }

  /** The calls of a batch that could not cross: they never started. */
  private lost(batch: PendingCall[], error: unknown): void {
    for (const call of batch) this.fail(call, this.disposedByHost ? error : new CallNotStarted(false));
  }

  private fail(call: PendingCall, error: unknown): void {
    if (!this.pending.has(call.id)) return;
    this.forget(call.id);
    call.reject(error);
  }

  private forget(id: number): void {
    this.pending.delete(id);
    this.sessions.delete(id);
  }

  /** A finished call's report, sent by the harness: (call id, report). Untrusted until readReport checked it. */
  private onReport(args: unknown[]): void {
    const [id, raw] = args;
    if (typeof id !== 'number') return;
    const call = this.pending.get(id);
    if (!call) return;
    call.reported = true;
    this.forget(id);
    call.resolve(readReport(raw, this.bounds));
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
    open.outstanding++;
    void answerRequest(open, capability, op, json).then(
      (answer) => {
        open.outstanding--;
        return this.deliver(id, rid, answer);
      },
      () => undefined,
    );
  }

  /** Settles the request in the isolate (a task of its own, under the CPU timeout); the report comes on its own. */
  private async deliver(id: number, rid: number, answer: CapabilityAnswer): Promise<void> {
    // the call ended meanwhile (wall-clock timeout, disposal): nothing waits for the answer
    if (!this.sessions.has(id) || this.isolate.isDisposed) return;
    const args = answer.ok ? [rid, true, answer.json] : [rid, false, answer.message, answer.code];
    try {
      await guarded(this.settleRef.apply(undefined, args, { timeout: this.cpuTimeoutMs }));
    } catch (error) {
      // the module's continuation ran past its CPU timeout, or the isolate went: that call fails
      const call = this.pending.get(id);
      if (call) this.fail(call, error);
      // past the memory limit the isolate is gone, and every call still in it with it
      if (this.isolate.isDisposed) for (const other of [...this.pending.values()]) this.fail(other, error);
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
    // the calls still waiting for a crossing start in a fresh isolate rather than beside what is left here
    for (const call of this.crossing.close()) this.fail(call, new CallNotStarted(false));
    if (this.calls === 0) this.dispose();
  }

  dispose(): void {
    if (!this.isolate.isDisposed) this.disposedByHost = true;
    const error = hostDisposal();
    for (const call of this.crossing.close()) this.fail(call, error);
    for (const call of [...this.pending.values()]) this.fail(call, error);
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }

  /** What an isolated-vm rejection of `call` means for the caller. */
  failureOf(error: unknown, cpuTimeoutMs: number): InvokeError {
    return callFailure(error, this.isolate, this.disposedByHost, cpuTimeoutMs);
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
