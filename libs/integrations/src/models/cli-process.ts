import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { IntegrationError } from './integration-error.js';

/** One run of a model CLI: the prompt goes on stdin, never on the command line (argv is visible in `ps`). */
export interface CliCommand {
  /** For messages: `claude`, `codex`. */
  name: string;
  command: string;
  args: string[];
  /** The child's whole environment: it inherits nothing else. */
  env: Record<string, string>;
  cwd: string;
  input: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Values that must never appear in an error (tokens, keys): redacted from stderr excerpts. */
  secrets: string[];
}

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of stderr, redacted. */
  stderr: string;
}

export interface CliRun {
  /** stdout, line by line, as the CLI writes it. */
  lines: AsyncIterable<string>;
  /**
   * Settles once the process has exited and its output is closed: resolves with the exit status (a non-zero
   * exit is for the caller to judge, it may have printed a better error); rejects with `cli_not_found`,
   * `cli_timeout`, or the abort reason.
   */
  exit: Promise<CliExit>;
  /** Stops the process (SIGTERM, then SIGKILL); harmless once it has exited. */
  stop(): void;
}

const KILL_GRACE_MS = 2000;
const STDERR_KEEP = 16 * 1024;

/** Children in their own process groups outlive us unless told: the running ones get SIGTERM at exit. */
const running = new Set<() => void>();
let exitHooked = false;
function track(terminate: () => void): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => running.forEach((terminate) => terminate()));
  }
  running.add(terminate);
  return () => running.delete(terminate);
}

/**
 * The one seam for model CLI processes. Each child is the leader of its own process group, so a timeout
 * or an abort stops whatever it started too: SIGTERM to the group, then SIGKILL after a grace period.
 */
export function startCli(cli: CliCommand): CliRun {
  if (cli.signal?.aborted) throw abortReason(cli.signal);
  const child = spawn(cli.command, cli.args, {
    cwd: cli.cwd,
    env: cli.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  let exited = false;
  let timedOut = false;
  let aborted = false;
  let spawnError: NodeJS.ErrnoException | undefined;
  let killTimer: NodeJS.Timeout | undefined;

  const signalGroup = (signal: NodeJS.Signals) => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  };
  const stop = () => {
    if (exited || killTimer) return;
    signalGroup('SIGTERM');
    killTimer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
  };
  const timeout = setTimeout(() => {
    timedOut = true;
    stop();
  }, cli.timeoutMs);
  const onAbort = () => {
    aborted = true;
    stop();
  };
  cli.signal?.addEventListener('abort', onAbort, { once: true });
  const untrack = track(() => signalGroup('SIGTERM'));

  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP);
  });
  // A CLI that exits before reading its input closes the pipe: EPIPE is not our failure.
  child.stdin.on('error', () => undefined);
  child.stdin.end(cli.input);

  const exit = new Promise<CliExit>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError ??= error;
    });
    child.on('close', (code, signal) => {
      exited = true;
      untrack();
      clearTimeout(timeout);
      clearTimeout(killTimer);
      cli.signal?.removeEventListener('abort', onAbort);
      if (spawnError) return reject(spawnFailure(cli, spawnError));
      if (aborted && cli.signal) return reject(abortReason(cli.signal));
      if (timedOut) {
        return reject(
          new IntegrationError(
            'cli_timeout',
            `the ${cli.name} CLI did not answer within ${cli.timeoutMs} ms (CLI_TIMEOUT) and was stopped`,
          ),
        );
      }
      resolve({ code, signal, stderr: redact(stderr, cli.secrets) });
    });
  });
  // Marked handled here: callers await it after reading stdout, and an early rejection must not crash us.
  exit.catch(() => undefined);

  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  return { lines, exit, stop };
}

function spawnFailure(cli: CliCommand, error: NodeJS.ErrnoException): IntegrationError {
  if (error.code === 'ENOENT' || error.code === 'EACCES') {
    return new IntegrationError(
      'cli_not_found',
      `the ${cli.name} CLI was not found or is not executable at "${cli.command}" (${error.code}); install it or set ${cli.name.toUpperCase()}_CLI_PATH`,
    );
  }
  return new IntegrationError(
    'cli_failed',
    `the ${cli.name} CLI could not start: ${error.code ?? error.message}`,
  );
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/** `cli_failed` for a non-zero exit, with the end of stderr (already redacted) and what the CLI said. */
export function cliFailed(name: string, exit: CliExit, said?: string): IntegrationError {
  const how = exit.code !== null ? `exited with code ${exit.code}` : `was killed by ${exit.signal}`;
  const excerpt = (said ?? '').trim() || exit.stderr.trim().slice(-500);
  return new IntegrationError('cli_failed', `the ${name} CLI ${how}${excerpt ? `: ${excerpt}` : ''}`, {
    exitCode: exit.code,
    signal: exit.signal,
  });
}

/** Common token shapes, in case a CLI prints one we were not told about. */
const TOKEN_PATTERNS = [/sk-ant-[\w-]{8,}/g, /\bsk-[\w-]{16,}/g, /\b(Bearer)\s+[\w.~+/=-]{8,}/gi];

/** Pure: removes every secret (and anything shaped like a token) from text meant for an error message. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  for (const pattern of TOKEN_PATTERNS) {
    out = out.replace(pattern, (_match, bearer?: string) =>
      typeof bearer === 'string' ? `${bearer} [redacted]` : '[redacted]',
    );
  }
  return out;
}
