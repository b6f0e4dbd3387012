// 6. improvement-queue scaling: validated versions per second with 1 and with 3 nodes sharing the BullMQ queue.
// Each node is the built app as its own process (what `npm start` runs), so the nodes really run in parallel up to
// the machine's cores. N candidates (activate: false, each a different source, 4 test cases + the module's replayed
// inputs) are submitted round-robin over the nodes by 16 concurrent clients; timed from the first submission until
// PostgreSQL shows every one of them validated (status ready). Same database, a separate module and Redis prefix
// per run.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import pg from 'pg';
import { spawnApp } from '../apps/seed-agent/test/support/processes.ts';
import { benchEnv, expectStatus, request } from './lib/app.mjs';
import { context, runBenchmark } from './lib/child.mjs';
import { dist } from './lib/paths.mjs';
import { heading, r, sleep } from './lib/stats.mjs';

const SUBMISSIONS = Number(process.env.BENCH_QUEUE_SUBMISSIONS ?? 300);
const WARMUP = Number(process.env.BENCH_QUEUE_WARMUP ?? 30);
const CLIENTS = 16;
const NODE_COUNTS = (process.env.BENCH_QUEUE_NODES ?? '1,3').split(',').map((s) => Number(s.trim()));
const CONCURRENCY = process.env.BENCH_PIPELINE_CONCURRENCY ?? '4';
const TIMEOUT_MS = 180_000;
const MAIN = fileURLToPath(dist('apps/seed-agent/src/main.js'));

