import type { ApiClient, WireObject } from '../api-client.js';
import { EXIT } from '../cli-error.js';
import type { Context } from '../context.js';
import type { ServerEvent } from '../event-stream.js';

/**
 * An improvement run (docs/improvement-engine.md), which POST /modules/:name/improve starts and answers with its
 * `runId`: its rounds are on the stream, its record at GET /improvements/:runId is the outcome.
 */
export function runEvent(ctx: Context, event: ServerEvent, runId: string): boolean {
  const d = event.data;
  if (d.runId !== runId) return false;
  if (event.type === 'improvement.round')
    ctx.out.progress(
      `  round ${d.round}: ${d.candidates} candidate(s), ${d.evaluated} evaluated, ${d.ready} ready` +
        (d.activatedVersionId ? `, activated ${d.activatedVersionId}` : ''),
    );
  if (event.type !== 'improvement.done') return false;
  ctx.out.progress(`  done: ${d.stopReason}`);
  return true;
}

export async function runSettled(client: ApiClient, runId: string): Promise<WireObject | undefined> {
  const view = await client.get(`/improvements/${encodeURIComponent(runId)}`);
  return view.state === 'finished' ? (view as WireObject) : undefined;
}

/** Success is a version the run activated, or a solved goal (held for approval). */
export function reportRun(ctx: Context, module: string, run: WireObject): void {
  if (!run.activatedVersionId && run.stopReason !== 'solved') ctx.exitCode = EXIT.failed;
  ctx.out.data(run);
  const cost = run.costUsd ? `, $${Number(run.costUsd).toFixed(4)}` : '';
  ctx.out.line(
    `${module}: ${run.stopReason}${run.activatedVersionId ? ` (activated ${run.activatedVersionId})` : ''} ` +
      `after ${run.roundsDone} round(s), ${run.tokens} tokens${cost}`,
  );
}
