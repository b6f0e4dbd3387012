import { createBlankSandbox, type BlankSandbox } from './sandbox.js';

export interface IsolatePoolOptions {
  /** how many blank isolates to keep ready; 0 disables the pool */
  readonly size: number;
  /** memory limit of the pooled isolates: only versions loaded with this limit take from the pool */
  readonly memoryMb: number;
}

/**
 * Keeps a few isolates (context and harness ready, no module) so activation only compiles and runs the module.
 * Refilled in the background after each take.
 */
export class IsolatePool {
  private readonly ready: BlankSandbox[] = [];
  private filling?: Promise<void>;
  private scheduled = false;
  private closed = false;
  private counts = { taken: 0, missed: 0 };

  constructor(private readonly options: IsolatePoolOptions) {
    this.schedule();
  }

  get available(): number {
    return this.ready.length;
  }

  /** takes served from the pool, and takes that found it empty (a sign the pool is too small) */
  get stats(): { readonly taken: number; readonly missed: number } {
    return { ...this.counts };
  }

  /** A blank isolate with this memory limit, or undefined (empty pool, other limit): the caller creates its own. */
  take(memoryMb: number): BlankSandbox | undefined {
    if (this.closed || memoryMb !== this.options.memoryMb) return undefined;
    const blank = this.ready.shift();
    this.counts[blank ? 'taken' : 'missed']++;
    this.schedule();
    return blank;
  }

  /** Resolves once the pool is full (or a fill attempt failed); for boot warm-up and tests. */
  async filled(): Promise<void> {
    if (this.closed || this.ready.length >= this.options.size) return;
    await this.startFill();
  }

  close(): void {
    this.closed = true;
    for (const blank of this.ready.splice(0)) if (!blank.isolate.isDisposed) blank.isolate.dispose();
  }

  onApplicationShutdown(): void {
    this.close();
  }

  private schedule(): void {
    if (this.closed || this.scheduled || this.filling || this.ready.length >= this.options.size) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.startFill();
    });
  }

  private startFill(): Promise<void> {
    // cleared in a later microtask, never before it is set, even when fill() has nothing to await; a take that
    // came while the last fill was finishing is caught by the schedule() after it
    this.filling ??= this.fill().then((succeeded) => {
      this.filling = undefined;
      if (succeeded) this.schedule();
    });
    return this.filling;
  }

  /** False when creating an isolate failed: the next take tries again, rather than a retry loop. */
  private async fill(): Promise<boolean> {
    try {
      while (!this.closed && this.ready.length < this.options.size) {
        const blank = await createBlankSandbox(this.options.memoryMb);
        if (this.closed) blank.isolate.dispose();
        else this.ready.push(blank);
      }
      return true;
    } catch {
      return false;
    }
  }
}
