import { InvokeError } from './failures.js';

type Release = () => void;

interface Waiter {
  readonly resolve: (release: Release) => void;
  readonly reject: (error: Error) => void;
}

/**
 * At most `concurrency` holders at once; up to `queueLimit` more wait in FIFO order, and beyond that a caller is
 * refused at once with `overloaded` so back-pressure reaches the client instead of piling up in memory.
 */
export class ConcurrencyGate {
  private holders = 0;
  private readonly waiting: Waiter[] = [];
  private closedWith?: () => Error;

  constructor(
    private readonly concurrency: number,
    private readonly queueLimit: number,
    /** The error a caller gets when the queue is full (other seams name their own overload code). */
    private readonly refuse: (running: number, waiting: number) => Error = (running, waiting) =>
      new InvokeError('overloaded', `${running} calls are running and ${waiting} are waiting; retry later`),
  ) {}

  get running(): number {
    return this.holders;
  }

  get queued(): number {
    return this.waiting.length;
  }

  acquire(): Promise<Release> {
    if (this.closedWith) return Promise.reject(this.closedWith());
    if (this.holders < this.concurrency) {
      this.holders++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.queueLimit) {
      return Promise.reject(this.refuse(this.concurrency, this.waiting.length));
    }
    return new Promise<Release>((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Refuses new callers and fails the waiting ones; holders finish normally. */
  close(reason: () => Error): void {
    this.closedWith = reason;
    for (const waiter of this.waiting.splice(0)) waiter.reject(reason());
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // the slot passes straight to the next waiter, so a newcomer cannot overtake the queue
      if (next) next.resolve(this.releaser());
      else this.holders--;
    };
  }
}
