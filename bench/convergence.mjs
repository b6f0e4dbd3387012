// 5. cluster convergence: three nodes — three apps in this one process, sharing one PostgreSQL database and one
// Redis prefix exactly as three machines would (each has its own Nest container, pools, Redis connections,
// ModuleRegistry and isolates; they only share this process's CPU). POST /modules/:name/activate alternates two
// ready versions, each time on the next node; timed from the moment the activation's PostgreSQL transaction has
// committed (CodeStoreRepository.activate resolves on the activating node) until every node's ModuleRegistry
// serves the version (ModuleRegistry.activate on each node). The activating node swaps before it broadcasts; the
// other two hear the Redis broadcast, read PostgreSQL and load the version.
import { context, runBenchmark } from './lib/child.mjs';
import { expectStatus, startBenchApp, twoVersions } from './lib/app.mjs';
import { dist } from './lib/paths.mjs';
import { fmtMs, heading, r, sleep, summary } from './lib/stats.mjs';

const runtime = await import(dist('libs/runtime/src/index.js'));
const codeStore = await import(dist('libs/code-store/src/index.js'));

const ACTIVATIONS = Number(process.env.BENCH_CONVERGENCE ?? 200);
const WARMUP = Number(process.env.BENCH_CONVERGENCE_WARMUP ?? 10);
const TIMEOUT_MS = 10_000;
const MODULE = 'converge';

runBenchmark(async () => {
  const { databaseUrl, redisPrefix } = context();
  const nodes = [];
  try {
    for (const name of ['node-1', 'node-2', 'node-3']) {
      // periodic reconciliation out of the way: what is measured is the broadcast path
      nodes.push(
        await startBenchApp({
          databaseUrl,
          redisPrefix,
          env: { NODE_NAME: name, RECONCILE_INTERVAL: '600000' },
        }),
      );
    }
    const { a, b } = await twoVersions(nodes[0], MODULE);

    // ---- instrumentation: the commit on the activating node, the swap on every node ----
    let round;
    nodes.forEach((node, i) => {
      const store = node.app.get(codeStore.CodeStoreRepository);
      const activate = store.activate;
      store.activate = async function timedActivate(...args) {
        const result = await activate.apply(this, args);
        if (round && result.activated && result.toVersionId === round.target)
          round.committed ??= performance.now();
        return result;
      };
      const registry = node.app.get(runtime.ModuleRegistry);
      const swap = registry.activate;
      registry.activate = function timedSwap(module, loaded) {
        swap.call(this, module, loaded);
        if (round && module === MODULE && loaded.versionId === round.target) {
          round.served[i] ??= performance.now();
          if (round.served.filter(Boolean).length === nodes.length) round.done();
        }
      };
    });

    const samples = [];
    const failures = [];
    for (let i = 0; i < WARMUP + ACTIVATIONS; i++) {
      const target = i % 2 === 0 ? b.id : a.id;
      const origin = i % nodes.length;
      let done;
      const converged = new Promise((resolve) => (done = resolve));
      round = { target, served: [], done };
      const t = performance.now();
      const response = await nodes[origin].request('POST', `/modules/${MODULE}/activate`, {
        versionId: target,
      });
      const answered = performance.now();
      expectStatus(response, 200, 'activate');
      const timedOut = await Promise.race([converged.then(() => false), sleep(TIMEOUT_MS).then(() => true)]);
      const { committed, served } = round;
      round = undefined;
      if (timedOut || committed === undefined) {
        failures.push({ i, origin, served: served.map((s) => (s ? 'yes' : 'no')) });
        continue;
      }
      if (i >= WARMUP) {
        const others = served.filter((_, n) => n !== origin).map((s) => s - committed);
        samples.push({
          all: Math.max(...served) - committed,
          origin: served[origin] - committed,
          others,
          http: answered - t,
        });
      }
      await sleep(5);
    }

    const all = summary(samples.map((s) => s.all));
    const origin = summary(samples.map((s) => s.origin));
    const others = summary(samples.flatMap((s) => s.others));
    const http = summary(samples.map((s) => s.http));
    heading(
      `${samples.length} activations (+${WARMUP} warm-up), alternating 2 ready versions, each on the next of 3 in-process nodes`,
    );
    const line = (label, s) => ({
      measure: label,
      'p50 ms': r(s.p50),
      'p90 ms': r(s.p90),
      'p99 ms': r(s.p99),
      'mean ms': r(s.mean),
      'max ms': r(s.max),
    });
    console.table([
      line('commit → all 3 nodes serve it', all),
      line('commit → the activating node serves it', origin),
      line('commit → each other node serves it (broadcast)', others),
      line('POST /activate round trip', http),
    ]);
    console.log(`not converged within ${TIMEOUT_MS} ms: ${failures.length}`);
    for (const f of failures.slice(0, 5)) console.log('  failure:', JSON.stringify(f));

    return [
      {
        benchmark: '5. cluster convergence',
        measure: `commit → all 3 nodes serve it, p50 / p99 (n=${samples.length}; 3 in-process nodes)`,
        result: `${fmtMs(all.p50)} / ${fmtMs(all.p99)}`,
        aim: 'p99 ≤ 50 ms',
      },
      {
        benchmark: '5. cluster convergence',
        measure: 'commit → activating node / each other node, p50 / p99',
        result: `${fmtMs(origin.p50)} / ${fmtMs(origin.p99)} · ${fmtMs(others.p50)} / ${fmtMs(others.p99)}`,
        aim: '',
      },
      {
        benchmark: '5. cluster convergence',
        measure: 'commit → all 3, max; not converged',
        result: `${fmtMs(all.max)}; ${failures.length}`,
        aim: '0',
      },
    ];
  } finally {
    for (const node of nodes.reverse()) await node.close();
  }
});
