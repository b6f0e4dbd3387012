// 9. evaluation cascade: time per rejected candidate, from POST to `rejected`, on a module with CASES cases, when
// the candidate breaks a smoke case (the cascade stops after the smoke stage: 3 case runs) against when it breaks
// only the last case (every visible case runs first, which is what an evaluation without the cascade always
// costs). Each case does a little work (a 20k-step loop), as real cases do; sequential submissions.
import { context, runBenchmark } from './lib/child.mjs';
import { createModule, expectStatus, settle, startBenchApp } from './lib/app.mjs';
import { fmtMs, heading, r, summary } from './lib/stats.mjs';

const CASES = Number(process.env.BENCH_CASCADE_CASES ?? 200);
const CANDIDATES = Number(process.env.BENCH_CASCADE_CANDIDATES ?? 20);

const work = 'let s = 0; for (let i = 0; i < 20000; i++) s += i % 7;';
const good = `export default (n: number) => { ${work} return n * 2 + (s < 0 ? 1 : 0); };\n`;
/** Wrong on `bad` only; `i` keeps every candidate's source distinct (no duplicate is ever served from cache). */
const breaking = (bad, i) =>
  `const build = ${i};\nexport default (n: number) => { ${work} return n === ${bad} ? -build : n * 2; };\n`;

async function rejectedIn(bench, name, source) {
  const started = performance.now();
  const submitted = expectStatus(
    await bench.request('POST', `/modules/${name}/versions`, { source, activate: true }),
    202,
    `submit to ${name}`,
  );
  const version = await settle(bench, name, submitted.versionId, { intervalMs: 2, timeoutMs: 120_000 });
  if (version.status !== 'rejected') throw new Error(`expected a rejection, got ${version.status}`);
  return { ms: performance.now() - started, stage: version.score?.stageReached, runs: version.score?.total };
}

runBenchmark(async () => {
  const { databaseUrl, redisPrefix } = context();
  // benchEnv runs in production mode, which requires a metrics token.
  const bench = await startBenchApp({
    databaseUrl,
    redisPrefix,
    env: { METRICS_TOKEN: 'bench-cascade-metrics' },
  });
  try {
    const tests = Array.from({ length: CASES }, (_, i) => ({ name: `case-${i}`, input: i, expect: i * 2 }));
    await createModule(bench, 'cascade', good, tests);
    const early = [];
    const late = [];
    for (let i = 0; i < CANDIDATES; i++) {
      early.push(await rejectedIn(bench, 'cascade', breaking(0, 2 * i + 1)));
      late.push(await rejectedIn(bench, 'cascade', breaking(CASES - 1, 2 * i + 2)));
    }
    const e = summary(early.map((x) => x.ms));
    const l = summary(late.map((x) => x.ms));
    heading(`9. evaluation cascade (${CASES} cases, ${CANDIDATES} rejected candidates each)`);
    console.log(
      `  broken smoke case: median ${fmtMs(e.p50)}, p90 ${fmtMs(e.p90)} (${early[0].runs} case runs, stopped at ${early[0].stage})`,
    );
    console.log(
      `  broken last case:  median ${fmtMs(l.p50)}, p90 ${fmtMs(l.p90)} (${late[0].runs} case runs, stopped at ${late[0].stage})`,
    );
    return [
      { benchmark: 'cascade', measure: 'rejected at smoke (median)', result: fmtMs(e.p50), aim: '' },
      {
        benchmark: 'cascade',
        measure: `rejected after all ${CASES} visible (median)`,
        result: fmtMs(l.p50),
        aim: '',
      },
      {
        benchmark: 'cascade',
        measure: 'saving per early rejection',
        result: `${r(l.p50 / Math.max(e.p50, 0.001), 1)}×`,
        aim: '',
      },
    ];
  } finally {
    await bench.close();
  }
});
