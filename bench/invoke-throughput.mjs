// 2. invoke throughput: autocannon (its own process) against four servers of the same shape (POST
// /modules/:name/invoke, body {"input":1}, module x => x + 1), interleaved over BENCH_ROUNDS rounds in one run:
//   a      bare Fastify, the function in process
//   b-raw  bare Fastify + one isolated-vm Reference.apply per call (the naive sandbox ceiling)
//   b      bare Fastify + our LoadedVersion
//   d      our app's invoke, at LOG_LEVEL=info (the default)
// Each server runs in this process, so process.cpuUsage over a run divided by its requests is the server's CPU
// per request (isolate threads included). Then the per-call cost in process at each layer.
import Fastify from 'fastify';
import ivm from 'isolated-vm';
import { AUTH, createModule, expectStatus, startBenchApp } from './lib/app.mjs';
import { runCannon } from './lib/cannon.mjs';
import { context, runBenchmark } from './lib/child.mjs';
import { dist } from './lib/paths.mjs';
import { heading, r, sleep } from './lib/stats.mjs';

const runtime = await import(dist('libs/runtime/src/index.js'));
const hotReload = await import(dist('libs/hot-reload/src/index.js'));

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const WARMUP_SEC = Number(process.env.BENCH_WARMUP ?? 2);
const CALLS = Number(process.env.BENCH_CALLS ?? 20_000);
const MODULE = 'inc';
const SOURCE = 'export default (x: number) => x + 1;\n';
const BODY = JSON.stringify({ input: 1 });

/** A bare Fastify server answering the invoke route with `handle(input)`. */
async function startBare(handle, versionId) {
  const fastify = Fastify({ logger: false });
  fastify.post('/modules/:name/invoke', async (request) => ({
    output: await handle(request.body.input),
    versionId,
  }));
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  return { fastify, url: `http://127.0.0.1:${fastify.server.address().port}` };
}

