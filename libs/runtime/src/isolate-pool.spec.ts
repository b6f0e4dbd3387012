import { IsolatePool } from './isolate-pool.js';

describe('IsolatePool', () => {
  it('keeps blank isolates ready and refills after each take', async () => {
    const pool = new IsolatePool({ size: 2, memoryMb: 16 });
    try {
      await pool.filled();
      expect(pool.available).toBe(2);
      const blank = pool.take(16);
      expect(blank?.isolate.isDisposed).toBe(false);
      expect(pool.available).toBe(1);
      await pool.filled();
      expect(pool.available).toBe(2);
      expect(pool.stats).toEqual({ taken: 1, missed: 0 });
      blank?.isolate.dispose();
    } finally {
      pool.close();
    }
  });

  it('serves only its own memory limit, and nothing once closed', async () => {
    const pool = new IsolatePool({ size: 1, memoryMb: 16 });
    await pool.filled();
    expect(pool.take(32)).toBeUndefined();
    pool.close();
    expect(pool.available).toBe(0);
    expect(pool.take(16)).toBeUndefined();
  });

  it('does nothing with size 0', async () => {
    const pool = new IsolatePool({ size: 0, memoryMb: 16 });
    await pool.filled();
    expect(pool.take(16)).toBeUndefined();
    expect(pool.stats).toEqual({ taken: 0, missed: 1 });
    pool.close();
  });
});
