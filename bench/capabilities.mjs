// 9. capabilities: the overhead of one capability call from module code, against the same work done from the
// host in the same run. In process through LoadedVersion and the capabilities' sessions from dist/; kv on the
// run's PostgreSQL database (migrated here), fetch to a loopback server (FETCH_ALLOW_CIDRS-style allow list).
import { createServer } from 'node:http';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { context, runBenchmark } from './lib/child.mjs';
import { dist } from './lib/paths.mjs';
import { heading, markdownTable, r } from './lib/stats.mjs';

const { compileModule, LoadedVersion } = await import(dist('libs/runtime/src/index.js'));
const { FetchClient, GrantedSession, KvStore, parseCidr } = await import(
  dist('libs/capabilities/src/index.js')
);
const { dataSourceOptions, runMigrationsLocked } = await import(dist('libs/persistence/src/index.js'));

const CALLS = Number(process.env.BENCH_CAPABILITY_CALLS ?? 200);
const ROUNDS = 5;
const LIMITS = {
  memoryMb: 64,
  cpuTimeoutMs: 10_000,
  wallTimeoutMs: 60_000,
  concurrency: 4,
  queueLimit: 4,
  maxOutputBytes: 100_000,
  maxLogBytes: 200,
  maxLogLines: 10,
};
const CONFIG = {
  maxCallsPerInvocation: CALLS + 10,
  maxCallDepth: 4,
  kv: {
    maxKeyBytes: 512,
    maxValueBytes: 65_536,
    maxKeys: 1000,
    maxBytes: 1_048_576,
    listLimit: 1000,
    timeoutMs: 5000,
  },
};

async function load(module, source) {
  const compiled = await compileModule(source);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return LoadedVersion.load({ module, versionId: 'v', code: compiled.code, limits: LIMITS });
}

/** Best per-call microseconds over ROUNDS runs of `run`, which makes CALLS calls. */
async function perCall(run) {
  let best = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await run();
    best = Math.min(best, ((performance.now() - started) * 1000) / CALLS);
  }
  return best;
}

const loop = (body) => `export default async (_: unknown, ctx: any) => {
  for (let i = 0; i < ${CALLS}; i++) { ${body} }
  return ${CALLS};
};`;

runBenchmark(async () => {
  const { databaseUrl } = context();
  const rows = [];
  const row = (measure, capability, host, aim) =>
    rows.push({ measure, capability, host, ratio: capability / host, aim });

  // ctx.call hop vs a direct invoke of the same callee
  const callee = await load('callee', 'export default (n: number) => n + 1;');
  const caller = await load('caller', loop("await ctx.call('callee', i);"));
  const callSession = () =>
    new GrantedSession(
      { call: { modules: ['callee'] } },
      CONFIG,
      { call: { call: (_m, input) => callee.invoke(input).then((x) => x.output) } },
      ['caller'],
    );
  const hop = await perCall(() => caller.invoke(null, { capabilities: callSession() }));
  const direct = await perCall(async () => {
    for (let i = 0; i < CALLS; i++) await callee.invoke(i);
  });
  rows.push({
    measure: 'ctx.call hop (µs, beyond a direct invoke)',
    capability: hop,
    host: direct,
    ratio: hop / direct,
    aim: `hop − direct ≤ 30 µs (${r(hop - direct, 1)})`,
  });

  // kv get/set vs bare pg queries doing the same
  const dataSource = new DataSource(dataSourceOptions(databaseUrl, { poolSize: 2 }));
  await dataSource.initialize();
  await runMigrationsLocked(dataSource);
  const [{ id: moduleId }] = await dataSource.query(
    `INSERT INTO modules (name) VALUES ('bench-kv') RETURNING id`,
  );
  const store = new KvStore(dataSource, { capabilities: CONFIG });
  const quota = { maxKeys: 1000, maxBytes: 1_048_576 };
  const kvSession = () =>
    new GrantedSession(
      { kv: quota },
      CONFIG,
      {
        kv: {
          get: (key) => store.get(moduleId, key),
          set: (key, json, ttl) => store.set(moduleId, key, json, ttl, quota),
          delete: (key) => store.delete(moduleId, key),
          list: (prefix) => store.list(moduleId, prefix),
        },
      },
      ['bench-kv'],
    );
  await store.set(moduleId, 'k', '{"n":1}', undefined, quota);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const getter = await load('bench-kv', loop("await ctx.kv.get('k');"));
  const kvGet = await perCall(() => getter.invoke(null, { capabilities: kvSession() }));
  const pgGet = await perCall(async () => {
    for (let i = 0; i < CALLS; i++) {
      await client.query(
        'SELECT value FROM module_state WHERE module_id = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > now())',
        [moduleId, 'k'],
      );
    }
  });
  row('kv get (µs per call)', kvGet, pgGet, '≤ 1.2× bare pg');
  const setter = await load('bench-kv', loop("await ctx.kv.set('k', { n: i });"));
  const kvSet = await perCall(() => setter.invoke(null, { capabilities: kvSession() }));
  // the bare query: one upsert; ctx.kv.set's one statement also takes the module's lock and reads its usage
  const pgSet = await perCall(async () => {
    for (let i = 0; i < CALLS; i++) {
      await client.query(
        `INSERT INTO module_state (module_id, key, value, bytes) VALUES ($1, 'k', $2::jsonb, 10)
         ON CONFLICT (module_id, key) DO UPDATE SET value = EXCLUDED.value`,
        [moduleId, JSON.stringify({ n: i })],
      );
    }
  });
  row('kv set (µs per call; bare pg: one upsert, no lock or quota)', kvSet, pgSet, '≤ 1.2× bare pg');
  await client.end();
  await dataSource.destroy();

  // fetch to a loopback server vs fetch from the host
  const server = createServer((_req, res) => res.end('{"ok":true}'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const fetchClient = new FetchClient([parseCidr('127.0.0.1/32')]);
  const fetchGrant = {
    origins: [origin],
    maxRequests: CALLS + 10,
    timeoutMs: 5000,
    maxResponseBytes: 10_000,
  };
  const fetchSession = () =>
    new GrantedSession(
      { fetch: fetchGrant },
      CONFIG,
      { fetch: { fetch: (req) => fetchClient.fetch(req, { ...fetchGrant, maxRedirects: 5 }) } },
      ['bench-fetch'],
    );
  const fetcher = await load('bench-fetch', loop(`await ctx.fetch('${origin}/x');`));
  const capFetch = await perCall(() => fetcher.invoke(null, { capabilities: fetchSession() }));
  const hostFetch = await perCall(async () => {
    for (let i = 0; i < CALLS; i++) await (await fetch(`${origin}/x`)).text();
  });
  row('fetch to loopback (µs per call)', capFetch, hostFetch, '≤ 1.2× host fetch');
  fetchClient.onModuleDestroy();
  server.close();
  for (const v of [callee, caller, getter, setter, fetcher]) v.dispose();

  heading(`capabilities (${CALLS} calls per invocation, best of ${ROUNDS})`);
  console.log(
    markdownTable(
      rows.map((x) => ({
        Measure: x.measure,
        'From a module': r(x.capability, 1),
        'From the host': r(x.host, 1),
        Ratio: r(x.ratio, 2),
        Aim: x.aim,
      })),
    ),
  );
  return rows.map((x) => ({
    benchmark: '9. capabilities',
    measure: x.measure,
    result: `${r(x.capability, 1)} vs ${r(x.host, 1)} (${r(x.ratio, 2)}×)`,
    aim: x.aim,
  }));
});
