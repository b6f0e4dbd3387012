/**
 * How tests and benchmarks start the app: one environment, one in-process start, one JSON client, one poll.
 * Only `node:` imports and erasable TypeScript, so ts-jest compiles it for the specs and bench/*.mjs import it
 * as it is (Node's type stripping); the app itself is passed in, from the sources or from dist/.
 * The spawned variant is `spawnApp` in ./processes.ts, which follows the same rules.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TOKENS = {
  admin: 'admin-secret-0123456789',
  agent: 'agent-secret-0123456789',
  viewer: 'viewer-secret-0123456789',
} as const;
export type Role = keyof typeof TOKENS;

export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/** API_TOKENS granting each role of TOKENS. */
export const API_TOKENS = Object.entries(TOKENS)
  .map(([role, secret]) => `${role}:${role}:${secret}`)
  .join(',');

export interface AppEnvOptions {
  databaseUrl: string;
  redisPrefix: string;
  dataDir: string;
  redisUrl?: string;
  logLevel?: string;
  /** `test` (tests) or `production` (benchmarks: JSON logs without the pino-pretty thread, as deployed) */
  nodeEnv?: 'test' | 'production';
}

/** The environment of an app on the machine's PostgreSQL and Redis, on a free loopback port. */
export function appEnv(options: AppEnvOptions): Record<string, string> {
  return {
    NODE_ENV: options.nodeEnv ?? 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl ?? SHARED_REDIS_URL,
    REDIS_PREFIX: options.redisPrefix,
    DATA_DIR: options.dataDir,
    LOG_LEVEL: options.logLevel ?? 'silent',
    API_TOKENS,
  };
}

export function tempDataDir(label = 'seed-app-'): string {
  return mkdtempSync(join(tmpdir(), label));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

interface Listening {
  getHttpServer(): { address(): unknown };
  close(): Promise<void>;
}

/** The app's entry points: from the sources (tests) or from dist/ (benchmarks). */
export interface Bootstrap<Config, App extends Listening> {
  loadConfig(env: Record<string, string>): Config;
  createApp(config: Config): Promise<App>;
  startApp(app: App, config: Config): Promise<unknown>;
}

export interface StartedApp<Config, App> {
  app: App;
  config: Config;
  url: string;
}

/** The real app in this process, configured from `env` alone (never from process.env), listening. */
export async function startInProcess<Config, App extends Listening>(
  bootstrap: Bootstrap<Config, App>,
  env: Record<string, string>,
): Promise<StartedApp<Config, App>> {
  const config = bootstrap.loadConfig(env);
  const app = await bootstrap.createApp(config);
  await bootstrap.startApp(app, config);
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, config, url: `http://127.0.0.1:${port}` };
}

export interface RequestOptions {
  /** admin by default; `null` sends no token */
  role?: Role | null;
  headers?: Record<string, string>;
}

export interface JsonResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- whatever the route answers
  headers: Headers;
}

/** A JSON request as a role; the body is parsed when it is JSON and kept as text otherwise. */
export async function request(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<JsonResponse> {
  const role = options.role === undefined ? 'admin' : options.role;
  const headers: Record<string, string> = { ...options.headers };
  if (role) headers.authorization = `Bearer ${TOKENS[role]}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/**
 * Polls until `check` returns a value (not undefined), or fails after `timeoutMs` naming `what` and the last
 * error `check` threw.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
  what = 'condition',
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
