import Redis from 'ioredis';
import { startPrivateRedis, uniquePrefix, type PrivateRedis } from './redis.js';

describe('startPrivateRedis', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(() => redis.dispose());

  it('can be stopped and started again on the same port, keeping its data', async () => {
    expect(redis.port).not.toBe(6379);
    const prefix = uniquePrefix('outage');
    const client = new Redis(redis.url, {
      keyPrefix: `${prefix}:`,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 50,
    });
    const errors: string[] = [];
    client.on('error', (error: Error) => errors.push(error.message));
    try {
      await client.set('k', 'v');

      await redis.stop();
      await expect(client.get('k')).rejects.toThrow();
      expect(errors.some((m) => /ECONNREFUSED/.test(m))).toBe(true);

      await redis.start();
      await redis.start(); // idempotent while running
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      await expect(client.get('k')).resolves.toBe('v'); // the same client reconnects to the same port

      await redis.restartEmpty();
      await expect(client.get('k')).resolves.toBeNull(); // same port, nothing kept
    } finally {
      client.disconnect();
    }
  });
});

describe('uniquePrefix', () => {
  it('is different on every call and safe as a key prefix', () => {
    const a = uniquePrefix('queue/jobs');
    expect(a).not.toBe(uniquePrefix('queue/jobs'));
    expect(a).toMatch(/^test-queue-jobs-\d+-[0-9a-f]{6}$/);
  });
});