/** One isolate, the function compiled once, one `Reference.apply` per call, values copied both ways. */
async function rawIsolate() {
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  const context = await isolate.createContext();
  const fn = await context.eval('(x) => x + 1', { reference: true });
  const options = { arguments: { copy: true }, result: { copy: true }, timeout: 1000 };
  return {
    call: (input) => fn.apply(undefined, [input], options),
    dispose: () => isolate.dispose(),
  };
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

/** One autocannon run, with this process's CPU time (user + system) per request served. */
async function measured(url, duration) {
  const before = process.cpuUsage();
  const result = await runCannon({ ...cannon(url), duration });
  const cpu = process.cpuUsage(before);
  return { ...result, cpuUsPerRequest: (cpu.user + cpu.system) / Math.max(1, result.totalRequests) };
}

const median = (values) => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

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
  const bench = await startBenchApp({ databaseUrl, redisPrefix, env: { LOG_LEVEL: 'info' } });
  const raw = await rawIsolate();
  const { code: compiled } = await runtime.compileModule(SOURCE);
  const served = await runtime.LoadedVersion.load({
    module: 'served',
    versionId: 'served-1',
    code: compiled,
    limits: bench.config.sandbox,
  });
  const servers = [
    ['a: bare Fastify, the function in process', await startBare((x) => x + 1, 'bare')],
    ['b-raw: bare Fastify + one isolated-vm Reference.apply per call', await startBare(raw.call, 'raw')],
    [
      'b: bare Fastify + our LoadedVersion',
      await startBare(async (x) => (await served.invoke(x, { captureLogs: false })).output, 'loaded'),
    ],
  ];
  try {
    await createModule(bench, MODULE, SOURCE, [{ name: 'adds one', input: 1, expect: 2 }]);
    const check = expectStatus(
      await bench.request('POST', `/modules/${MODULE}/invoke`, { input: 41 }),
      200,
      'invoke',
    );
    if (check.output !== 42) throw new Error(`unexpected output ${JSON.stringify(check)}`);
    servers.push(["d: our app's invoke (LOG_LEVEL=info)", { url: bench.url }]);
    // BENCH_SERVERS=d (say) measures some servers alone: a CPU profile of one server's run.
    const picked = (process.env.BENCH_SERVERS ?? '').split(',').filter(Boolean);
    const chosen = picked.length ? servers.filter(([l]) => picked.includes(l.split(':')[0])) : servers;

    // ---- HTTP: warm every server, then ROUNDS interleaved rounds ----
    for (const [, server] of chosen) await runCannon({ ...cannon(server.url), duration: WARMUP_SEC });
    const runs = chosen.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [, server]] of chosen.entries()) {
        runs[i].push(await measured(server.url, DURATION));
        await sleep(300);
      }
    }
    const figures = chosen.map(([label], i) => ({
      label,
      rps: median(runs[i].map((x) => x.requestsPerSec)),
      cpu: median(runs[i].map((x) => x.cpuUsPerRequest)),
      p50: median(runs[i].map((x) => x.latency.p50)),
      p99: median(runs[i].map((x) => x.latency.p99)),
      failed: runs[i].reduce((sum, x) => sum + x.non2xx + x.errors + x.timeouts, 0),
    }));
    heading(
      `HTTP: autocannon, ${CONNECTIONS} connections, body ${BODY}, ${ROUNDS} interleaved rounds of ${DURATION} s (medians)`,
    );
    console.table(
      figures.map((f) => ({
        server: f.label,
        'req/s': r(f.rps, 0),
        'CPU µs/req': r(f.cpu, 0),
        'p50 ms': f.p50,
        'p99 ms': f.p99,
        'non-2xx + errors': f.failed,
      })),
    );
    const byName = (name) => figures.find((f) => f.label.startsWith(`${name}:`));
    const [a, bRaw, d] = [byName('a'), byName('b-raw'), byName('d')];
    if (a && bRaw && d)
      console.log(
        `d / a: ${(d.rps / a.rps).toFixed(2)} req/s, ${(d.cpu / a.cpu).toFixed(2)} CPU; d / b-raw: ${(d.rps / bRaw.rps).toFixed(2)} req/s, ${(d.cpu / bRaw.cpu).toFixed(2)} CPU`,
      );

    // ---- in process: the same module at each layer ----
    const code = compiled;
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
    return [
      ...figures.map((f) => ({
        benchmark: '2. invoke throughput',
        measure: `${f.label}: req/s, server CPU per request (${CONNECTIONS} conn, median of ${ROUNDS} × ${DURATION} s)`,
        result: `${r(f.rps, 0)} req/s, ${r(f.cpu, 0)} µs${f.failed ? ` (${f.failed} non-2xx/errors)` : ''}`,
        aim: f === d ? '≥ b-raw req/s, ≤ 100 µs' : '',
      })),
      ...(a && bRaw && d
        ? [
            {
              benchmark: '2. invoke throughput',
              measure: 'd / a and d / b-raw: req/s; CPU µs/req',
              result: `${(d.rps / a.rps).toFixed(2)}, ${(d.rps / bRaw.rps).toFixed(2)}; ${(d.cpu / a.cpu).toFixed(2)}, ${(d.cpu / bRaw.cpu).toFixed(2)}`,
              aim: 'd / b-raw ≥ 1 (req/s)',
            },
          ]
        : []),
      ...inProcess.map((row) => ({
        benchmark: '2. invoke in process',
        measure: `${row.layer}: µs/call sequential / concurrency ${levels[1]} / ${levels[2]}`,
        result: `${row[key(levels[0])]} / ${row[key(levels[1])]} / ${row[key(levels[2])]} µs`,
        aim: '',
      })),
    ];
  } finally {
    for (const [, server] of servers) await server.fastify?.close();
    served.dispose();
    raw.dispose();
    await bench.close();
  }
});
