import { Command, Option } from 'commander';
import { ApiFailure, type WireObject } from '../api-client.js';
import { CliError, EXIT } from '../cli-error.js';
import type { Context } from '../context.js';
import { positiveInt } from '../files.js';
import type { Run } from '../program.js';
import { fields, table } from '../terminal.js';
import { resolveVersion } from '../version-ref.js';

const ACTIONS = ['promote', 'pause', 'resume', 'abort'] as const;
const path = (module: string) => `/modules/${encodeURIComponent(module)}/rollouts`;

/** Rollouts came with a later server release: an older one answers 404 for the routes themselves. */
async function rollouts<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 404 && error.code === 'not_found')
      throw new CliError(
        'this server has no rollouts API (it predates progressive delivery): upgrade it',
        EXIT.failed,
        'no_rollouts_api',
      );
    throw error;
  }
}

const number = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new CliError(`${value}: a number is expected`, EXIT.usage);
  return n;
};

export function rolloutCommand(run: Run): Command {
  const rollout = new Command('rollout').description(
    'progressive delivery: a canary version at a growing weight',
  );
  rollout
    .command('start <module> <version>')
    .description('start a rollout of a ready version (id, sequence number, "latest")')
    .option('--steps <weights>', 'comma-separated weights in percent, e.g. 5,25,50,100')
    .option('--step-weight <percent>', 'weight added each step (with --max-weight)', number)
    .option('--max-weight <percent>', 'last weight before promotion (with --step-weight)', number)
    .option('--interval <ms>', 'time per step', positiveInt)
    .option('--min-calls <n>', 'calls per step before it is analysed', positiveInt)
    .option(
      '--max-error-rate-delta <x>',
      "how far the canary's error rate may exceed the stable one's (0.05 = 5 points)",
      number,
    )
    .option('--max-latency-ratio <x>', 'p99 canary / stable at most', number)
    .option('--failure-limit <n>', 'failed step analyses before rollback', positiveInt)
    .option('--observe-only', 'analyse and record, never act')
    .addOption(
      new Option('--on-inconclusive <action>', 'when analysis cannot decide').choices([
        'pause',
        'promote',
        'abort',
      ]),
    )
    .action(
      run(async (ctx, module: string, ref: string, o: WireObject) => {
        const client = ctx.client();
        const analysis = Object.fromEntries(
          Object.entries({
            minCalls: o.minCalls,
            maxErrorRateDelta: o.maxErrorRateDelta,
            maxLatencyRatio: o.maxLatencyRatio,
            failureLimit: o.failureLimit,
            observeOnly: o.observeOnly,
          }).filter(([, v]) => v !== undefined),
        );
        const body = Object.fromEntries(
          Object.entries({
            versionId: await resolveVersion(client, module, ref),
            steps: o.steps ? String(o.steps).split(',').map(number) : undefined,
            stepWeight: o.stepWeight,
            maxWeight: o.maxWeight,
            intervalMs: o.interval,
            analysis: Object.keys(analysis).length ? analysis : undefined,
            onInconclusive: o.onInconclusive,
          }).filter(([, v]) => v !== undefined),
        );
        report(ctx, await rollouts(() => client.post(path(module), body)));
      }),
    );
  for (const action of ACTIONS) {
    rollout
      .command(`${action} <module>`)
      .description(`${action} the module's current rollout`)
      .action(
        run(async (ctx, module: string) => {
          report(ctx, await rollouts(() => ctx.client().post(`${path(module)}/current/${action}`)));
        }),
      );
  }
  rollout
    .command('status <module>')
    .description("the module's rollouts, newest first, with their decisions")
    .action(
      run(async (ctx, module: string) => {
        const history = await rollouts(() => ctx.client().get(path(module)));
        ctx.out.data(history);
        const items = history.items as WireObject[];
        if (items.length === 0) return ctx.out.line(`${module} has had no rollout`);
        ctx.out.line(
          table(
            ['STATUS', 'VERSION', 'WEIGHT', 'STEP', 'CREATED', 'ENDED'],
            items.map((r) => [r.status, r.versionId, r.weight, stepOf(r), r.createdAt, r.endedAt]),
          ),
        );
        decisions(ctx, items[0]);
      }),
    );
  return rollout;
}

function report(ctx: Context, r: WireObject): void {
  ctx.out.data(r);
  ctx.out.line(
    fields([
      ['rollout', r.id],
      ['status', r.status],
      ['version', r.versionId],
      ['stable', r.stableVersionId],
      ['weight', r.weight],
      ['step', stepOf(r)],
      ['interval', `${r.intervalMs} ms`],
    ]),
  );
}

/** `step` is an index into `steps`: people read "step 1/4 (5 %)". */
function stepOf(r: WireObject): string {
  return `${r.step + 1}/${r.steps.length} (${r.steps[r.step]} %)`;
}

/** Each decision with the values and thresholds behind it, as the server recorded them. */
function decisions(ctx: Context, r: WireObject): void {
  for (const d of r.decisions as WireObject[]) {
    const { at, weight, verdict, action, reason, actor, observed } = d;
    const why = verdict ? `${verdict}: ${reason}` : reason;
    const seen = observed ? ` ${JSON.stringify(observed)}` : '';
    ctx.out.line(`  ${at} at ${weight} %: ${action} (${why}) by ${actor}${seen}`);
  }
}
