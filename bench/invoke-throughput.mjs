// 2. invoke throughput: autocannon (its own process) against POST /modules/:name/invoke of a trivial module, as a
// ratio to a bare Fastify route of the same shape in this same process; then the per-call cost in process at
// each layer: LoadedVersion.invoke, ModuleRegistry.invoke, InvocationService.invoke (what the controller calls).
import Fastify from 'fastify';
import { AUTH, createModule, expectStatus, startBenchApp } from './lib/app.mjs';
import { runCannon } from './lib/cannon.mjs';
import { context, runBenchmark } from './lib/child.mjs';
import { dist } from './lib/paths.mjs';
import { heading, r, sleep } from './lib/stats.mjs';

const runtime = await import(dist('libs/runtime/src/index.js'));
const hotReload = await import(dist('libs/hot-reload/src/index.js'));

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const WARMUP_SEC = Number(process.env.BENCH_WARMUP ?? 2);
const CALLS = Number(process.env.BENCH_CALLS ?? 20_000);
const MODULE = 'inc';
const SOURCE = 'export default (x: number) => x + 1;\n';
const BODY = JSON.stringify({ input: 41 });

async function startBareFastify() {
  const fastify = Fastify({ logger: false });
  // same shape: JSON body in, { output, versionId } out, same path and status
  fastify.post('/modules/:name/invoke', async (request) => ({
    output: request.body.input + 1,
    versionId: 'bare',
  }));
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  return { fastify, url: `http://127.0.0.1:${fastify.server.address().port}` };
}

function cannon(url) {
  return {
    url,
    path: `/modules/${MODULE}/invoke`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: AUTH },
    body: BODY,
    connections: CONNECTIONS,
  };
}

/** µs per call: `concurrency` loops each awaiting one call at a time until `calls` are done. */
async function perCall(call, calls, concurrency) {
  for (let i = 0; i < Math.min(2000, calls); i++) await call(i); // warm-up
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) await call(next++);
    }),
  );
  return ((performance.now() - t) * 1000) / calls;
}

runBenchmark(async () => {
  const { databaseUrl, redisPrefix } = context();
  const bench = await startBenchApp({ databaseUrl, redisPrefix });
  const bare = await startBareFastify();
  try {
    await createModule(bench, MODULE, SOURCE, [{ name: 'adds one', input: 1, expect: 2 }]);
    const check = expectStatus(
      await bench.request('POST', `/modules/${MODULE}/invoke`, { input: 41 }),
      200,
      'invoke',
    );
    if (check.output !== 42) throw new Error(`unexpected output ${JSON.stringify(check)}`);

    // ---- HTTP: warm both servers, then measure each ----
    await runCannon({ ...cannon(bare.url), duration: WARMUP_SEC });
    await runCannon({ ...cannon(bench.url), duration: WARMUP_SEC });
    const bareResult = await runCannon({ ...cannon(bare.url), duration: DURATION });
    await sleep(500);
    const appResult = await runCannon({ ...cannon(bench.url), duration: DURATION });
    const ratio = appResult.requestsPerSec / bareResult.requestsPerSec;
    heading(`HTTP: autocannon, ${CONNECTIONS} connections, ${DURATION} s each, body ${BODY}`);
    const httpRow = (label, x) => ({
      server: label,
      'req/s': r(x.requestsPerSec, 0),
      'p50 ms': x.latency.p50,
      'p99 ms': x.latency.p99,
      'max ms': x.latency.max,
      requests: x.totalRequests,
      non2xx: x.non2xx,
      errors: x.errors,
      timeouts: x.timeouts,
    });
    console.table([
      httpRow('bare Fastify route', bareResult),
      httpRow('seed-agent /modules/inc/invoke', appResult),
    ]);
    console.log(`ratio seed-agent / bare Fastify: ${ratio.toFixed(3)} (aim ≥ 0.8)`);

    // ---- in process: the same module at each layer ----
    const { code } = await runtime.compileModule(SOURCE);
    const limits = bench.config.sandbox;
    const loaded = await runtime.LoadedVersion.load({
      module: 'direct',
      versionId: 'direct-1',
      code,
      limits,
    });
    const registry = new runtime.ModuleRegistry();
    const registered = await runtime.LoadedVersion.load({
      module: 'direct',
      versionId: 'direct-2',
      code,
      limits,
    });
    registry.activate('direct', registered);
    const invocations = bench.app.get(hotReload.InvocationService);
    const layers = [
      ['LoadedVersion.invoke', (i) => loaded.invoke(i, { captureLogs: false })],
      ['ModuleRegistry.invoke', (i) => registry.invoke('direct', i, { captureLogs: false })],
      ['InvocationService.invoke (+ events, replay sample to Redis)', (i) => invocations.invoke(MODULE, i)],
    ];
    const levels = [1, limits.concurrency, limits.concurrency * 4];
    const inProcess = [];
    for (const [label, call] of layers) {
      const row = { layer: label };
      for (const c of levels) row[`µs/call, concurrency ${c}`] = r(await perCall(call, CALLS, c), 1);
      inProcess.push(row);
    }
    heading(
      `In process: ${CALLS} calls per cell (after 2000 warm-up), SANDBOX_CONCURRENCY=${limits.concurrency}`,
    );
    console.table(inProcess);
    loaded.dispose();
    registry.disposeAll();

    const key = (c) => `µs/call, concurrency ${c}`;
    const httpUs = 1e6 / appResult.requestsPerSec;
    return [
      {
        benchmark: '2. invoke throughput',
        measure: `HTTP req/s seed-agent vs bare Fastify (${CONNECTIONS} conn, ${DURATION} s)`,
        result: `${r(appResult.requestsPerSec, 0)} vs ${r(bareResult.requestsPerSec, 0)} req/s`,
        aim: '',
      },
      {
        benchmark: '2. invoke throughput',
        measure: 'ratio seed-agent / bare Fastify',
        result: ratio.toFixed(2),
        aim: '≥ 0.8',
      },
      {
        benchmark: '2. invoke throughput',
        measure: 'HTTP p50 / p99 latency seed-agent (bare)',
        result: `${appResult.latency.p50} / ${appResult.latency.p99} ms (${bareResult.latency.p50} / ${bareResult.latency.p99} ms)`,
        aim: '',
      },
      {
        benchmark: '2. invoke throughput',
        measure: 'non-2xx / errors during the seed-agent run',
        result: `${appResult.non2xx} / ${appResult.errors}`,
        aim: '0 / 0',
      },
      ...inProcess.map((row) => ({
        benchmark: '2. invoke in process',
        measure: `${row.layer}: µs/call sequential / concurrency ${levels[1]} / ${levels[2]}`,
        result: `${row[key(levels[0])]} / ${row[key(levels[1])]} / ${row[key(levels[2])]} µs`,
        aim: '',
      })),
      {
        benchmark: '2. invoke in process',
        measure: 'seed-agent main-thread time per HTTP invoke at saturation (1 / req/s)',
        result: `${r(httpUs, 1)} µs`,
        aim: '',
      },
    ];
  } finally {
    await bare.fastify.close();
    await bench.close();
  }
});
