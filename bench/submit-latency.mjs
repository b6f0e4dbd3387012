// 1. submit → active latency: sequential POST /modules/:name/versions with activate:true, each a different valid
// source, timed from the POST until this node serves the version. The app runs in this process, so "active" is
// observed by subscribing to its telemetry (the activation event fires at the registry swap) instead of polling;
// the stage events give the breakdown. The client-visible moment (GET /jobs/:id says completed, polled every
// 2 ms after the swap) is reported too. Run once per SANDBOX_POOL_SIZE (default: 0 and 2).
import { context, runBenchmark } from './lib/child.mjs';
import { createModule, expectStatus, startBenchApp } from './lib/app.mjs';
import { dist } from './lib/paths.mjs';
import { roundTrips, startTrace, stopTrace } from './lib/round-trips.mjs';
import { fmtMs, heading, r, sleep, summary } from './lib/stats.mjs';

const runtime = await import(dist('libs/runtime/src/index.js'));
const telemetry = await import(dist('libs/telemetry/src/index.js'));
const { EVENTS, on } = telemetry;

const SUBMISSIONS = Number(process.env.BENCH_SUBMISSIONS ?? 200);
const WARMUP = Number(process.env.BENCH_SUBMIT_WARMUP ?? 25);
const POOL_SIZES = (process.env.BENCH_POOL_SIZES ?? '0,2').split(',').map((s) => Number(s.trim()));
const POLL_MS = 2;
const TIMEOUT_MS = 30_000;

const TESTS = [
  { name: 'adds', input: { a: 1, b: 2 }, expect: { sum: 3, ok: true } },
  { name: 'negative', input: { a: -1, b: 1 }, expect: { sum: 0, ok: true } },
  { name: 'fractions', input: { a: 0.5, b: 0.25 }, expect: { sum: 0.75, ok: true } },
  { name: 'zero does not throw', input: { a: 0, b: 0 } },
];

/** A different valid source each time (its own constant survives compilation), so nothing is cached. */
function source(i) {
  return [
    `const build = 'build-${i}';`,
    `export default (input: { a: number; b: number }) => ({ sum: input.a + input.b, ok: build.length > 0 });`,
    '',
  ].join('\n');
}

// ---- instrumentation: per-version timestamps from the app's own telemetry ----
const marks = new Map();
const waiters = new Map();
const mark = (versionId) => {
  let m = marks.get(versionId);
  if (!m) marks.set(versionId, (m = { stages: {} }));
  return m;
};
const wake = (versionId) => {
  const waiter = waiters.get(versionId);
  if (waiter) {
    waiters.delete(versionId);
    waiter();
  }
};
on(EVENTS.hotReloadStart, (e) => {
  const m = mark(e.versionId);
  if (e.stage === 'pipeline') m.pickup ??= performance.now();
  if (e.stage === 'activate') m.activateStart = performance.now();
});
on(EVENTS.hotReloadDuration, (e) => {
  const m = mark(e.versionId);
  m.stages[e.stage] = e.seconds * 1000;
  if (e.stage === 'pipeline') {
    m.finished = performance.now();
    m.result = e.result;
    wake(e.versionId);
  }
});
on(EVENTS.activation, (e) => {
  const m = mark(e.toVersionId);
  m.active ??= performance.now();
  wake(e.toVersionId);
});
// How long LoadedVersion.load (isolate + context + module top level) takes inside the test stage.
const originalLoad = runtime.LoadedVersion.load;
runtime.LoadedVersion.load = async function timedLoad(options) {
  const t = performance.now();
  try {
    return await originalLoad.call(this, options);
  } finally {
    mark(options.versionId).load = (mark(options.versionId).load ?? 0) + (performance.now() - t);
  }
};

