import { SetMetadata } from '@nestjs/common';
import type { ModuleVersionEntity } from '@seed/code-store';
import type { SubmissionsService } from '@seed/hot-reload';
import type { FastifyReply } from 'fastify';

/** RFC 7240 leaves the bound to the server: long enough for a pipeline, short of proxies' idle timeouts. */
export const MAX_PREFER_WAIT_SECONDS = 25;

export const PREFER_WAIT_KEY = 'seed:prefer-wait';
/** Marks a submitting route that honours `Prefer: wait=<seconds>` (its OpenAPI entry lists the header). */
export const PreferWait = () => SetMetadata(PREFER_WAIT_KEY, true);

/**
 * Pure: the seconds a Prefer header asks to wait (RFC 7240 `wait=<delta-seconds>`, among other
 * preferences), capped; undefined when it asks for none. A malformed preference is ignored, as the RFC says.
 */
export function preferredWaitSeconds(header: string | string[] | undefined): number | undefined {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  for (const value of values) {
    for (const preference of value.split(',')) {
      const match = /^\s*wait\s*=\s*"?(\d{1,9})"?\s*(;.*)?$/i.exec(preference);
      if (match) return Math.min(Number(match[1]), MAX_PREFER_WAIT_SECONDS);
    }
  }
  return undefined;
}

/**
 * Pure: how long a handler may wait so that its answer still beats the request timeout (which fires up to
 * a quarter of it, at most a second, late, and never early): the timeout less a margin for the answer.
 */
export function waitBudgetMs(seconds: number, requestTimeoutMs: number): number {
  const margin = Math.min(1000, Math.ceil(requestTimeoutMs / 4));
  return Math.max(0, Math.min(seconds * 1000, requestTimeoutMs - margin));
}

/** What a submission answers once the pipeline has decided: a rejection is an outcome, not an error. */
export function outcomeView(version: ModuleVersionEntity) {
  return {
    status: version.status,
    activated: version.status === 'active',
    diagnostics: version.diagnostics,
  };
}

/**
 * Honours `Prefer: wait` on a submission: waits for the pipeline's decision within the budget and answers
 * `decidedStatus` with the outcome and `Preference-Applied: wait`; otherwise the answer stays 202 as is.
 * A client that goes away (or the request timeout answering first) ends the wait.
 */
export async function withOutcome<T extends object>(
  submitted: T & { versionId: string },
  options: {
    submissions: SubmissionsService;
    prefer: string | string[] | undefined;
    requestTimeoutMs: number;
    reply: FastifyReply;
    decidedStatus: number;
  },
): Promise<T | (T & ReturnType<typeof outcomeView>)> {
  const seconds = preferredWaitSeconds(options.prefer);
  if (seconds === undefined) return submitted;
  const abort = new AbortController();
  const onClose = () => abort.abort();
  options.reply.raw.once('close', onClose);
  try {
    const deadline = Date.now() + waitBudgetMs(seconds, options.requestTimeoutMs);
    const decided = await options.submissions.awaitOutcome(submitted.versionId, deadline, abort.signal);
    if (!decided) return submitted;
    void options.reply.code(options.decidedStatus).header('preference-applied', 'wait');
    return { ...submitted, ...outcomeView(decided) };
  } finally {
    options.reply.raw.off('close', onClose);
  }
}
