import { eventually, settledVersion, startTestApp, TestApp } from './harness';
import { PrivatePostgres, startPrivatePostgres } from './support/postgres';

/** kv while PostgreSQL is down: its calls fail typed, and modules without kv keep serving. */
describe('capabilities: a PostgreSQL outage', () => {
  let postgres: PrivatePostgres;
  let t: TestApp;

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    t = await startTestApp(
      { KV_TIMEOUT: '1000', RECONCILE_INTERVAL: '600000', HEALTH_CHECK_TIMEOUT: '500' },
      { database: { name: 'postgres', url: postgres.url, drop: async () => undefined } },
    );
    const modules = {
      remembers: {
        source:
          "export default async (n: number, ctx: any) => { await ctx.kv.set('n', n); return ctx.kv.get('n'); };",
        settings: { capabilities: { kv: {} } },
      },
      pure: { source: 'export default (n: number) => n * 2;', settings: {} },
    };
    for (const [name, { source, settings }] of Object.entries(modules)) {
      const res = await t.request('POST', '/modules', { name, source, tests: [], settings });
      expect((await settledVersion(t, name, res.body.versionId)).status).toBe('active');
    }
  }, 60_000);
  afterAll(async () => {
    await postgres?.start().catch(() => undefined);
    await t?.close();
    await postgres?.dispose();
  });

  it('fails kv calls with capability_unavailable (503) while modules without kv keep serving', async () => {
    expect((await t.request('POST', '/modules/remembers/invoke', { input: 1 })).body.output).toBe(1);
    await postgres.stop();
    const down = await t.request('POST', '/modules/remembers/invoke', { input: 2 });
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('capability_unavailable');
    expect((await t.request('POST', '/modules/pure/invoke', { input: 21 })).body.output).toBe(42);
    await postgres.start();
    await eventually(
      async () => {
        const res = await t.request('POST', '/modules/remembers/invoke', { input: 3 });
        return res.status === 200 ? res.body.output : undefined;
      },
      20_000,
      'kv to answer again',
    );
  });
});
