import type { SandboxLimits } from '@seed/config';
import type { CapabilitySession } from './capability-session.js';
import { ConcurrencyGate } from './concurrency-gate.js';
import { InvokeError, ModuleLoadError } from './failures.js';
import type { HarnessReport } from './harness-report.js';
import type { IsolatePool } from './isolate-pool.js';
import { CallNotStarted, COMPILED_NAME, Sandbox, SOURCE_NAME } from './sandbox.js';
import { mapStack, SourceMap } from './source-map.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface LoadVersionOptions {
  readonly module: string;
  readonly versionId: string;
  /** compiled code from compileModule */
  readonly code: string;
  readonly limits: SandboxLimits;
  /** pre-created isolates; used when its memory limit matches limits.memoryMb */
  readonly pool?: IsolatePool;
}

export interface InvokeOptions {
  /** capture ctx.log lines (default true); when false ctx.log does nothing */
  readonly captureLogs?: boolean;
  /** this call's capabilities; without it every ctx capability is undefined */
  readonly capabilities?: CapabilitySession;
}

export interface InvokeResult {
  readonly output: JsonValue;
  readonly logs: string[];
  /** the logs reached maxLogLines or maxLogBytes; the last line says so too */
  readonly logsTruncated: boolean;
  /** log lines not kept at all once the logs were truncated */
  readonly logsDropped: number;
  readonly durationMs: number;
}

const WALL_TIMEOUT = Symbol('wall timeout');
const ARRAY_BUFFER_REFUSED = 'Array buffer allocation failed';

/**
 * One version of one module, ready to run in its own isolate. A timeout or a memory failure retires the isolate
 * (no leftover of that call can run again); the next call recreates it from the code.
 */
export class LoadedVersion {
  readonly module: string;
  readonly versionId: string;
  readonly limits: SandboxLimits;
  private readonly code: string;
  private readonly pool?: IsolatePool;
  private readonly gate: ConcurrencyGate;
  private sourceMap?: SourceMap | null;
  private active?: Sandbox;
  private creating?: Promise<Sandbox>;
  /** every isolate not yet disposed, including retired ones whose calls still finish */
  private readonly sandboxes = new Set<Sandbox>();
  private calls = 0;
  private drainWaiters: (() => void)[] = [];
  private disposed = false;

  private constructor(options: LoadVersionOptions) {
    this.module = options.module;
    this.versionId = options.versionId;
    this.code = options.code;
    this.limits = options.limits;
    this.pool = options.pool;
    this.gate = new ConcurrencyGate(options.limits.concurrency, options.limits.queueLimit);
  }

  /** Creates the isolate, runs the module's top-level code and checks its default export. Throws ModuleLoadError. */
  static async load(options: LoadVersionOptions): Promise<LoadedVersion> {
    const version = new LoadedVersion(options);
    version.active = await version.createSandbox();
    return version;
  }

  /** calls accepted and not yet settled, running or queued */
  get inFlight(): number {
    return this.calls;
  }

