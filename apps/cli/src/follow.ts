import { CliError } from './cli-error.js';
import type { Context } from './context.js';
import { eventStream, type ServerEvent } from './event-stream.js';

export interface FollowOptions<Started, Result> {
  module: string;
  /** Sent once the event stream is subscribed, so no early stage is missed. */
  start(): Promise<Started>;
  /** Prints the events that concern what was started. */
  onEvent(event: ServerEvent, started: Started): void;
  /** The outcome once it is decided, else undefined; polled, and re-checked after each event. */
  settled(started: Started): Promise<Result | undefined>;
  timeoutMs: number;
  what: string;
}

const POLL_MS = 500;

/**
 * Starts something and follows it to its outcome: the events stream the progress, and the REST API is the
 * source of truth for the outcome (an event may be a preview, or lost when the stream drops).
 */
export async function follow<Started, Result>(
  ctx: Context,
  options: FollowOptions<Started, Result>,
): Promise<{ started: Started; result: Result }> {
  const client = ctx.client();
  const abort = new AbortController();
  const events = eventStream(client, { module: options.module, signal: abort.signal });
  let wake: () => void = () => undefined;
  let printer: Promise<void> = Promise.resolve();
  try {
    await events.next(); // `ready`: subscribed
    const started = await options.start();
    printer = (async () => {
      for await (const event of events) {
        options.onEvent(event, started);
        wake();
      }
    })().catch(() => undefined); // the stream is for display only; polling still decides
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const result = await options.settled(started);
      if (result !== undefined) return { started, result };
      if (Date.now() > deadline)
        throw new CliError(
          `${options.what} was not decided within ${options.timeoutMs / 1000}s (--timeout)`,
          1,
          'timeout',
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    abort.abort();
    await printer;
    await events.return(undefined).catch(() => undefined);
  }
}
