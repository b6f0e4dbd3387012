// 3. reload under load: autocannon drives POST /modules/:name/invoke while an admin alternates
// POST /modules/:name/activate between two ready versions (paced evenly over the run). Every invoke must answer
// 2xx; p99 latency during the reloads is compared with a run of the same length before them.
import { AUTH, startBenchApp, twoVersions } from './lib/app.mjs';
import { startCannon } from './lib/cannon.mjs';
import { context, runBenchmark } from './lib/child.mjs';
import { dist } from './lib/paths.mjs';
import { fmtMs, heading, r, sleep, summary } from './lib/stats.mjs';

const runtime = await import(dist('libs/runtime/src/index.js'));
const { EVENTS, on } = await import(dist('libs/telemetry/src/index.js'));

const RELOADS = Number(process.env.BENCH_RELOADS ?? 200);
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const MODULE = 'flip';

// invocation outcomes as the app sees them (module failures are 422, platform failures 5xx)
let outcomes = {};
on(EVENTS.invocation, (e) => {
  outcomes[e.result] = (outcomes[e.result] ?? 0) + 1;
});

function load(url, duration) {
  return startCannon({
    url,
    path: `/modules/${MODULE}/invoke`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: AUTH },
    body: JSON.stringify({ input: 41 }),
    connections: CONNECTIONS,
    duration,
    track: true,
  });
}

runBenchmark(async () => {
  const { databaseUrl, redisPrefix } = context();
  const bench = await startBenchApp({ databaseUrl, redisPrefix });
  try {
    const { a, b } = await twoVersions(bench, MODULE);
    const registry = bench.app.get(runtime.ModuleRegistry);

    // warm-up, then the baseline of the same length
    await load(bench.url, 2).done;
    outcomes = {};
    const before = await load(bench.url, DURATION).done;
    const outcomesBefore = outcomes;
    await sleep(500);

    outcomes = {};
    const cannon = load(bench.url, DURATION + 60);
    await cannon.started;
    await sleep(250);
    const activations = [];
    const activationErrors = [];
    const maxLoaded = { value: 0 };
    const interval = (DURATION * 1000) / RELOADS;
    const start = performance.now();
    for (let i = 0; i < RELOADS; i++) {
      const wait = start + i * interval - performance.now();
      if (wait > 0) await sleep(wait);
      const target = i % 2 === 0 ? b.id : a.id;
      const t = performance.now();
      const response = await bench.request('POST', `/modules/${MODULE}/activate`, { versionId: target });
      activations.push(performance.now() - t);
      if (response.status !== 200 || response.body.activeVersionId !== target) {
        activationErrors.push({ i, status: response.status, body: response.body });
      }
      maxLoaded.value = Math.max(maxLoaded.value, registry.stats().loadedVersions);
    }
    const activationSeconds = (performance.now() - start) / 1000;
    await sleep(250);
    cannon.stop();
    const during = await cannon.done;
    const outcomesDuring = outcomes;
    const finalVersion = registry.current(MODULE)?.versionId;
    const expectedFinal = (RELOADS - 1) % 2 === 0 ? b.id : a.id;

    heading(
      `${RELOADS} activations (alternating 2 ready versions, paced over ${DURATION} s) under autocannon, ${CONNECTIONS} connections`,
    );
    const row = (label, x, seen) => ({
      window: label,
      seconds: x.durationSec,
      'req/s': r(x.requestsPerSec, 0),
      requests: x.totalRequests,
      '2xx': x.ok2xx,
      non2xx: x.non2xx,
      errors: x.errors,
      timeouts: x.timeouts,
      'p50 ms': x.latency.p50,
      'p99 ms': x.latency.p99,
      'max ms': x.latency.max,
      'app outcomes': JSON.stringify(seen),
    });
    console.table([
      row('before (no reloads)', before, outcomesBefore),
      row('during reloads', during, outcomesDuring),
    ]);
    const act = summary(activations);
    console.log(
      `activations: ${activations.length} in ${activationSeconds.toFixed(1)} s, ${activationErrors.length} failed; POST /activate p50 ${fmtMs(act.p50)}, p99 ${fmtMs(act.p99)}, max ${fmtMs(act.max)}`,
    );
    console.log(`versions that answered during the reloads: ${JSON.stringify(during.tracked.versions)}`);
    console.log(
      `most versions loaded at once: ${maxLoaded.value}; serving at the end: ${finalVersion === expectedFinal ? 'the last activated (ok)' : `UNEXPECTED ${finalVersion}`}`,
    );
    for (const e of activationErrors.slice(0, 5)) console.log('  activation failure:', JSON.stringify(e));
    for (const [sample, count] of during.tracked.samples) console.log(`  non-2xx ×${count}: ${sample}`);

    const versionsServed = Object.keys(during.tracked.versions).length;
    return [
      {
        benchmark: '3. reload under load',
        measure: `activations during load (ok / total)`,
        result: `${activations.length - activationErrors.length} / ${RELOADS} in ${activationSeconds.toFixed(1)} s`,
        aim: '≥ 200',
      },
      {
        benchmark: '3. reload under load',
        measure: 'invoke non-2xx + socket errors during reloads',
        result: `${during.non2xx} + ${during.errors} of ${during.totalRequests}`,
        aim: '0',
      },
      {
        benchmark: '3. reload under load',
        measure: 'invoke p99 before → during (p50)',
        result: `${before.latency.p99} → ${during.latency.p99} ms (${before.latency.p50} → ${during.latency.p50} ms)`,
        aim: '',
      },
      {
        benchmark: '3. reload under load',
        measure: 'invoke req/s before → during',
        result: `${r(before.requestsPerSec, 0)} → ${r(during.requestsPerSec, 0)}`,
        aim: '',
      },
      {
        benchmark: '3. reload under load',
        measure: 'POST /activate p50 / p99 under load',
        result: `${fmtMs(act.p50)} / ${fmtMs(act.p99)}`,
        aim: '',
      },
      {
        benchmark: '3. reload under load',
        measure: 'versions that answered / max loaded at once',
        result: `${versionsServed} / ${maxLoaded.value}`,
        aim: '2 / ≤ 2',
      },
    ];
  } finally {
    await bench.close();
  }
});
