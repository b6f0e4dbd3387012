// `npm run bench`: builds (package.json), then runs each benchmark in a child process of its own (own heap,
// `--expose-gc`), each against a fresh PostgreSQL database and its own Redis key prefix, all removed at the end.
// Ends with one markdown table of every figure, to paste into the README with the date.
//
// Sizes (environment):
//   BENCH_SUBMISSIONS          submissions per pool size in the submit→active benchmark (default 200)
//   BENCH_RELOADS              activations during the reload-under-load benchmark (default 200)
//   BENCH_ACTIVATIONS          activations in the memory benchmark (default 10000; baseline after 100)
//   BENCH_DURATION             seconds of each autocannon run (default 10)
//   BENCH_CONNECTIONS          autocannon connections (default 16)
//   BENCH_POOL_SIZES           SANDBOX_POOL_SIZE values for submit→active (default "0,2")
//   BENCH_CONVERGENCE          activations in the cluster convergence benchmark (default 200)
//   BENCH_QUEUE_SUBMISSIONS    candidates per node count in the queue scaling benchmark (default 300)
//   BENCH_QUEUE_NODES          node counts for queue scaling (default "1,3")
//   BENCH_LIMIT_ROUNDS         rounds per cell of the sandbox limits benchmark (default 10)
//   BENCH_EMBEDDED_ROUNDS      start/reopen rounds per embedded server (default 3)
//   BENCH_CASCADE_CASES        cases of the cascade benchmark's module (default 200)
//   BENCH_CASCADE_CANDIDATES   rejected candidates per kind in the cascade benchmark (default 20)
//   BENCH_ROLLOUT_CALLS        calls per case in the routing overhead benchmark (default 20000)
//   BENCH_ROLLOUT_STEPS        steps (advances) in the verdict → every node benchmark (default 60)
//   BENCH_ONLY                 comma-separated subset of: latency,invoke,reload,memory,convergence,queue,limits,
//                              embedded,cascade,rollout,capabilities
//   BENCH_CAPABILITY_CALLS     capability calls per invocation in the capabilities benchmark (default 200)
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { clearRedisPrefix, createDatabase, dropDatabase } from './lib/resources.mjs';
import { markdownTable, sleep } from './lib/stats.mjs';

const BENCHMARKS = [
  { name: 'latency', script: 'submit-latency.mjs', title: '1. submit → active latency' },
  { name: 'invoke', script: 'invoke-throughput.mjs', title: '2. invoke throughput' },
  { name: 'reload', script: 'reload-under-load.mjs', title: '3. reload under load' },
  { name: 'memory', script: 'memory.mjs', title: '4. memory over activations' },
  { name: 'convergence', script: 'convergence.mjs', title: '5. cluster convergence (3 nodes)' },
  { name: 'queue', script: 'queue-scaling.mjs', title: '6. improvement queue, 1 vs 3 nodes' },
  { name: 'limits', script: 'sandbox-limits.mjs', title: '7. sandbox limits' },
  { name: 'embedded', script: 'embedded-start.mjs', title: '8. embedded servers' },
  { name: 'cascade', script: 'cascade.mjs', title: '9. evaluation cascade' },
  { name: 'rollout', script: 'rollout.mjs', title: '10. rollouts: routing overhead, verdict → every node' },
  { name: 'capabilities', script: 'capabilities.mjs', title: '11. capability call overhead' },
];

const only = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const selected = only.length ? BENCHMARKS.filter((b) => only.includes(b.name)) : BENCHMARKS;
if (selected.length === 0) {
  console.error(`BENCH_ONLY matches nothing; use some of: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const redisPrefix = `bench-${runId}`;
const databases = [];
const started = Date.now();

function runChild(benchmark, env) {
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(new URL(benchmark.script, import.meta.url)), [], {
      // the flags `npm start` and the image run the app with, plus --expose-gc for the memory benchmark
      execArgv: [
        '--no-node-snapshot',
        '--max-semi-space-size=16',
        '--expose-gc',
        // BENCH_CPU_PROF=<dir>: a V8 CPU profile of each benchmark's process (bench/profile-summary.mjs reads it)
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      ],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let rows;
    child.on('message', (message) => {
      if (message?.rows) rows = message.rows;
    });
    child.on('exit', (code, signal) => {
      if (rows && code === 0) resolve(rows);
      else
        resolve([
          {
            benchmark: benchmark.title,
            measure: 'FAILED',
            result: `exit ${code ?? signal}: see the output above`,
            aim: '',
          },
        ]);
    });
  });
}

let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
  console.error('\ninterrupted: cleaning up after the current benchmark');
});

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const ENTRIES = [
  'apps/seed-agent/src/bootstrap.js',
  'libs/config/src/index.js',
  'libs/runtime/src/index.js',
  'libs/capabilities/src/index.js',
  'libs/hot-reload/src/index.js',
  'libs/rollout/src/index.js',
  'libs/telemetry/src/index.js',
  'apps/seed-agent/src/embedded/embedded-postgres.js',
  'apps/seed-agent/src/embedded/embedded-redis.js',
];
const snapshot = fileURLToPath(new URL(`.dist-${runId}/`, import.meta.url));

function listFiles(dir) {
  return readdirSync(dir, { recursive: true }).map(String).sort().join('\n');
}

/**
 * Copies dist/ once it is complete and stable, so every benchmark runs the same build even when another
 * `nest build` (which deletes dist/ first) runs meanwhile.
 */
async function snapshotDist() {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const complete = ENTRIES.every((entry) => existsSync(DIST + entry));
    if (complete) {
      const before = listFiles(DIST);
      await sleep(300);
      if (listFiles(DIST) === before) {
        rmSync(snapshot, { recursive: true, force: true });
        cpSync(DIST, snapshot, { recursive: true });
        if (listFiles(snapshot) === before) return;
      }
    }
    if (Date.now() > deadline)
      throw new Error('dist/ is incomplete: run `npm run build` (or `npm run bench`)');
    await sleep(500);
  }
}

const rows = [];
try {
  await snapshotDist();
  console.log(
    `# Seed Agent benchmarks — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'})`,
  );
  for (const benchmark of selected) {
    if (interrupted) break;
    const database = `bench_${runId}_${benchmark.name}`.toLowerCase();
    const databaseUrl = await createDatabase(database);
    databases.push(database);
    console.log(`\n## ${benchmark.title}`);
    const t = Date.now();
    rows.push(
      ...(await runChild(benchmark, {
        BENCH_DIST: snapshot,
        BENCH_DATABASE_URL: databaseUrl,
        BENCH_REDIS_PREFIX: `${redisPrefix}-${benchmark.name}`,
      })),
    );
    console.log(`\n(${benchmark.name}: ${((Date.now() - t) / 1000).toFixed(1)} s)`);
  }
} finally {
  for (const database of databases) {
    await dropDatabase(database).catch((e) => console.error(`could not drop ${database}: ${e.message}`));
  }
  await clearRedisPrefix(redisPrefix).catch((e) => console.error(`could not clear Redis: ${e.message}`));
  rmSync(snapshot, { recursive: true, force: true });
}

const date = new Date().toISOString().slice(0, 10);
console.log(
  `\n## Summary (${date}, node ${process.version}, ${cpus().length} cores, ${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
);
console.log(
  markdownTable(
    rows.map((row) => ({
      Benchmark: row.benchmark,
      Measure: row.measure,
      Result: row.result,
      Aim: row.aim ?? '',
    })),
  ),
);
if (rows.some((row) => row.measure === 'FAILED')) process.exitCode = 1;
