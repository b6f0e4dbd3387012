// 7. sandbox limits: how close to its limit each timeout fires, and how fast the sandbox answers around a failing
// call: the speed figures the LoadedVersion specs no longer assert (they assert which limit fired). In process,
// through LoadedVersion from dist/, with the specs' limits (CPU 200 ms, wall 1000 ms). No app, database or Redis.
import { runBenchmark } from './lib/child.mjs';
import { dist } from './lib/paths.mjs';
import { fmtMs, heading, markdownTable, summary } from './lib/stats.mjs';

const { compileModule, LoadedVersion } = await import(dist('libs/runtime/src/index.js'));

const ROUNDS = Number(process.env.BENCH_LIMIT_ROUNDS ?? 10);
const LIMITS = {
  memoryMb: 24,
  cpuTimeoutMs: 200,
  wallTimeoutMs: 1000,
  concurrency: 4,
  queueLimit: 4,
  maxOutputBytes: 10_000,
  maxLogBytes: 200,
};
const busy = (ms) => `const end = Date.now() + ${ms}; while (Date.now() < end) {}`;

async function load(source, limits = {}) {
  const compiled = await compileModule(source);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.diagnostics));
  return LoadedVersion.load({
    module: 'm',
    versionId: 'v',
    code: compiled.code,
    limits: { ...LIMITS, ...limits },
  });
}

/** Milliseconds until `call` settles, and the failure code it settled with (undefined when it answered). */
async function timed(call) {
  const started = performance.now();
  const code = await call().then(
    () => undefined,
    (error) => error.code,
  );
  return { ms: performance.now() - started, code };
}

/** Runs `round` ROUNDS times; fails when a round ends with another code than `expected`. */
async function measure(what, expected, round) {
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    const { ms, code } = await round();
    if (code !== expected)
      throw new Error(`${what}: expected ${expected ?? 'an answer'}, got ${code ?? 'an answer'}`);
    samples.push(ms);
  }
  return summary(samples);
}

runBenchmark(async () => {
  const cells = [];
  const cell = (measureName, stats, aim) => cells.push({ measure: measureName, stats, aim });

  const loop = await load(`export default () => { while (true) {} };`, { wallTimeoutMs: 60_000 });
  cell(
    `infinite loop → timeout (CPU limit ${LIMITS.cpuTimeoutMs} ms)`,
    await measure('cpu timeout', 'timeout', () => timed(() => loop.invoke(null))),
    `≥ ${LIMITS.cpuTimeoutMs} ms, < 900 ms`,
  );
  const afterAwait = await load(`export default async () => { await null; while (true) {} };`, {
    wallTimeoutMs: 60_000,
  });
  cell(
    'loop after an await → timeout',
    await measure('cpu timeout after await', 'timeout', () => timed(() => afterAwait.invoke(null))),
    '< 900 ms',
  );
  const pending = await load(`
    const kept: (() => void)[] = [];
    export default () => new Promise<void>((resolve) => kept.push(resolve));
  `);
  cell(
    `never-settling promise → timeout (wall limit ${LIMITS.wallTimeoutMs} ms)`,
    await measure('wall timeout', 'timeout', () => timed(() => pending.invoke(null))),
    `≥ ${LIMITS.wallTimeoutMs} ms, < 3000 ms`,
  );
  const recursion = await load(
    `const down = (n: number): number => down(n + 1) + 1; export default () => down(0);`,
  );
  cell(
    'deep recursion → RangeError',
    await measure('recursion', 'runtime_error', () => timed(() => recursion.invoke(null))),
    '< 1000 ms',
  );

  // another version's answer while a call spins on its CPU timeout
  const other = await load(`export default (x: number) => x + 1;`);
  const answers = [];
  for (let i = 0; i < ROUNDS; i++) {
    const spinner = await load(`export default () => { ${busy(10_000)} };`, { cpuTimeoutMs: 600 });
    const spinning = spinner.invoke(null).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    answers.push((await timed(() => other.invoke(1))).ms);
    await spinning;
    spinner.dispose();
  }
  cell('invoke while another isolate spins', summary(answers), '< 300 ms');

  // dispose of a version with one call running and one queued, until both have failed
  const disposals = [];
  for (let i = 0; i < ROUNDS; i++) {
    const version = await load(`export default () => { ${busy(2000)} return 1; };`, {
      concurrency: 1,
      queueLimit: 2,
      cpuTimeoutMs: 3000,
      wallTimeoutMs: 5000,
    });
    const calls = [version.invoke(null), version.invoke(null)].map((call) => call.catch(() => undefined));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    version.dispose();
    await Promise.all(calls);
    disposals.push(performance.now() - started);
  }
  cell('dispose → running and queued calls failed', summary(disposals), '< 1000 ms');

  for (const version of [loop, afterAwait, pending, recursion, other]) version.dispose();

  heading(`sandbox limits (${ROUNDS} rounds each)`);
  console.log(
    markdownTable(
      cells.map(({ measure: m, stats, aim }) => ({
        Measure: m,
        min: fmtMs(stats.min),
        p50: fmtMs(stats.p50),
        max: fmtMs(stats.max),
        Aim: aim,
      })),
    ),
  );
  return cells.map(({ measure: m, stats, aim }) => ({
    benchmark: '7. sandbox limits',
    measure: m,
    result: `p50 ${fmtMs(stats.p50)}, max ${fmtMs(stats.max)}`,
    aim,
  }));
});
