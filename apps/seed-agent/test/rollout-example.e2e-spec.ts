import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestApp, TestApp, TOKENS } from './harness';

const run = promisify(execFile);

/** docs/rollouts.md's worked example, run as a reader would run it, against a real app. */
describe('docs/examples/rollout.sh', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ROLLOUT_REPORT_INTERVAL: '200', ROLLOUT_ANALYSIS_INTERVAL: '200' });
  });
  afterAll(() => t?.close());

  it('rolls a candidate out to promotion, printing the decisions and stats', async () => {
    const { stdout } = await run('bash', [join(__dirname, '../../../docs/examples/rollout.sh')], {
      env: { PATH: process.env.PATH, SEED_URL: t.url, SEED_TOKEN: TOKENS.admin, MODULE: 'greeter' },
      timeout: 120_000,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      // the script's own output says where it stopped
      throw new Error(`${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    });
    expect(stdout).toMatch(/^rollout started at 25 %$/m);
    expect(stdout).toMatch(/^user-7 stays on [0-9a-f-]{36}$/m);
    expect(stdout).toMatch(/"output":"Hello, pinned"/);
    expect(stdout).toMatch(/^rollout promoted$/m);
    expect(stdout).toContain('"verdict":"advance","reason":"healthy","action":"advance"');
    expect(stdout).toContain('"verdict":"promote","reason":"healthy","action":"promote"');
    const active = await t.request('GET', '/modules/greeter/activations');
    expect(active.body.items[0].reason).toBe('rollout');
  }, 150_000);
});
