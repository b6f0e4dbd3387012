// 4. memory: RSS and heap after BENCH_ACTIVATIONS activations of one module vs after 100. Activations go through
// the app's own ActivationService (PostgreSQL compare-and-swap + activations row, reconciler load of a new
// isolate, registry swap, broadcast), alternating between two ready versions, one invoke after each so every
// loaded version also runs. Measured after global.gc() (this child runs with --expose-gc).
import { getHeapSpaceStatistics } from 'node:v8';
import { startBenchApp, twoVersions } from './lib/app.mjs';
import { context, runBenchmark } from './lib/child.mjs';
import { dist } from './lib/paths.mjs';
import { heading, mb, r, sleep } from './lib/stats.mjs';

const runtime = await import(dist('libs/runtime/src/index.js'));
const hotReload = await import(dist('libs/hot-reload/src/index.js'));

const ACTIVATIONS = Number(process.env.BENCH_ACTIVATIONS ?? 10_000);
const BASELINE = Math.min(100, ACTIVATIONS);
const MODULE = 'mem';

if (typeof global.gc !== 'function') throw new Error('run with --expose-gc (bench/run.mjs does)');

async function measure() {
  for (let i = 0; i < 4; i++) {
    global.gc();
    await sleep(25);
  }
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((x) => [x.space_name, x]));
  return {
    ...process.memoryUsage(),
    newSpace: spaces.new_space?.space_size ?? NaN,
    oldSpace: spaces.old_space?.space_size ?? NaN,
  };
}

runBenchmark(async () => {
  const { databaseUrl, redisPrefix } = context();
  const bench = await startBenchApp({ databaseUrl, redisPrefix });
  try {
    const { a, b } = await twoVersions(bench, MODULE);
    const activation = bench.app.get(hotReload.ActivationService);
    const invocations = bench.app.get(hotReload.InvocationService);
    const registry = bench.app.get(runtime.ModuleRegistry);

    const checkpoints = [
      ...new Set([BASELINE, ...[0.1, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * ACTIVATIONS))]),
    ]
      .filter((n) => n >= BASELINE)
      .sort((x, y) => x - y);
    const rows = [];
    let done = 0;
    let maxLoaded = 0;
    const start = performance.now();
    let activationMs = 0;
    for (const checkpoint of checkpoints) {
      const t = performance.now();
      for (; done < checkpoint; done++) {
        const target = done % 2 === 0 ? b.id : a.id;
        const result = await activation.activate(MODULE, target, 'admin:bench');
        if (result.toVersionId !== target)
          throw new Error(`activation ${done} went to ${result.toVersionId}`);
        const out = await invocations.invoke(MODULE, done);
        if (out.versionId !== target || out.output !== done + 1) {
          throw new Error(`after activation ${done}: served ${JSON.stringify(out)}, expected ${target}`);
        }
        maxLoaded = Math.max(maxLoaded, registry.stats().loadedVersions);
      }
      activationMs += performance.now() - t;
      const m = await measure();
      rows.push({
        activations: done,
        'rss MB': r(mb(m.rss), 1),
        'heapUsed MB': r(mb(m.heapUsed), 1),
        'heapTotal MB': r(mb(m.heapTotal), 1),
        'new space MB': r(mb(m.newSpace), 1),
        'old space MB': r(mb(m.oldSpace), 1),
        'external MB': r(mb(m.external), 1),
        'rss − heapTotal MB': r(mb(m.rss - m.heapTotal), 1),
        'loaded versions': registry.stats().loadedVersions,
        'elapsed s': r((performance.now() - start) / 1000, 1),
      });
      console.log(
        `  ${done} activations: rss ${rows.at(-1)['rss MB']} MB, heap ${rows.at(-1)['heapUsed MB']} MB`,
      );
    }
    const first = rows[0];
    const last = rows.at(-1);
    const rssGrowth = last['rss MB'] - first['rss MB'];
    const heapGrowth = last['heapUsed MB'] - first['heapUsed MB'];
    const heapTotalGrowth = last['heapTotal MB'] - first['heapTotal MB'];
    const outside = (row) => row['rss − heapTotal MB'];
    const outsideGrowth = outside(last) - outside(first);
    const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} MB`;
    heading(
      `${ACTIVATIONS} activations through ActivationService (+1 invoke each), memory after global.gc()`,
    );
    console.table(rows);
    console.log(
      `growth ${first.activations} → ${last.activations}: rss ${signed(rssGrowth)} (aim ≤ +32 MB), of which V8 heapTotal ${signed(heapTotalGrowth)} (new space ${first['new space MB']} → ${last['new space MB']} MB) and outside the V8 heap ${signed(outsideGrowth)}; heapUsed ${signed(heapGrowth)}; most versions loaded at once: ${maxLoaded}; ${((activationMs * 1000) / done).toFixed(0)} µs per activation + invoke`,
    );
    return [
      {
        benchmark: '4. memory',
        measure: `RSS after ${first.activations} → ${last.activations} activations (growth)`,
        result: `${first['rss MB']} → ${last['rss MB']} MB (${signed(rssGrowth)})`,
        aim: '≤ +32 MB',
      },
      {
        benchmark: '4. memory',
        measure: `  of which V8 heapTotal (new space ${first['new space MB']} → ${last['new space MB']} MB) / outside the V8 heap (rss − heapTotal)`,
        result: `${signed(heapTotalGrowth)} / ${signed(outsideGrowth)}`,
        aim: '',
      },
      {
        benchmark: '4. memory',
        measure: `heapUsed after ${first.activations} → ${last.activations} activations (growth)`,
        result: `${first['heapUsed MB']} → ${last['heapUsed MB']} MB (${signed(heapGrowth)})`,
        aim: 'flat',
      },
      {
        benchmark: '4. memory',
        measure: 'time per activation (ActivationService, + 1 invoke) / max versions loaded',
        result: `${((activationMs * 1000) / done / 1000).toFixed(2)} ms / ${maxLoaded}`,
        aim: '— / ≤ 2',
      },
    ];
  } finally {
    await bench.close();
  }
});