  get queued(): number {
    return this.gate.queued;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  async invoke(input: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    if (this.disposed) throw this.disposedError();
    const inputJson = serializeInput(input);
    this.calls++;
    try {
      const release = await this.gate.acquire();
      try {
        return await this.run(inputJson, options.captureLogs ?? true, options.capabilities);
      } finally {
        release();
      }
    } finally {
      this.calls--;
      if (this.calls === 0) for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }

  /** Resolves when no call is in flight. */
  drained(): Promise<void> {
    if (this.calls === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Frees the isolates now; queued and running calls fail with `disposed`. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.gate.close(() => this.disposedError());
    this.active = undefined;
    for (const sandbox of this.sandboxes) sandbox.dispose();
    this.sandboxes.clear();
  }

  private async run(
    inputJson: string | undefined,
    captureLogs: boolean,
    session?: CapabilitySession,
  ): Promise<InvokeResult> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    // one wall clock for the call, across the isolates it may be sent to before it starts
    const wall = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(WALL_TIMEOUT), this.limits.wallTimeoutMs);
    });
    wall.catch(() => undefined);
    let solo = false;
    try {
      for (;;) {
        let sandbox = await this.acquireSandbox();
        // another call may have retired it while this one resumed from the await
        while (sandbox.isRetired) sandbox = await this.acquireSandbox();
        sandbox.enter();
        try {
          const call = sandbox.call(inputJson, captureLogs, session, solo);
          let report: HarnessReport | undefined;
          try {
            report = await Promise.race([call.report, wall]);
          } catch (error) {
            // its batch failed before it started, or its isolate went while it waited: it runs elsewhere
            if (error instanceof CallNotStarted) {
              solo ||= error.solo;
              continue;
            }
            if (error !== WALL_TIMEOUT)
              throw this.fail(sandbox, sandbox.failureOf(error, this.limits.cpuTimeoutMs));
            const timeout = new InvokeError(
              'timeout',
              `the module did not finish within ${this.limits.wallTimeoutMs} ms`,
            );
            // one that never left the queue left nothing behind in the isolate: no reason to retire it
            throw this.fail(sandbox, timeout, !call.withdraw());
          }
          if (!report) {
            const error = new InvokeError(
              'runtime_error',
              'the module broke the sandbox: its call returned no report',
            );
            throw this.fail(sandbox, error, true);
          }
          return this.settle(sandbox, report, started);
        } finally {
          sandbox.leave();
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Turns the harness's report into a result, checking the output on the host before parsing it. */
  private settle(sandbox: Sandbox, report: HarnessReport, started: number): InvokeResult {
    const logs = report.truncated ? [...report.logs, this.truncationNote(report.dropped)] : report.logs;
    switch (report.kind) {
      case 'ok': {
        const bytes = Buffer.byteLength(report.json, 'utf8');
        if (bytes > this.limits.maxOutputBytes) throw this.tooLarge(bytes, logs);
        let output: JsonValue;
        try {
          output = JSON.parse(report.json) as JsonValue;
        } catch {
          throw new InvokeError('output_not_json', 'the output is not valid JSON', { logs });
        }
        return {
          output,
          logs,
          logsTruncated: report.truncated,
          logsDropped: report.dropped,
          durationMs: performance.now() - started,
        };
      }
      case 'too_large':
        throw this.tooLarge(report.length, logs, 'at least ');
      case 'not_json':
        throw new InvokeError('output_not_json', report.message, { logs });
      case 'input_error':
        throw new InvokeError('invalid_input', report.message, { logs });
      case 'capability_error':
        throw new InvokeError(report.code, report.message, { logs });
      case 'error': {
        if (report.name === 'RangeError' && report.message === ARRAY_BUFFER_REFUSED) {
          throw this.fail(
            sandbox,
            new InvokeError('memory_limit', 'the module exceeded its memory limit', { logs }),
          );
        }
        const { stack, position } = mapStack(report.stack ?? '', COMPILED_NAME, SOURCE_NAME, this.map());
        const message = report.name ? `${report.name}: ${report.message}` : report.message;
        throw new InvokeError('runtime_error', message, {
          ...position,
          stack: report.stack ? stack : undefined,
          logs,
        });
      }
    }
  }

  private truncationNote(dropped: number): string {
    const lines = this.limits.maxLogLines;
    return `[logs truncated at ${lines} lines or ${this.limits.maxLogBytes} bytes: ${dropped} lines dropped]`;
  }

  private tooLarge(bytes: number, logs: string[], qualifier = ''): InvokeError {
    return new InvokeError(
      'output_too_large',
      `the output is ${qualifier}${bytes} bytes of JSON, over the limit of ${this.limits.maxOutputBytes}`,
      { logs },
    );
  }

  /** A timeout or memory failure retires the isolate: nothing left of that call may run in a later one. */
  private fail(
    sandbox: Sandbox,
    error: InvokeError,
    retire = error.code === 'timeout' || error.code === 'memory_limit',
  ): InvokeError {
    if (this.disposed) return this.disposedError();
    if (retire) {
      if (this.active === sandbox) this.active = undefined;
      sandbox.retire();
    }
    return error;
  }

  private acquireSandbox(): Promise<Sandbox> {
    if (this.disposed) return Promise.reject(this.disposedError());
    if (this.active && !this.active.isRetired) return Promise.resolve(this.active);
    this.active = undefined;
    this.creating ??= this.createSandbox().then(
      (sandbox) => {
        this.creating = undefined;
        this.active = sandbox;
        return sandbox;
      },
      (error: unknown) => {
        this.creating = undefined;
        if (!(error instanceof ModuleLoadError)) throw error;
        const code = error.code === 'timeout' || error.code === 'memory_limit' ? error.code : 'runtime_error';
        throw new InvokeError(code, `recreating the sandbox failed: ${error.message}`, { line: error.line });
      },
    );
    return this.creating;
  }

  private async createSandbox(): Promise<Sandbox> {
    const blank = this.pool?.take(this.limits.memoryMb);
    const sandbox = await Sandbox.create(
      {
        module: this.module,
        versionId: this.versionId,
        code: this.code,
        limits: this.limits,
        sourceMap: this.map(),
      },
      blank,
    );
    if (this.disposed) {
      sandbox.dispose();
      throw this.disposedError();
    }
    for (const old of this.sandboxes) if (old.isDisposed) this.sandboxes.delete(old);
    this.sandboxes.add(sandbox);
    return sandbox;
  }

  private map(): SourceMap | undefined {
    if (this.sourceMap === undefined) this.sourceMap = SourceMap.fromInlineComment(this.code) ?? null;
    return this.sourceMap ?? undefined;
  }

  private disposedError(): InvokeError {
    return new InvokeError('disposed', `version ${this.versionId} of module ${this.module} was unloaded`);
  }
}

function serializeInput(input: unknown): string | undefined {
  try {
    return JSON.stringify(input);
  } catch (error) {
    throw new InvokeError('input_not_json', `the input is not JSON: ${(error as Error).message}`);
  }
}
