import { connect } from 'node:net';
import { ClusterBus } from '@seed/cluster';
import { EventStreams } from '../src/http/sse';
import { eventually, startTestApp, TestApp, TOKENS } from './harness';
import { openEventStream } from './support/event-stream';

const V1 = 'export default (input: { n: number }) => input.n * 2;';
const NO_VERSION = '00000000-0000-0000-0000-000000000000';

const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe('hostile callers: refusals, parsing and public routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      RATE_LIMIT_PER_MINUTE: '1',
      RATE_LIMIT_BURST: '5',
      RATE_LIMIT_PUBLIC_PER_MINUTE: '1',
      RATE_LIMIT_PUBLIC_BURST: '4',
    });
  });
  afterAll(() => t?.close());

  it('charges refused requests to the rate limit and counts them into one audit row', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const body = { versionId: NO_VERSION };
      statuses.push((await t.request('POST', '/modules/x/activate', body, { role: 'viewer' })).status);
    }
    expect(statuses).toEqual([403, 403, 403, 403, 403, 429, 429, 429]);
    const audit = await t.request('GET', '/audit?limit=200');
    const rows = audit.body.items.filter(
      (r: { actor: string; action: string }) => r.actor === 'viewer:viewer' && r.action === 'activate',
    );
    // One row per minute: two only when the refusals straddled a minute boundary.
    expect(rows.length).toBeLessThanOrEqual(2);
    expect(rows.reduce((sum: number, r: { count: number }) => sum + r.count, 0)).toBe(5);
    expect(rows[0]).toMatchObject({ outcome: 'forbidden', target: 'x' });
  });

  it('checks the token and the role before reading a body', async () => {
    const send = (method: string, body: string | undefined, token?: string) =>
      fetch(`${t.url}/modules/x`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body,
      });
    // Fastify would refuse both bodies with 400 before any Nest guard ran.
    const anonymous = await send('DELETE', undefined);
    expect([anonymous.status, await errorCode(anonymous)]).toEqual([401, 'unauthorized']);
    const agent = await send('DELETE', undefined, TOKENS.agent);
    expect([agent.status, await errorCode(agent)]).toEqual([403, 'forbidden']);
    expect((await send('PATCH', '{not json', TOKENS.agent)).status).toBe(403);
  });

  it('rate-limits public routes per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${t.url}/health`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const limited = await t.request('GET', '/metrics', undefined, { role: null });
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

describe('hostile callers: idempotency keys, health detail, streams', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      EVENTS_HEARTBEAT: '60000',
      EVENTS_MAX_STREAMS_PER_TOKEN: '2',
      EVENTS_MAX_STREAMS: '3',
      EVENTS_MAX_BUFFER_BYTES: '1048576',
      EVENTS_MAX_EVENT_BYTES: '300000',
    });
  });
  afterAll(() => t?.close());

  it('scopes Idempotency-Keys by actor and binds them to the body', async () => {
    expect((await t.request('POST', '/modules', { name: 'idem', source: V1 })).status).toBe(201);
    const submit = (source: string, role: 'admin' | 'agent') =>
      t.request(
        'POST',
        '/modules/idem/versions',
        { source },
        { role, headers: { 'idempotency-key': 'job-1:1' } },
      );
    const agentSource = V1.replace('* 2', '+ input.n');
    const adminSource = V1.replace('* 2', '* 1 * 2');
    const byAgent = await submit(agentSource, 'agent');
    expect(byAgent.status).toBe(202);
    const byAdmin = await submit(adminSource, 'admin');
    expect(byAdmin.status).toBe(202);
    expect(byAdmin.body.versionId).not.toBe(byAgent.body.versionId);
    const stored = await t.request('GET', `/modules/idem/versions/${byAdmin.body.versionId}`);
    expect(stored.body).toMatchObject({ source: adminSource, author: 'admin:admin' });
    // the same request again is a replay; the same key with another body a conflict
    expect((await submit(adminSource, 'admin')).body).toEqual(byAdmin.body);
    expect((await submit(agentSource, 'agent')).body).toEqual(byAgent.body);
    const conflict = await submit(V1, 'agent');
    expect([conflict.status, conflict.body.error.code]).toEqual([409, 'idempotency_conflict']);
  });

  it('shows /health/deep detail only to a valid token', async () => {
    const anonymous = await t.request('GET', '/health/deep', undefined, { role: null });
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ status: 'ok' });
    const wrong = await fetch(`${t.url}/health/deep`, { headers: { authorization: 'Bearer wrong' } });
    expect(await wrong.json()).toEqual({ status: 'ok' });
    const viewer = await t.request('GET', '/health/deep', undefined, { role: 'viewer' });
    expect(viewer.body.details).toHaveProperty('postgres');
  });

  it('caps streams per token and in total, and refuses HEAD /events', async () => {
    const url = `${t.url}/events`;
    const open = [await openEventStream(url, TOKENS.viewer), await openEventStream(url, TOKENS.viewer)];
    expect(open.map((s) => s.status)).toEqual([200, 200]);
    const refused = async (token: string) => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      return [res.status, await errorCode(res)];
    };
    expect(await refused(TOKENS.viewer)).toEqual([429, 'too_many_streams']);
    open.push(await openEventStream(url, TOKENS.agent));
    expect(open[2].status).toBe(200);
    expect(await refused(TOKENS.admin)).toEqual([429, 'too_many_streams']);
    await open.shift()!.close();
    await eventually(async () => (t.app.get(EventStreams).size === 2 ? true : undefined));
    open.push(await openEventStream(url, TOKENS.viewer));
    expect(open[2].status).toBe(200);
    for (const stream of open) await stream.close();

    const head = await fetch(url, { method: 'HEAD', headers: { authorization: `Bearer ${TOKENS.admin}` } });
    expect([head.status, head.headers.get('allow')]).toEqual([405, 'GET']);
  });

  it('sends an oversized event as a preview', async () => {
    const stream = await openEventStream(`${t.url}/events`, TOKENS.viewer);
    await eventually(async () => (stream.events.some((e) => e.type === 'ready') ? true : undefined));
    await t.app.get(ClusterBus).publish({
      type: 'version.rejected',
      module: 'big',
      versionId: 'v1',
      stage: 'test',
      diagnostics: [{ stage: 'test', message: 'x'.repeat(400_000) }],
    });
    const event = await eventually(async () => stream.events.find((e) => e.type === 'version.rejected'));
    expect(event.data).toMatchObject({ module: 'big', versionId: 'v1', truncated: true });
    expect(event.data.bytes).toBeGreaterThan(400_000);
    expect(event.data).not.toHaveProperty('diagnostics');
    await stream.close();
  });

  it('disconnects a reader that stops reading once its buffer passes the bound, and keeps the others', async () => {
    const streams = t.app.get(EventStreams);
    await eventually(async () => (streams.size === 0 ? true : undefined));
    const reader = await openEventStream(`${t.url}/events`, TOKENS.viewer);
    const { port } = new URL(t.url);
    const idle = connect(Number(port), '127.0.0.1');
    idle.write(`GET /events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKENS.admin}\r\n\r\n`);
    idle.pause(); // never reads: the kernel's buffers fill, then the server's
    await eventually(async () => (streams.size === 2 ? true : undefined));
    const bus = t.app.get(ClusterBus);
    const diagnostics = [{ stage: 'test' as const, message: 'y'.repeat(250_000) }];
    // At most ~100 MB: far past any socket buffer, so the bound is what ends the idle stream.
    for (let i = 0; i < 400 && streams.size === 2; i++) {
      await bus.publish({
        type: 'version.rejected',
        module: 'flood',
        versionId: `v${i}`,
        stage: 'test',
        diagnostics,
      });
    }
    await eventually(async () => (streams.size === 1 ? true : undefined));
    expect(reader.events.filter((e) => e.type === 'version.rejected').length).toBeGreaterThan(0);
    idle.destroy();
    await reader.close();
  });
});
