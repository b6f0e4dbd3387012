// 9. rollouts: (a) routing overhead per call — InvocationService.invoke in this process, alternating batches
// with no rollout and with a rollout at 50 % (stable and canary run the same code, so the difference is the
// routing: the route lookup and the weighted choice, and the per-call counting both cases do); with
// Seed-Version-Key hashing too. (b) verdict → every node serving the new weight: three in-process nodes on one
// PostgreSQL database and Redis prefix; an `advance` decision is applied (the analyser's own call,
// RolloutsService.applyVerdict: the decision's transaction, then the broadcast) and timed until each node's
// RouteTable routes by the new weight.
import { context, runBenchmark } from './lib/child.mjs';
import { expectStatus, startBenchApp, twoVersions } from './lib/app.mjs';
import { dist } from './lib/paths.mjs';
import { fmtMs, heading, r, sleep, summary } from './lib/stats.mjs';

const hotReload = await import(dist('libs/hot-reload/src/index.js'));
const rolloutLib = await import(dist('libs/rollout/src/index.js'));

const CALLS = Number(process.env.BENCH_ROLLOUT_CALLS ?? 20000);
const BATCH = 1000;
const STEPS = Number(process.env.BENCH_ROLLOUT_STEPS ?? 60);
const TIMEOUT_MS = 10_000;

runBenchmark(async () => {
  const { databaseUrl, redisPrefix } = context();
  const nodes = [];
  try {
    for (const name of ['node-1', 'node-2', 'node-3']) {
      nodes.push(
        await startBenchApp({
          databaseUrl,
          redisPrefix,
          env: {
            NODE_NAME: name,
            RECONCILE_INTERVAL: '600000',
            CANARY_ENABLED: 'false',
            // production mode requires it (the other benchmarks' shared env does not set it yet)
            METRICS_TOKEN: 'bench-metrics-token-0123456789abcdef',
          },
        }),
      );
    }
    const [first] = nodes;

    // ---- (a) routing overhead ----
    const { b: split } = await twoVersions(first, 'split');
    await twoVersions(first, 'plain');
    const invocations = first.app.get(hotReload.InvocationService);
    const routes = first.app.get(hotReload.RouteTable);
    const started = await first.request('POST', '/modules/split/rollouts', {
      versionId: split.id,
      steps: [50, 100],
      intervalMs: 86_400_000,
    });
    expectStatus(started, 201, 'start the split');
    await routes.refresh();
    const perCall = { none: [], split: [], keyed: [] };
    const cases = [
      ['none', (i) => invocations.invoke('plain', i, 'bench')],
      ['split', (i) => invocations.invoke('split', i, 'bench')],
      ['keyed', (i) => invocations.invoke('split', i, 'bench', false, { versionKey: `user-${i % 500}` })],
    ];
    for (let done = 0; done < CALLS; done += BATCH) {
      for (const [name, call] of cases) {
        const t = performance.now();
        for (let i = 0; i < BATCH; i++) await call(i);
        perCall[name].push(((performance.now() - t) * 1000) / BATCH);
      }
    }
    const us = Object.fromEntries(Object.entries(perCall).map(([k, v]) => [k, summary(v)]));
    heading(`${CALLS} calls per case in batches of ${BATCH}, InvocationService.invoke in-process`);
    console.table(
      Object.entries(us).map(([k, s]) => ({ case: k, 'p50 µs/call': r(s.p50), 'mean µs/call': r(s.mean) })),
    );

    // ---- (b) verdict → every node routes by the new weight ----
    const { b: canary } = await twoVersions(first, 'ramp');
    const steps = Array.from({ length: STEPS }, (_, i) => i + 1);
    const rollout = await first.request('POST', '/modules/ramp/rollouts', {
      versionId: canary.id,
      steps,
      intervalMs: 86_400_000,
    });
    expectStatus(rollout, 201, 'start the ramp');
    const repository = first.app.get(rolloutLib.RolloutRepository);
    const service = first.app.get(hotReload.RolloutsService);
    const tables = nodes.map((n) => n.app.get(hotReload.RouteTable));
    const samples = [];
    let failures = 0;
    for (let step = 0; step < STEPS - 1; step++) {
      const current = await repository.get(rollout.body.id);
      const target = steps[step + 1];
      const t = performance.now();
      const applied = await service.applyVerdict(
        'ramp',
        current,
        {
          verdict: 'advance',
          reason: 'healthy',
          action: 'advance',
          weight: current.weight,
          observed: null,
          thresholds: current.analysis,
          failures: 0,
          at: new Date(),
        },
        1,
        'node:bench',
      );
      if (!applied) throw new Error(`step ${step} was not applied`);
      const seen = [];
      const deadline = t + TIMEOUT_MS;
      while (seen.filter(Boolean).length < nodes.length && performance.now() < deadline) {
        tables.forEach((table, i) => {
          if (!seen[i] && table.route('ramp')?.weight === target) seen[i] = performance.now();
        });
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (seen.filter(Boolean).length < nodes.length) failures++;
      else samples.push(Math.max(...seen) - t);
      await sleep(5);
    }
    const converge = summary(samples);
    heading(`${samples.length} advances of one rollout, 3 in-process nodes`);
    console.table([
      { measure: 'advance → all 3 nodes route by it', 'p50 ms': r(converge.p50), 'p99 ms': r(converge.p99) },
    ]);

    return [
      {
        benchmark: '9. rollouts',
        measure: `invoke, no rollout / 50 % split / split + Seed-Version-Key, p50 µs per call (n=${CALLS} each)`,
        result: `${r(us.none.p50)} / ${r(us.split.p50)} / ${r(us.keyed.p50)}`,
        aim: 'split ≤ none + 5 µs',
      },
      {
        benchmark: '9. rollouts',
        measure: `advance verdict → all 3 nodes route by the new weight, p50 / p99 (n=${samples.length})`,
        result: `${fmtMs(converge.p50)} / ${fmtMs(converge.p99)}; not converged ${failures}`,
        aim: 'p99 ≤ 50 ms',
      },
    ];
  } finally {
    for (const node of nodes.reverse()) await node.close();
  }
});
