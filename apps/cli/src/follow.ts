import { CliError, EXIT } from './cli-error.js';
import type { Context } from './context.js';
import { eventStream, type ServerEvent } from './event-stream.js';

export interface FollowOptions<Started, Result> {
  module: string;
  /** Sent once the event stream is subscribed, so no early stage is missed. */
  start(): Promise<Started>;
  /** Prints the events that concern what was started; true for the event that announces the outcome. */
  onEvent(event: ServerEvent, started: Started): boolean;
  /** The outcome once it is decided, else undefined; polled, and re-checked after each event. */
  settled(started: Started): Promise<Result | undefined>;
  timeoutMs: number;
  what: string;
}

const POLL_MS = 500;
/** After the API shows the outcome, how long the stream may take to deliver its last events. */
const DRAIN_MS = 3000;

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
  let announced: () => void = () => undefined;
  const outcomeEvent = new Promise<void>((resolve) => (announced = resolve));
  try {
    const live = await subscribed(ctx, events);
    const started = await options.start();
    printer = (async () => {
      if (!live) return announced();
      for await (const event of events) {
        if (options.onEvent(event, started)) announced();
        wake();
      }
      announced();
    })().catch(() => announced()); // the stream is for display only; polling decides
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const result = await options.settled(started);
      if (result !== undefined) {
        // Events of one version arrive in order: once its outcome event is shown, every stage before it was.
        await within(outcomeEvent, DRAIN_MS);
        return { started, result };
      }
      if (Date.now() > deadline)
        throw new CliError(
          `${options.what} was not decided within ${options.timeoutMs / 1000}s (--timeout)`,
          EXIT.failed,
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

/** Waits for the stream's `ready`; without a stream (too many open, an old proxy) polling alone follows. */
async function subscribed(ctx: Context, events: AsyncGenerator<ServerEvent>): Promise<boolean> {
  try {
    return !(await events.next()).done;
  } catch (error) {
    if (error instanceof CliError && error.code === 'unreachable') throw error;
    ctx.out.progress(`(no live progress: ${(error as Error).message})`);
    return false;
  }
}

async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
