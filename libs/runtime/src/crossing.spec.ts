import { batchOutcome, Crossing, nextBatchSize, type BatchProgress } from './crossing.js';

const progress = (over: Partial<BatchProgress>): BatchProgress => ({
  size: 4,
  started: 4,
  loopDone: true,
  failed: false,
  lastReported: true,
  lastAwaitingHost: false,
  ...over,
});

describe('nextBatchSize', () => {
  it('takes every waiting call, up to the first that must go alone, which goes alone', () => {
    const call = (solo: boolean) => ({ solo });
    expect(nextBatchSize([])).toBe(0);
    expect(nextBatchSize([call(false), call(false), call(false)])).toBe(3);
    expect(nextBatchSize([call(false), call(false), call(true), call(false)])).toBe(2);
    expect(nextBatchSize([call(true), call(false)])).toBe(1);
  });
});

describe('batchOutcome', () => {
  it('charges nobody when the task succeeded; the calls it did not start go again', () => {
    expect(batchOutcome(progress({ started: 2 }))).toEqual({ started: 2 });
  });

  it('charges the call whose synchronous part was running, whatever it waits on', () => {
    const failed = { failed: true, loopDone: false, lastReported: false };
    expect(batchOutcome(progress({ ...failed, started: 3 }))).toEqual({ started: 3, running: 2 });
    expect(batchOutcome(progress({ ...failed, started: 1, lastAwaitingHost: true }))).toEqual({
      started: 1,
      running: 0,
    });
  });

  it('charges the last started call in the microtasks, unless it waits on the host', () => {
    const failed = { failed: true, loopDone: true, lastReported: false, started: 2 };
    expect(batchOutcome(progress(failed))).toEqual({ started: 2, running: 1 });
    expect(batchOutcome(progress({ ...failed, lastAwaitingHost: true }))).toEqual({ started: 2 });
  });

  it('charges nobody when every started call had reported: what ran was left behind by a finished call', () => {
    expect(batchOutcome(progress({ failed: true, started: 3 }))).toEqual({ started: 3 });
  });

  it('treats a failure before the first call as nobody running and nothing started', () => {
    expect(batchOutcome(progress({ failed: true, started: 0, lastReported: false }))).toEqual({ started: 0 });
  });

  it('never trusts the progress count beyond the batch', () => {
    expect(batchOutcome(progress({ started: 99 })).started).toBe(4);
    expect(batchOutcome(progress({ started: -3 })).started).toBe(0);
    expect(batchOutcome(progress({ started: Number.NaN })).started).toBe(0);
  });
});

describe('Crossing', () => {
  type Call = { solo: boolean; n: number };

  it('sends the calls of one turn in one crossing, and those that came meanwhile in the next', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const crossing = new Crossing<Call>(async (batch) => {
      batches.push(batch.map((c) => c.n));
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    for (const n of [1, 2, 3]) crossing.submit({ solo: false, n });
    await new Promise((resolve) => setImmediate(resolve));
    crossing.submit({ solo: false, n: 4 });
    crossing.submit({ solo: true, n: 5 });
    crossing.submit({ solo: false, n: 6 });
    expect(batches).toEqual([[1, 2, 3]]);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2, 3], [4], [5], [6]]);
  });

  it('puts calls back at the head, takes back unsent ones, and hands the waiting ones back when closed', async () => {
    const batches: number[][] = [];
    const crossing = new Crossing<Call>(async (batch) => {
      batches.push(batch.map((c) => c.n));
    });
    const kept = { solo: false, n: 2 };
    crossing.submit({ solo: false, n: 1 });
    crossing.submit(kept);
    expect(crossing.withdraw(kept)).toBe(true);
    expect(crossing.withdraw(kept)).toBe(false);
    crossing.requeue([{ solo: false, n: 0 }]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[0, 1]]);
    crossing.submit({ solo: false, n: 7 });
    expect(crossing.close().map((c) => c.n)).toEqual([7]);
    expect(() => crossing.submit({ solo: false, n: 8 })).toThrow('closed');
  });
});
