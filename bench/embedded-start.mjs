// 8. embedded servers: start-up of the embedded PostgreSQL (PGlite) and redis-server the app runs with nothing
// configured, on a new folder and on reopening it (the figures the embedded-* specs used to print).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBenchmark } from './lib/child.mjs';
import { dist } from './lib/paths.mjs';
import { fmtMs, heading, markdownTable, summary } from './lib/stats.mjs';

const { startEmbeddedPostgres } = await import(dist('apps/seed-agent/src/embedded/embedded-postgres.js'));
const { startEmbeddedRedis } = await import(dist('apps/seed-agent/src/embedded/embedded-redis.js'));

const ROUNDS = Number(process.env.BENCH_EMBEDDED_ROUNDS ?? 3);
const quiet = () => undefined;

/** Milliseconds to start a server on a new folder and to start it again on the same folder. */
async function firstAndReopen(start) {
  const dir = mkdtempSync(join(tmpdir(), 'seed-bench-embedded-'));
  try {
    let started = performance.now();
    const first = await start(join(dir, 'data'));
    const firstMs = performance.now() - started;
    await first.stop();
    started = performance.now();
    const second = await start(join(dir, 'data'));
    const reopenMs = performance.now() - started;
    await second.stop();
    return { firstMs, reopenMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runBenchmark(async () => {
  const servers = [
    {
      name: 'PGlite',
      start: (dir) => startEmbeddedPostgres({ dir, log: quiet }),
      aim: 'first 5–6 s, reopen ~0.6 s',
    },
    { name: 'redis-server', start: (dir) => startEmbeddedRedis({ dir, log: quiet }), aim: '' },
  ];
  const rows = [];
  for (const server of servers) {
    const first = [];
    const reopen = [];
    for (let i = 0; i < ROUNDS; i++) {
      const { firstMs, reopenMs } = await firstAndReopen(server.start);
      first.push(firstMs);
      reopen.push(reopenMs);
    }
    rows.push({ server: server.name, first: summary(first), reopen: summary(reopen), aim: server.aim });
  }
  heading(`embedded servers (${ROUNDS} rounds)`);
  console.log(
    markdownTable(
      rows.map((row) => ({
        Server: row.server,
        'first start p50': fmtMs(row.first.p50, 0),
        'reopen p50': fmtMs(row.reopen.p50, 0),
        'reopen max': fmtMs(row.reopen.max, 0),
      })),
    ),
  );
  return rows.flatMap((row) => [
    {
      benchmark: '8. embedded servers',
      measure: `${row.server} first start (p50)`,
      result: fmtMs(row.first.p50, 0),
      aim: row.aim,
    },
    {
      benchmark: '8. embedded servers',
      measure: `${row.server} reopen (p50)`,
      result: fmtMs(row.reopen.p50, 0),
      aim: '',
    },
  ]);
});
