import type { WireObject } from './api-client.js';
import type { Context } from './context.js';
import type { ServerEvent } from './event-stream.js';
import { follow } from './follow.js';
import { EXIT } from './cli-error.js';

/** Statuses the pipeline is still working on; any other is its decision. */
const IN_PIPELINE = new Set(['queued', 'compiling', 'testing', 'activating']);
/** The event each decision publishes, after the stages: rejected, ready (not activating), superseded, active. */
const OUTCOME_EVENTS = new Set([
  'version.rejected',
  'version.ready',
  'version.superseded',
  'module.activated',
]);

export interface Submitted {
  versionId: string;
  seq?: number;
}

/** Submits a version (or a module's first one) and follows it through the stages to its outcome. */
export async function submitAndFollow(
  ctx: Context,
  module: string,
  submit: () => Promise<Submitted>,
  timeoutMs: number,
): Promise<WireObject> {
  const client = ctx.client();
  const { result } = await follow(ctx, {
    module,
    what: 'the version',
    timeoutMs,
    start: async () => {
      const submitted = await submit();
      ctx.out.progress(
        `submitted ${module}${submitted.seq ? `@${submitted.seq}` : ''} (${submitted.versionId})`,
      );
      return submitted;
    },
    onEvent: (event, submitted) => {
      if (event.data.versionId !== submitted.versionId) return false;
      const line = describeStage(event);
      if (line) ctx.out.progress(`  ${line}`);
      return OUTCOME_EVENTS.has(event.type);
    },
    settled: async (submitted) => {
      const version = await client.get(
        `/modules/${encodeURIComponent(module)}/versions/${submitted.versionId}`,
      );
      return IN_PIPELINE.has(version.status) ? undefined : (version as WireObject);
    },
  });
  reportVersion(ctx, module, result);
  return result;
}

/** The server's bound on `Prefer: wait` (docs/http-api.md): a longer wait is cut to it anyway. */
const MAX_PREFER_WAIT_S = 25;

/**
 * Submits with `Prefer: wait` and reports the outcome when the server decided within the wait (the
 * answer then has `status`), without streaming the stages. Returns the submission when it did not decide in
 * time, for the caller to say how to follow it.
 */
export async function submitAndWait(
  ctx: Context,
  module: string,
  submit: (headers: Record<string, string>) => Promise<Submitted & { status?: string }>,
): Promise<Submitted | undefined> {
  const wait = Math.max(1, Math.min(MAX_PREFER_WAIT_S, Math.floor(ctx.timeoutMs / 1000)));
  const submitted = await submit({ prefer: `wait=${wait}` });
  if (submitted.status === undefined) return submitted;
  // The outcome answer has no score: the version view has it, and prints as --watch's does.
  const version = await ctx
    .client()
    .get(`/modules/${encodeURIComponent(module)}/versions/${submitted.versionId}`);
  reportVersion(ctx, module, version);
  return undefined;
}

function describeStage(event: ServerEvent): string | undefined {
  const d = event.data;
  switch (event.type) {
    case 'version.stage':
      return `… ${d.stage}`;
    case 'version.ready':
      return d.held ? '✔ passed, held for approval' : '✔ passed every gate';
    case 'version.rejected':
      return `✘ rejected at ${d.stage}`;
    case 'module.activated':
      return `✔ activated (${d.reason})`;
    case 'version.superseded':
      return '· superseded by a newer version';
    default:
      return undefined;
  }
}

/** The outcome with its diagnostics; a rejection sets a non-zero exit code. */
export function reportVersion(ctx: Context, module: string, version: WireObject): void {
  if (version.status === 'rejected') ctx.exitCode = EXIT.failed;
  ctx.out.data(version);
  const score = version.score ? `  score ${version.score.passed}/${version.score.total}` : '';
  ctx.out.line(`${module}@${version.seq} ${version.status} (${version.id})${score}`);
  for (const d of (version.diagnostics ?? []) as WireObject[]) ctx.out.line(`  ${diagnosticLine(d)}`);
}

export function diagnosticLine(d: WireObject): string {
  const at = d.line ? ` line ${d.line}${d.column ? `:${d.column}` : ''}` : '';
  const kase = d.case && !String(d.message).includes(d.case) ? ` case ${JSON.stringify(d.case)}` : '';
  let text = `${d.stage}${at}${kase}: ${d.message}`;
  if (d.input !== undefined) text += `\n    input    ${JSON.stringify(d.input)}`;
  if (d.expected !== undefined) text += `\n    expected ${JSON.stringify(d.expected)}`;
  if (d.actual !== undefined) text += `\n    actual   ${JSON.stringify(d.actual)}`;
  return text;
}
