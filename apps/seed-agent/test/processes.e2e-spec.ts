import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataSourceOptions } from '@seed/persistence';
import { Client } from './support/pg';
import { getFreePort } from '../src/embedded/free-port';
import { ensureBuilt } from './ensure-built';
import { API_TOKENS, eventually, request, SHARED_REDIS_URL } from './harness';
import { createTestDatabase } from './support/databases';
import { AppProcess, spawnApp } from './support/processes';
import { uniquePrefix } from './support/redis';

/** The built app as its own process: what `npm start` runs. */
describe('the app as a process', () => {
  const started: AppProcess[] = [];
  const spawn = (env: Record<string, string>) => {
    const app = spawnApp({ env: { LOG_LEVEL: 'info', ...env } });
    started.push(app);
    return app;
  };

  beforeAll(() => ensureBuilt(), 180_000);
  afterEach(async () => {
    await Promise.all(started.splice(0).map((app) => app.stop('SIGKILL')));
  });

  it('reports every invalid variable at once and exits 1', async () => {
    const app = spawn({
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'http://nope',
      CLUSTER_POLL_INTERVAL: '-1',
    });
    expect((await app.exited).code).toBe(1);
    const output = app.lines.map((l) => l.text).join('\n');
    for (const name of ['PORT', 'LOG_LEVEL', 'REDIS_URL', 'CLUSTER_POLL_INTERVAL'])
      expect(output).toContain(`${name}:`);
  });

  it('without REDIS_URL and without redis-server, says how to install it or set REDIS_URL, and exits 1', async () => {
    const db = await createTestDatabase();
    try {
      const app = spawn({
        DATABASE_URL: db.url,
        PATH: '/nonexistent',
        DATA_DIR: mkdtempSync(join(tmpdir(), 'seed-noredis-')),
      });
      expect((await app.exited).code).toBe(1);
      const output = app.lines.map((l) => l.text).join('\n');
      expect(output).toMatch(/apt-get install redis-server/);
      expect(output).toMatch(/REDIS_URL/);
    } finally {
      await db.drop();
    }
  });

  it('three nodes starting together on one empty database migrate exactly once', async () => {
    const db = await createTestDatabase();
    try {
      const nodes = [1, 2, 3].map((n) =>
        spawn({
          DATABASE_URL: db.url,
          REDIS_URL: SHARED_REDIS_URL,
          REDIS_PREFIX: uniquePrefix('migrate'),
          HTTP_SERVER_ENABLED: 'false',
          NODE_NAME: `node-${n}`,
          API_TOKENS,
          DATA_DIR: mkdtempSync(join(tmpdir(), 'seed-migrate-')),
        }),
      );
      await Promise.all(
        nodes.map((node) => node.waitForLine(/applied migrations|schema is up to date/, 60_000)),
      );
      const lines = nodes.flatMap((node) => node.lines.map((l) => l.text));
      expect(lines.filter((l) => /applied migrations: InitialSchema/.test(l))).toHaveLength(1);
      expect(lines.filter((l) => /schema is up to date/.test(l))).toHaveLength(2);
      const client = new Client(db.url);
      await client.connect();
      const { rows } = await client.query('SELECT name FROM migrations');
      await client.end();
      const all = dataSourceOptions(db.url).migrations as Array<{ name: string }>;
      expect(rows.map((r) => r.name)).toEqual(all.map((m) => m.name));
      const codes = await Promise.all(nodes.map((node) => node.stop('SIGTERM')));
      expect(codes).toEqual([0, 0, 0]);
    } finally {
      await db.drop();
    }
  }, 90_000);

  it('starts on embedded defaults with nothing configured, and keeps its data across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'seed-embedded-'));
    try {
      const port = await getFreePort();
      const base = `http://127.0.0.1:${port}`;
      const env = { DATA_DIR: dataDir, PORT: String(port) };
      const first = spawn(env);
      await first.waitForHttp(`${base}/health/deep`, 60_000);
      await first.waitForLine(/postgres: embedded PGlite/);
      await first.waitForLine(/redis: embedded redis-server/);
      const tokenFile = join(dataDir, 'admin-token');
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
      const secret = readFileSync(tokenFile, 'utf8').trim();
      // Once, on the terminal (stderr), never in the log (stdout)
      expect(first.lines.filter((l) => l.text.includes(secret))).toEqual([
        { stream: 'stderr', text: expect.stringContaining('shown once') },
      ]);
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      const auth = { authorization: `Bearer ${secret}` };
      const created = await fetch(`${base}/modules`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'double',
          source: 'export default (n: number) => n * 2;',
          tests: [{ name: 'two', input: 2, expect: 4 }],
        }),
      });
      expect(created.status).toBe(201);
      const invoke = () =>
        fetch(`${base}/modules/double/invoke`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ input: 21 }),
        });
      await eventually(async () => ((await invoke()).status === 200 ? true : undefined));
      // request logs appear on Fastify, each with its request id (invocations only when they fail)
      const requestLog = await first.waitForLine(/request completed.*"method":"POST","url":"\/modules"/);
      expect(requestLog).toMatch(/"req":\{"id":"[0-9a-f-]{36}"/);
      const failed = await fetch(`${base}/modules/nope/invoke`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ input: 1 }),
      });
      expect(failed.status).toBe(404);
      await first.waitForLine(
        new RegExp(`request ${failed.headers.get('x-request-id')}: POST /modules/nope/invoke answered 404`),
      );
      expect(await first.stop('SIGTERM')).toBe(0);

      const second = spawn(env);
      await second.waitForHttp(`${base}/health/ready`, 60_000);
      expect(second.lines.some((l) => /applied migrations/.test(l.text))).toBe(false);
      expect(second.lines.some((l) => /shown once/.test(l.text))).toBe(false);
      expect(await (await invoke()).json()).toMatchObject({ output: 42 });
      expect(await second.stop('SIGTERM')).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('finishes a job exactly once after the node running it dies', async () => {
    const db = await createTestDatabase();
    const port = await getFreePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: SHARED_REDIS_URL,
      REDIS_PREFIX: uniquePrefix('crash'),
      PORT: String(port),
      API_TOKENS,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'seed-crash-')),
      PIPELINE_LOCK_DURATION: '2000',
      PIPELINE_STALLED_INTERVAL: '1000',
    };
    try {
      const first = spawn(env);
      await first.waitForHttp(`${base}/health/ready`, 30_000);
      // Each case burns ~300 ms of CPU, so the test stage lasts seconds: time to kill the node mid-job.
      const slow =
        'export default (n: number) => { const end = Date.now() + 300; while (Date.now() < end) {} return n; };';
      const tests = Array.from({ length: 12 }, (_, i) => ({ name: `case-${i}`, input: i, expect: i }));
      const created = await request(base, 'POST', '/modules', { name: 'slow', source: slow, tests });
      expect(created.status).toBe(201);
      const jobId = created.body.jobId;
      await eventually(async () => {
        const job = await request(base, 'GET', `/jobs/${jobId}`);
        return job.body.state === 'active' && job.body.stage === 'test' ? true : undefined;
      });
      await first.stop('SIGKILL');

      const second = spawn(env);
      await second.waitForHttp(`${base}/health/ready`, 30_000);
      const done = await eventually(
        async () => {
          const job = await request(base, 'GET', `/jobs/${jobId}`);
          return job.body.state === 'completed' ? job.body : undefined;
        },
        30_000,
        'the job to complete after the restart',
      );
      expect(done.result).toMatchObject({ status: 'active', activated: true });
      const client = new Client(db.url);
      await client.connect();
      const versions = await client.query('SELECT status FROM module_versions');
      const activations = await client.query('SELECT to_version_id FROM activations');
      await client.end();
      expect(versions.rows).toEqual([{ status: 'active' }]);
      expect(activations.rows).toEqual([{ to_version_id: jobId }]);
      expect((await request(base, 'POST', '/modules/slow/invoke', { input: 7 })).body.output).toBe(7);
    } finally {
      await Promise.all(started.splice(0).map((app) => app.stop('SIGKILL')));
      await db.drop();
      rmSync(env.DATA_DIR, { recursive: true, force: true });
    }
  }, 90_000);
});
