import { LifecycleService } from '@seed/health';
import { DataSource } from 'typeorm';
import { request, startTestApp, TestApp, eventually } from './harness';
import { PrivatePostgres, startPrivatePostgres } from './support/postgres';
import { PrivateRedis, startPrivateRedis } from './support/redis';

describe('foundation: health, readiness, deep checks and metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN: 'metrics-secret-123' });
  });
  afterAll(() => t?.close());

  it('answers liveness with status and VERSION, without a token', async () => {
    const res = await t.request('GET', '/health', undefined, { role: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', version: t.config.version });
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('is ready once booted', async () => {
    const res = await t.request('GET', '/health/ready', undefined, { role: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', version: t.config.version, degraded: [] });
  });

  it('checks every dependency deeply', async () => {
    const res = await t.request('GET', '/health/deep', undefined, { role: 'viewer' });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.details).sort()).toEqual(['disk', 'memory', 'postgres', 'queue', 'redis']);
    expect(res.body.details.queue).toMatchObject({ status: 'up', depth: 0 });
  });

  it('serves Prometheus metrics behind METRICS_TOKEN, labelled by route template', async () => {
    await t.request('GET', '/modules/some-module', undefined, { role: 'viewer' });
    expect((await t.request('GET', '/metrics', undefined, { role: null })).status).toBe(401);
    const res = await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer metrics-secret-123' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const name of [
      'process_cpu_seconds_total',
      'seed_agent_hot_reload_queue_depth 0',
      'seed_agent_cluster_nodes 1',
      'seed_agent_http_request_duration_seconds_bucket',
      'seed_agent_hot_reload_results_total',
      'seed_agent_loaded_versions',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toContain('route="/modules/:name"');
    expect(text).not.toContain('route="/modules/some-module"');
  });

  it('has entities that match the migrated schema (migration:generate would find nothing)', async () => {
    const pending = await t.app.get(DataSource).driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('turns readiness to 503 as soon as shutdown starts', async () => {
    const other = await startTestApp();
    const lifecycle = other.app.get(LifecycleService);
    const closing = other.close();
    // shutdown marks the node first; the HTTP server closes last, so this request must get an answer
    await eventually(
      () => (lifecycle.phase === 'shutting_down' ? true : undefined),
      5000,
      'shutdown to start',
      1,
    );
    const res = await request(other.url, 'GET', '/health/ready', undefined, { role: null });
    expect(res.status).toBe(503);
    await closing;
  });
});

describe('foundation: a Redis outage', () => {
  let redis: PrivateRedis;
  let t: TestApp;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    t = await startTestApp({ REDIS_URL: redis.url, HEALTH_CHECK_TIMEOUT: '500' });
  });
  afterAll(async () => {
    await redis?.start();
    await t?.close();
    await redis?.dispose();
  });

  it('fails /health/deep naming redis while /health/ready stays 200 (degraded), and both recover', async () => {
    await redis.stop();
    const deep = await eventually(async () => {
      const res = await t.request('GET', '/health/deep', undefined, { role: 'viewer' });
      return res.status === 503 ? res : undefined;
    });
    expect(deep.body.error).toHaveProperty('redis');
    expect(deep.body.error.redis.status).toBe('down');
    expect(deep.body.details.postgres.status).toBe('up');
    const ready = await t.request('GET', '/health/ready', undefined, { role: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'degraded', degraded: ['redis'] });

    await redis.start();
    await eventually(async () =>
      (await t.request('GET', '/health/deep', undefined, { role: 'viewer' })).status === 200
        ? true
        : undefined,
    );
    const recovered = await t.request('GET', '/health/ready', undefined, { role: null });
    expect(recovered.body).toMatchObject({ status: 'ok', degraded: [] });
  });

  it('loses no submission made while Redis is down: it is enqueued once Redis is back', async () => {
    await redis.stop();
    const created = await t.request('POST', '/modules', {
      name: 'during-outage',
      source: 'export default (n: number) => n - 1;',
      tests: [{ name: 'one', input: 1, expect: 0 }],
    });
    expect(created.status).toBe(201);
    await redis.start();
    await eventually(
      async () =>
        (await t.request('GET', '/modules/during-outage')).body.activeVersionId ? true : undefined,
      30_000,
      'the submission to go live after the outage',
    );
    expect((await t.request('POST', '/modules/during-outage/invoke', { input: 10 })).body.output).toBe(9);
  }, 60_000);
});

describe('foundation: a PostgreSQL outage', () => {
  let postgres: PrivatePostgres;
  let t: TestApp;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    t = await startTestApp(
      { HEALTH_CHECK_TIMEOUT: '500' },
      { database: { name: 'postgres', url: postgres.url, drop: async () => undefined } },
    );
  }, 60_000);
  afterAll(async () => {
    await postgres?.start().catch(() => undefined);
    await t?.close();
    await postgres?.dispose();
  });

  it('keeps serving loaded versions, reports postgres as degraded, and recovers', async () => {
    const created = await t.request('POST', '/modules', {
      name: 'steady',
      source: 'export default (n: number) => n * 3;',
      tests: [],
    });
    await eventually(async () =>
      (await t.request('POST', '/modules/steady/invoke', { input: 2 })).status === 200 ? true : undefined,
    );

    await postgres.stop();
    const deep = await eventually(async () => {
      const res = await t.request('GET', '/health/deep', undefined, { role: 'viewer' });
      return res.status === 503 ? res : undefined;
    });
    expect(deep.body.error).toHaveProperty('postgres');
    expect(deep.body.details.redis.status).toBe('up');
    const ready = await t.request('GET', '/health/ready', undefined, { role: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'degraded', degraded: ['postgres'] });
    // the loaded version needs no database to answer
    const invoked = await t.request('POST', '/modules/steady/invoke', { input: 5 });
    expect(invoked.body).toEqual({ output: 15, versionId: created.body.versionId });
    // what needs the database fails with a clear 5xx, not a hang
    const listed = await t.request('GET', '/modules');
    expect(listed.status).toBe(503);
    expect(listed.body.error.code).toBe('unavailable');

    await postgres.start();
    await eventually(
      async () =>
        (await t.request('GET', '/health/deep', undefined, { role: 'viewer' })).status === 200
          ? true
          : undefined,
      20_000,
    );
    expect((await t.request('GET', '/modules')).status).toBe(200);
  }, 60_000);
});
