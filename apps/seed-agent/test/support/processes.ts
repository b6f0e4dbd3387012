// Only `node:` imports and erasable TypeScript: bench/*.mjs import this file as it is (see ./start-app.ts).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The built app, relative to the repository root; tests call ensureBuilt() first, the bench builds. */
export const APP_MAIN = join('dist', 'apps', 'seed-agent', 'src', 'main.js');

export interface SpawnAppOptions {
  /** The child's whole environment besides PATH: nothing else leaks in from the test process. */
  env: Record<string, string>;
  /** Working directory; APP_MAIN is resolved from it. Default: the current one (npm and jest run at the root). */
  cwd?: string;
  /** Script to run instead of the app: tests of this helper, or the bench's snapshot of dist/. */
  script?: string;
  /** Node's whole argument list instead of the app's start command (e.g. the Dockerfile's CMD). */
  args?: readonly string[];
}

export interface OutputLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface AppProcess {
  readonly pid: number;
  /** Every line so far, both streams, in arrival order. */
  readonly lines: readonly OutputLine[];
  /** Resolves with the first line (past or future) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Polls until `url` answers 2xx. */
  waitForHttp(url: string, timeoutMs?: number): Promise<void>;
  /** Sends `signal`, then SIGKILL after `killAfterMs`; resolves with the exit code (null when killed). */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<number | null>;
  /** Resolves when the process has exited on its own or been stopped. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<AppProcess>();
// A failed test must not leave apps running after jest's worker exits.
process.once('exit', () =>
  running.forEach((app) => {
    try {
      process.kill(app.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }),
);

export function spawnApp(options: SpawnAppOptions): AppProcess {
  const cwd = options.cwd ?? process.cwd();
  const child = spawn(
    process.execPath,
    options.args ?? ['--no-node-snapshot', '--max-semi-space-size=16', options.script ?? APP_MAIN],
    {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: OutputLine[] = [];
  const listeners = new Set<(line: string) => void>();
  for (const stream of ['stdout', 'stderr'] as const) {
    createInterface({ input: child[stream] }).on('line', (text) => {
      lines.push({ stream, text });
      listeners.forEach((listener) => listener(text));
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // stdio may deliver its last lines after 'exit'; 'close' is when the output is complete.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => undefined);

  const recent = (): string =>
    lines
      .slice(-20)
      .map((l) => `  [${l.stream}] ${l.text}`)
      .join('\n');

  /** Races `work` against the timeout and the process exiting, with the output in the error. */
  const guard = <T>(
    what: string,
    timeoutMs: number,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> => {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const failure = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${recent()}`)),
        timeoutMs,
      );
      void closed.then(() => reject(new Error(`process exited while waiting for ${what}\n${recent()}`)));
    });
    return Promise.race([work(abort.signal), failure, spawnError]).finally(() => {
      clearTimeout(timer);
      abort.abort();
    });
  };

  const app: AppProcess = {
    pid: child.pid ?? -1,
    lines,
    exited,
    async waitForLine(pattern, timeoutMs = 15_000) {
      const seen = lines.find((l) => pattern.test(l.text));
      if (seen) return seen.text;
      return guard(`a line matching ${pattern}`, timeoutMs, (signal) => {
        return new Promise<string>((resolve) => {
          const listener = (text: string): void => {
            if (!pattern.test(text)) return;
            listeners.delete(listener);
            resolve(text);
          };
          listeners.add(listener);
          signal.addEventListener('abort', () => listeners.delete(listener));
        });
      });
    },
    waitForHttp(url, timeoutMs = 15_000) {
      return guard(`HTTP 2xx from ${url}`, timeoutMs, async (signal) => {
        while (!signal.aborted) {
          const ok = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]) }).then(
            async (response) => {
              await response.body?.cancel();
              return response.ok;
            },
            () => false,
          );
          if (ok) return;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
    },
    async stop(signal = 'SIGTERM', killAfterMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        await exited;
        clearTimeout(timer);
      }
      await closed;
      return (await exited).code;
    },
  };
  running.add(app);
  void exited.then(() => running.delete(app));
  return app;
}
