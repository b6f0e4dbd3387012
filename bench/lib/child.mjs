// The protocol between bench/run.mjs and a benchmark child: context in by environment, figures out by IPC.

export function context() {
  const databaseUrl = process.env.BENCH_DATABASE_URL;
  const redisPrefix = process.env.BENCH_REDIS_PREFIX;
  if (!databaseUrl || !redisPrefix) {
    throw new Error(
      'run the benchmarks through bench/run.mjs (npm run bench): BENCH_DATABASE_URL is not set',
    );
  }
  return { databaseUrl, redisPrefix };
}

/** Sends the summary rows ({ benchmark, measure, result, aim }) to the orchestrator. */
export function report(rows) {
  return new Promise((resolve) => {
    if (process.send) process.send({ rows }, () => resolve());
    else resolve();
  });
}

/** Runs main(), reports its rows, and exits (the app's handles would otherwise keep the process alive). */
export function runBenchmark(main) {
  main()
    .then(async (rows) => {
      await report(rows);
      process.exit(0);
    })
    .catch((error) => {
      console.error(error?.stack ?? error);
      process.exit(1);
    });
}