const TESTS = [
  { name: 'adds', input: { a: 1, b: 2 }, expect: { sum: 3, ok: true } },
  { name: 'negative', input: { a: -1, b: 1 }, expect: { sum: 0, ok: true } },
  { name: 'fractions', input: { a: 0.5, b: 0.25 }, expect: { sum: 0.75, ok: true } },
  { name: 'zero does not throw', input: { a: 0, b: 0 } },
];
const source = (i) =>
  `const build = 'build-${i}';\nexport default (input: { a: number; b: number }) => ({ sum: input.a + input.b, ok: build.length > 0 });\n`;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startNode({ name, databaseUrl, redisPrefix }) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'seed-bench-queue-'));
  // the snapshot of dist/ the orchestrator made, with the flags `npm start` uses (spawnApp's default)
  const node = spawnApp({
    script: MAIN,
    env: {
      ...benchEnv({ databaseUrl, redisPrefix, dataDir, logLevel: 'warn' }),
      PORT: String(port),
      NODE_NAME: name,
      PIPELINE_CONCURRENCY: CONCURRENCY,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await node.waitForHttp(`${url}/health/ready`, 60_000).catch((error) => {
    throw new Error(`node ${name} did not become ready: ${error.message}`);
  });
  return {
    name,
    url,
    request: (method, path, body) => request(url, method, path, body),
    async stop() {
      await node.stop('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Busy share of all cores between two readings of os.cpus() (everything on the machine, not only the nodes). */
function cpuBusy(before, after) {
  let busy = 0;
  let total = 0;
  after.forEach((cpu, i) => {
    const times = Object.keys(cpu.times).map((k) => cpu.times[k] - before[i].times[k]);
    const all = times.reduce((a, b) => a + b, 0);
    total += all;
    busy += all - (cpu.times.idle - before[i].times.idle);
  });
  return total ? busy / total : NaN;
}

/** Submits `count` candidates round-robin over the nodes with CLIENTS concurrent clients; returns their ids. */
async function submitAll(nodes, module, first, count) {
  const ids = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < count) {
        const i = next++;
        const node = nodes[i % nodes.length];
        const response = await node.request('POST', `/modules/${module}/versions`, {
          source: source(first + i),
          activate: false,
        });
        ids.push(expectStatus(response, 202, 'submit').versionId);
      }
    }),
  );
  return ids;
}

/** Waits until every version reached one of `statuses` (a version passes `ready` on its way to `active`). */
async function waitValidated(
  client,
  ids,
  statuses = ['ready', 'rejected', 'superseded', 'active', 'retired'],
) {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const { rows } = await client.query(
      `SELECT status, count(*)::int AS n FROM module_versions WHERE id = ANY($1::uuid[]) GROUP BY status`,
      [ids],
    );
    const by = Object.fromEntries(rows.map((row) => [row.status, row.n]));
    const finished = statuses.reduce((n, s) => n + (by[s] ?? 0), 0);
    if (finished === ids.length) return { at: performance.now(), statuses: by };
    if (Date.now() > deadline)
      throw new Error(`only ${finished} of ${ids.length} finished: ${JSON.stringify(by)}`);
    await sleep(10);
  }
}

async function run(count, databaseUrl, redisPrefix, client) {
  const nodes = [];
  const prefix = `${redisPrefix}-n${count}`;
  // the nodes' own queue (libs/jobs: name "pipeline", prefix REDIS_PREFIX:bull)
  const queue = new Queue('pipeline', {
    connection: { url: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    prefix: `${prefix}:bull`,
  });
  try {
    for (let i = 1; i <= count; i++) {
      nodes.push(await startNode({ name: `node-${i}`, databaseUrl, redisPrefix: prefix }));
    }
    const module = `queue-${count}`;
    const created = expectStatus(
      await nodes[0].request('POST', '/modules', { name: module, source: source(-1), tests: TESTS }),
      201,
      'create module',
    );
    await waitValidated(client, [created.versionId], ['active']);
    for (const input of [
      { a: 2, b: 3 },
      { a: 10, b: -4 },
      { a: 7, b: 7 },
    ]) {
      for (const node of nodes) {
        expectStatus(await node.request('POST', `/modules/${module}/invoke`, { input }), 200, 'invoke');
      }
    }
    // warm-up: every node's JIT, esbuild service and isolate pool
    await waitValidated(client, await submitAll(nodes, module, 0, WARMUP));

    // drain: N submitted while the queue is paused (BullMQ's pause holds every worker), then resumed
    await queue.pause();
    const ids = await submitAll(nodes, module, WARMUP, SUBMISSIONS);
    let cpu0 = cpus();
    let t0 = performance.now();
    await queue.resume();
    const drained = await waitValidated(client, ids);
    const drain = {
      seconds: (drained.at - t0) / 1000,
      cpu: cpuBusy(cpu0, cpus()),
      statuses: drained.statuses,
    };

    // live: submitting and validating at once; the time includes the submissions
    cpu0 = cpus();
    t0 = performance.now();
    const liveIds = await submitAll(nodes, module, WARMUP + SUBMISSIONS, SUBMISSIONS);
    const submitted = performance.now();
    const lived = await waitValidated(client, liveIds);
    const live = {
      seconds: (lived.at - t0) / 1000,
      submitSeconds: (submitted - t0) / 1000,
      cpu: cpuBusy(cpu0, cpus()),
      statuses: lived.statuses,
    };
    return { nodes: count, drain, live };
  } finally {
    await queue.close();
    await Promise.all(nodes.map((node) => node.stop()));
  }
}

runBenchmark(async () => {
  const { databaseUrl, redisPrefix } = context();
  const client = new pg.Client(databaseUrl);
  await client.connect();
  const results = [];
  try {
    for (const count of NODE_COUNTS) results.push(await run(count, databaseUrl, redisPrefix, client));
  } finally {
    await client.end();
  }
  const perSecond = (phase) => SUBMISSIONS / phase.seconds;
  heading(
    `${SUBMISSIONS} candidates per phase (+${WARMUP} warm-up), ${CLIENTS} clients round-robin over the nodes, PIPELINE_CONCURRENCY=${CONCURRENCY} per node, ${cpus().length} cores`,
  );
  console.table(
    results.flatMap((x) => [
      {
        nodes: x.nodes,
        phase: 'drain (filled while paused)',
        'validated/s': r(perSecond(x.drain), 1),
        'total s': r(x.drain.seconds, 2),
        'submitting s': '',
        'machine CPU busy': `${r(x.drain.cpu * 100, 0)} %`,
        statuses: JSON.stringify(x.drain.statuses),
      },
      {
        nodes: x.nodes,
        phase: 'live (submitting meanwhile)',
        'validated/s': r(perSecond(x.live), 1),
        'total s': r(x.live.seconds, 2),
        'submitting s': r(x.live.submitSeconds, 2),
        'machine CPU busy': `${r(x.live.cpu * 100, 0)} %`,
        statuses: JSON.stringify(x.live.statuses),
      },
    ]),
  );
  const base = results.find((x) => x.nodes === 1);
  const ratio = (x, phase) =>
    base && x !== base ? ` (×${r(perSecond(x[phase]) / perSecond(base[phase]), 2)})` : '';
  return results.map((x) => ({
    benchmark: '6. queue scaling',
    measure: `validated versions/s, ${x.nodes} node${x.nodes > 1 ? 's' : ''} (processes; n=${SUBMISSIONS}): drain · live; CPU busy in drain`,
    result: `${r(perSecond(x.drain), 1)}${ratio(x, 'drain')} · ${r(perSecond(x.live), 1)}${ratio(x, 'live')}; ${r(x.drain.cpu * 100, 0)} %`,
    aim: x === base ? '' : 'scales with cores',
  }));
});