function waitActive(versionId) {
  const m = marks.get(versionId);
  if (m?.active || m?.finished) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiters.delete(versionId);
      reject(new Error(`version ${versionId} not active after ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    waiters.set(versionId, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function runPool(poolSize, databaseUrl, redisPrefix) {
  const bench = await startBenchApp({
    databaseUrl,
    redisPrefix: `${redisPrefix}-pool${poolSize}`,
    env: { SANDBOX_POOL_SIZE: String(poolSize) },
  });
  try {
    const name = `latency-pool${poolSize}`;
    await createModule(bench, name, source(-1), TESTS);
    // a few real inputs, so candidates also replay them (the shadow gate)
    for (const input of [
      { a: 2, b: 3 },
      { a: 10, b: -4 },
      { a: 7, b: 7 },
    ]) {
      expectStatus(await bench.request('POST', `/modules/${name}/invoke`, { input }), 200, 'invoke');
    }
    await sleep(100); // the replay samples are written fire-and-forget
    const pool = bench.app.get(runtime.IsolatePool);
    const registry = bench.app.get(runtime.ModuleRegistry);
    await pool.filled();
    const poolBefore = pool.stats;

    const samples = [];
    const failures = [];
    const completedWithoutResult = [];
    let trace;
    for (let i = 0; i < WARMUP + SUBMISSIONS; i++) {
      if (i === WARMUP) startTrace();
      const trips0 = roundTrips();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const response = await bench.request('POST', `/modules/${name}/versions`, {
        source: source(i),
        activate: true,
        rationale: `bench submission ${i}`,
      });
      const accepted = performance.now();
      const { versionId } = expectStatus(response, 202, 'submit');
      await waitActive(versionId);
      const cpu = process.cpuUsage(cpu0);
      const trips1 = roundTrips();
      if (i === WARMUP) trace = stopTrace();
      const m = marks.get(versionId);
      if (!m.active) {
        failures.push({ i, versionId, result: m.result });
        continue;
      }
      if (registry.current(name)?.versionId !== versionId) {
        failures.push({ i, versionId, result: 'registry does not serve it' });
      }
      // the client's view: GET /jobs/:id every 2 ms until it says completed
      let visible;
      for (;;) {
        const job = await bench.request('GET', `/jobs/${versionId}`);
        if (job.body?.state === 'completed' || job.body?.state === 'failed') {
          visible ??= performance.now();
          // seen: state "completed" with result null (the job is read before its state); poll on
          if (job.body.state === 'completed' && job.body.result === null) {
            completedWithoutResult.push({ i, versionId, body: job.body });
            await sleep(POLL_MS);
            continue;
          }
          if (job.body.result?.status !== 'active') {
            failures.push({
              i,
              versionId,
              result: `job ${job.body.state}: ${JSON.stringify(job.body.result)}`,
            });
          }
          break;
        }
        if (performance.now() - t0 > TIMEOUT_MS) throw new Error(`job ${versionId} never completed`);
        await sleep(POLL_MS);
      }
      if (i < WARMUP) continue;
      samples.push({
        total: m.active - t0,
        queries: trips1.queries - trips0.queries,
        commands: trips1.commands - trips0.commands,
        cpuMs: (cpu.user + cpu.system) / 1000,
        visible: visible - t0,
        post: accepted - t0,
        pickup: m.pickup - t0,
        compile: m.stages.compile,
        validate: m.stages.validate,
        test: m.stages.test,
        load: m.load ?? NaN,
        testsOnly: m.stages.test - (m.load ?? 0),
        store: m.stages.store,
        activateToSwap: m.active - m.activateStart,
        activate: m.stages.activate,
        gaps:
          m.active -
          m.pickup -
          m.stages.compile -
          m.stages.validate -
          m.stages.test -
          m.stages.store -
          (m.active - m.activateStart),
      });
    }
    const poolAfter = pool.stats;

    const phases = [
      ['POST → swap (submit→active)', 'total'],
      ['POST → GET /jobs says completed (client view)', 'visible'],
      ['POST round trip (202)', 'post'],
      ['POST → worker picks the job up', 'pickup'],
      ['compile (esbuild)', 'compile'],
      ['validate', 'validate'],
      ['test stage', 'test'],
      ['  of which LoadedVersion.load (isolate)', 'load'],
      ['  of which cases + replays + DB', 'testsOnly'],
      ['store', 'store'],
      ['activate: start → registry swap', 'activateToSwap'],
      ['activate stage (incl. broadcast)', 'activate'],
      ['job progress updates + gaps', 'gaps'],
    ];
    const table = phases.map(([label, key]) => {
      const s = summary(samples.map((x) => x[key]).filter(Number.isFinite));
      return {
        phase: label,
        'p50 ms': r(s.p50),
        'p90 ms': r(s.p90),
        'p99 ms': r(s.p99),
        'mean ms': r(s.mean),
        'max ms': r(s.max),
      };
    });
    heading(
      `SANDBOX_POOL_SIZE=${poolSize}: ${samples.length} sequential submissions (+${WARMUP} warm-up), ${TESTS.length} test cases + 3 replays each`,
    );
    console.table(table);
    console.log(
      `pool takes: ${poolAfter.taken - poolBefore.taken} served, ${poolAfter.missed - poolBefore.missed} found it empty; failures: ${failures.length}`,
    );
    for (const f of failures.slice(0, 5)) console.log('  failure:', JSON.stringify(f));
    if (completedWithoutResult.length) {
      const jobs = new Set(completedWithoutResult.map((x) => x.versionId)).size;
      console.log(
        `GET /jobs/:id answered state "completed" with result null ${completedWithoutResult.length} time(s) for ${jobs} of ${WARMUP + SUBMISSIONS} jobs, e.g.`,
        JSON.stringify(completedWithoutResult[0].body),
      );
    }
    const queries = summary(samples.map((x) => x.queries));
    const commands = summary(samples.map((x) => x.commands));
    const cpuMs = summary(samples.map((x) => x.cpuMs));
    console.log(
      `per submission, POST → swap on this node: PostgreSQL queries p50 ${queries.p50} (max ${queries.max}), Redis commands p50 ${commands.p50} (max ${commands.max}), process CPU p50 ${r(cpuMs.p50)} ms (mean ${r(cpuMs.mean)} ms)`,
    );
    if (trace) {
      console.log(`one submission, queries:\n${trace.queries}`);
      console.log(`one submission, Redis commands:\n${trace.commands}`);
    }
    const total = summary(samples.map((x) => x.total));
    const visible = summary(samples.map((x) => x.visible));
    const load = summary(samples.map((x) => x.load));
    return [
      {
        benchmark: '1. submit → active',
        measure: `p50 / p99, SANDBOX_POOL_SIZE=${poolSize} (n=${samples.length})`,
        result: `${fmtMs(total.p50)} / ${fmtMs(total.p99)}`,
        aim: 'p50 ≤ 10 ms',
      },
      {
        benchmark: '1. submit → active',
        measure: `PostgreSQL queries / Redis commands per submission (p50, POST → swap), pool ${poolSize}`,
        result: `${queries.p50} / ${commands.p50}`,
        aim: '≤ 8 / ≤ 10',
      },
      {
        benchmark: '1. submit → active',
        measure: `process CPU per validated version (p50 / mean), pool ${poolSize}`,
        result: `${fmtMs(cpuMs.p50)} / ${fmtMs(cpuMs.mean)}`,
        aim: '≤ 10 ms',
      },
      {
        benchmark: '1. submit → active',
        measure: `client view (GET /jobs polled every 2 ms) p50 / p99, pool ${poolSize}`,
        result: `${fmtMs(visible.p50)} / ${fmtMs(visible.p99)}`,
        aim: '',
      },
      {
        benchmark: '1. submit → active',
        measure: `isolate load in the test stage p50 / p99, pool ${poolSize}`,
        result: `${fmtMs(load.p50)} / ${fmtMs(load.p99)}`,
        aim: '',
      },
      ...(completedWithoutResult.length
        ? [
            {
              benchmark: '1. submit → active',
              measure: `GET /jobs/:id "completed" with result null (jobs), pool ${poolSize}`,
              result: `${new Set(completedWithoutResult.map((x) => x.versionId)).size} of ${WARMUP + SUBMISSIONS}`,
              aim: '0',
            },
          ]
        : []),
      ...(failures.length
        ? [
            {
              benchmark: '1. submit → active',
              measure: `submissions not activated, pool ${poolSize}`,
              result: String(failures.length),
              aim: '0',
            },
          ]
        : []),
    ];
  } finally {
    await bench.close();
  }
}

runBenchmark(async () => {
  const { databaseUrl, redisPrefix } = context();
  const rows = [];
  for (const poolSize of POOL_SIZES) rows.push(...(await runPool(poolSize, databaseUrl, redisPrefix)));
  return rows;
});
