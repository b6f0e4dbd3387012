/**
 * The host side of batching: the calls of one isolate wait here for the next crossing, and every crossing takes
 * all the calls waiting then (natural batching: a turn's calls, plus whatever arrived while the last one ran).
 * One crossing at a time per isolate: the isolate runs one task at a time anyway, and the calls queued behind a
 * busy one ride together in the next.
 */

/** One call as the crossing knows it. */
export interface CrossingCall {
  /** sent in a crossing of its own: a call sent again after its batch failed before it started */
  readonly solo: boolean;
}

/** How many calls from the head of the queue go in the next crossing: a solo call alone, else up to one. */
export function nextBatchSize(queue: readonly CrossingCall[]): number {
  if (queue.length === 0) return 0;
  if (queue[0].solo) return 1;
  const solo = queue.findIndex((call) => call.solo);
  return solo === -1 ? queue.length : solo;
}

/** What the harness's progress buffer says about a batch once its task settled. */
export interface BatchProgress {
  readonly size: number;
  /** calls the harness started (the progress buffer's count; clamped here, never trusted further) */
  readonly started: number;
  /** the harness's loop over the calls ended: the task was in its microtasks */
  readonly loopDone: boolean;
  /** the task failed (timeout, memory limit, disposal) */
  readonly failed: boolean;
  /** the last started call's report has arrived */
  readonly lastReported: boolean;
  /** the last started call waits on a capability answer */
  readonly lastAwaitingHost: boolean;
}

export interface BatchOutcome {
  /** calls [0, started) ran or run; the rest never started and go again */
  readonly started: number;
  /** index of the call that was running when the task failed: it alone gets the failure */
  readonly running?: number;
}

/**
 * Who was running when a batch's task failed. During the harness's loop no microtask runs, so the last started
 * call was. After the loop the task ran microtasks; the harness started no call after one that did not finish
 * synchronously, so the last started call is the only one of the batch with awaits left, unless it waits on the
 * host (then its code is not what ran: it goes on in the retired isolate or ends at its wall-clock timeout). A
 * call that finished before the failure has its report already, and nobody is charged for code it left behind.
 */
export function batchOutcome(progress: BatchProgress): BatchOutcome {
  const raw = Number.isSafeInteger(progress.started) ? progress.started : 0;
  const started = Math.min(Math.max(raw, 0), progress.size);
  if (!progress.failed || started === 0 || progress.lastReported) return { started };
  if (!progress.loopDone || !progress.lastAwaitingHost) return { started, running: started - 1 };
  return { started };
}

/** Sends queued calls to one isolate, a batch per crossing, one crossing at a time. */
export class Crossing<T extends CrossingCall> {
  private queue: T[] = [];
  private scheduled = false;
  private sending = false;
  private closed = false;

  /** `send` crosses once with the batch and settles every call of it (reported, failed or sent again). */
  constructor(private readonly send: (batch: T[]) => Promise<void>) {}

  get waiting(): number {
    return this.queue.length;
  }

  submit(call: T): void {
    if (this.closed) throw new Error('the crossing is closed');
    this.queue.push(call);
    this.schedule();
  }

  /** Puts calls that did not start back at the head, in their order, for the next crossing. */
  requeue(calls: readonly T[]): void {
    if (calls.length === 0) return;
    this.queue.unshift(...calls);
    this.schedule();
  }

  /** Takes a call back that has not been sent yet; false once it is on its way. */
  withdraw(call: T): boolean {
    const index = this.queue.indexOf(call);
    if (index === -1) return false;
    this.queue.splice(index, 1);
    return true;
  }

  /** No more crossings; answers the calls that were still waiting, which never started. */
  close(): T[] {
    this.closed = true;
    return this.queue.splice(0);
  }

  private schedule(): void {
    if (this.scheduled || this.sending || this.closed) return;
    this.scheduled = true;
    // the calls made in this turn's microtasks (Promise.all of invocations, one request's work) join the batch
    queueMicrotask(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.sending = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const batch = this.queue.splice(0, nextBatchSize(this.queue));
        await this.send(batch);
      }
    } finally {
      this.sending = false;
    }
  }
}
