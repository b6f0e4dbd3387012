// Starts the real app the way the tests do (apps/seed-agent/test/support/start-app.ts), from the built dist/,
// minus the embedded servers: the machine's PostgreSQL (a database the orchestrator created for this benchmark)
// and Redis (a key prefix of its own).
import 'reflect-metadata';
import {
  appEnv,
  eventually,
  removeDir,
  request as jsonRequest,
  startInProcess,
  tempDataDir,
  TOKENS,
} from '../../apps/seed-agent/test/support/start-app.ts';
import { dist } from './paths.mjs';

const { loadConfig } = await import(dist('libs/config/src/index.js'));
const { createApp, startApp } = await import(dist('apps/seed-agent/src/bootstrap.js'));

export const AUTH = `Bearer ${TOKENS.admin}`;

/** The environment every benchmarked app runs with, in process or as a process of its own. */
export function benchEnv({ databaseUrl, redisPrefix, dataDir, logLevel = 'silent' }) {
  return {
    ...appEnv({
      databaseUrl,
      redisPrefix,
      dataDir,
      redisUrl: process.env.BENCH_REDIS_URL,
      logLevel: process.env.BENCH_LOG_LEVEL ?? logLevel,
      nodeEnv: 'production',
    }),
    // the per-token rate limit (default 1200/min, burst 200) would answer a load test with 429s: these
    // benchmarks measure the invoke path, not the limiter (which still runs, with a bucket that never empties)
    RATE_LIMIT_PER_MINUTE: '1000000000',
    RATE_LIMIT_BURST: '1000000000',
    // production requires it; nothing here scrapes /metrics
    METRICS_TOKEN: 'bench-metrics-token-0000000000000000',
  };
}

/**
 * @param {{ databaseUrl: string, redisPrefix: string, env?: Record<string,string> }} options
 */
export async function startBenchApp({ databaseUrl, redisPrefix, env = {} }) {
  const dataDir = tempDataDir('seed-bench-');
  const { app, config, url } = await startInProcess(
    { loadConfig, createApp, startApp },
    { ...benchEnv({ databaseUrl, redisPrefix, dataDir }), ...env },
  );
  return {
    app,
    config,
    url,
    request: (method, path, body) => request(url, method, path, body),
    async close() {
      await app.close();
      removeDir(dataDir);
    },
  };
}

/** A JSON request as admin. */
export function request(base, method, path, body) {
  return jsonRequest(base, method, path, body);
}

/** Fails loudly with the response when a control-API call did not answer as expected. */
export function expectStatus(response, status, what) {
  if (response.status !== status) {
    throw new Error(
      `${what}: expected HTTP ${status}, got ${response.status} ${JSON.stringify(response.body)}`,
    );
  }
  return response.body;
}

/** Polls GET /jobs/:id until the job completed or failed; returns the version. */
export async function settle(bench, module, versionId, { intervalMs = 10, timeoutMs = 30_000 } = {}) {
  await eventually(
    async () => {
      const job = await bench.request('GET', `/jobs/${versionId}`);
      return job.status === 200 && ['completed', 'failed'].includes(job.body.state) ? job : undefined;
    },
    timeoutMs,
    `version ${versionId} to settle`,
    intervalMs,
  );
  const version = await bench.request('GET', `/modules/${module}/versions/${versionId}`);
  return expectStatus(version, 200, `version ${versionId}`);
}

/** Creates a module (its first version is activated by the pipeline) and waits until it is active. */
export async function createModule(bench, name, source, tests = []) {
  const created = expectStatus(
    await bench.request('POST', '/modules', { name, source, tests }),
    201,
    `create module ${name}`,
  );
  const version = await settle(bench, name, created.versionId);
  if (version.status !== 'active') {
    throw new Error(
      `module ${name}: first version is ${version.status}: ${JSON.stringify(version.diagnostics)}`,
    );
  }
  return version;
}

/** Submits a version (not activated) and waits until it is ready. */
export async function submitReady(bench, name, source) {
  const submitted = expectStatus(
    await bench.request('POST', `/modules/${name}/versions`, { source, activate: false }),
    202,
    `submit to ${name}`,
  );
  const version = await settle(bench, name, submitted.versionId);
  if (version.status !== 'ready') {
    throw new Error(`module ${name}: version is ${version.status}: ${JSON.stringify(version.diagnostics)}`);
  }
  return version;
}

/**
 * A module with two equivalent versions, the first active and the second ready, for benchmarks that
 * alternate activations between them. Returns both version ids.
 */
export async function twoVersions(bench, name) {
  const a = await createModule(bench, name, 'export default (x: number) => x + 1;\n', [
    { name: 'adds one', input: 1, expect: 2 },
  ]);
  const b = await submitReady(bench, name, 'const one = 1;\nexport default (x: number) => x + one;\n');
  return { a, b };
}
