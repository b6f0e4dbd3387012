/* eslint-disable no-control-regex -- the test looks for control characters */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestApp, TestApp, TOKENS } from '../../seed-agent/test/harness';
import { runCli } from './run-cli';

const V1 = 'export default (input: { name: string }) => ({ text: `Hello, ${input.name}` });';
const V2 = 'export default (input: { name: string }) => ({ text: `Hello, ${input.name}` + "" });';
const BROKEN = 'export default (input: unknown) => {\n  return { broken: ;\n};';
const TESTS = [{ name: 'greets Ada', input: { name: 'Ada' }, expect: { text: 'Hello, Ada' } }];

// Each step spawns the CLI as its own Node process: on a loaded 2-core machine a long scenario needs more than
// the default minute.
jest.setTimeout(180_000);

describe('seed-agent CLI against the real app', () => {
  let t: TestApp;
  let dir: string;
  let env: Record<string, string>;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const cli = (args: string[], extra: { env?: Record<string, string>; input?: string } = {}) =>
    runCli(args, { input: extra.input, env: { ...env, ...extra.env } });

  beforeAll(async () => {
    t = await startTestApp();
    dir = mkdtempSync(join(tmpdir(), 'seed-cli-'));
    env = { SEED_AGENT_URL: t.url, SEED_AGENT_TOKEN: TOKENS.admin, XDG_CONFIG_HOME: join(dir, 'config') };
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a module, pushes with --watch (0 on activation, 1 on rejection), diffs and rolls back', async () => {
    const created = await cli([
      '--json',
      'modules',
      'create',
      'greet',
      '--source',
      file('v1.ts', V1),
      '--tests',
      file('tests.json', JSON.stringify(TESTS)),
    ]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const v1 = JSON.parse(created.stdout);
    expect(v1).toMatchObject({ seq: 1, status: 'active' });

    const pushed = await cli(['push', file('v2.ts', V2), '--module', 'greet', '--activate', '--watch']);
    expect(pushed.code).toBe(0);
    expect(pushed.stderr).toMatch(/submitted greet@2/);
    expect(pushed.stderr).toMatch(/… compil/);
    expect(pushed.stdout).toMatch(/^greet@2 active \(.+\)\s+score 1\/1/m);

    const rejected = await cli(['push', file('broken.ts', BROKEN), '-m', 'greet', '--activate', '--watch']);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/rejected at compile/);
    expect(rejected.stdout).toMatch(/^greet@3 rejected/m);
    expect(rejected.stdout).toMatch(/compile line 2:\d+: /);

    const rejectedJson = await cli(['--json', 'push', file('broken.ts', BROKEN), '-m', 'greet', '--watch']);
    expect(rejectedJson.code).toBe(1);
    expect(JSON.parse(rejectedJson.stdout)).toMatchObject({ seq: 4, status: 'rejected' });

    const diff = await cli(['versions', 'diff', 'greet', '2']);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('--- greet@1');
    expect(diff.stdout).toContain('+++ greet@2');
    expect(diff.stdout).toContain(
      '+export default (input: { name: string }) => ({ text: `Hello, ${input.name}` + "" });',
    );
    const against = await cli(['versions', 'diff', 'greet', 'latest', '@1']);
    expect(against.code).toBe(0);
    expect(against.stdout).toContain('--- greet@1');
    expect(against.stdout).toContain('+++ greet@4');
    const missing = await cli(['versions', 'show', 'greet', '99']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/version 99 does not exist/);
    const diffJson = JSON.parse((await cli(['--json', 'versions', 'diff', 'greet', '2'])).stdout);
    expect(diffJson).toMatchObject({ seq: 2, parentId: v1.id });

    const rollback = await cli(['--json', 'rollback', 'greet']);
    expect(rollback.code).toBe(0);
    expect(JSON.parse(rollback.stdout)).toMatchObject({ module: 'greet', activeVersionId: v1.id, seq: 1 });
    const invoked = JSON.parse(
      (await cli(['--json', 'invoke', 'greet', '--input', '{"name":"Bob"}'])).stdout,
    );
    expect(invoked).toEqual({ output: { text: 'Hello, Bob' }, versionId: v1.id });

    const list = JSON.parse((await cli(['--json', 'versions', 'ls', 'greet'])).stdout);
    expect(list.items.map((v: { seq: number; status: string }) => [v.seq, v.status])).toEqual([
      [4, 'rejected'],
      [3, 'rejected'],
      [2, 'retired'],
      [1, 'active'],
    ]);
    const activated = await cli(['activate', 'greet', '2']);
    expect(activated.code).toBe(0);
    expect(activated.stdout).toMatch(/greet activated: @2 /);
  });

  it('answers API errors with a message and a non-zero exit; --json errors parse', async () => {
    const missing = await cli(['--json', 'modules', 'show', 'nope']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error.code).toMatch(/not_found/);
    const viewer = await cli(['rollback', 'greet'], { env: { SEED_AGENT_TOKEN: TOKENS.viewer } });
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toMatch(/^seed-agent: /);
  });

  it('prints server text without terminal control sequences', async () => {
    const source = 'export default () => "\\x1b[2J";';
    const created = await t.request('POST', '/modules', { name: 'ansi', source, tests: [] });
    expect(created.status).toBe(201);
    const push = await t.request('POST', '/modules/ansi/versions', {
      source,
      rationale: 'evil \u001b]0;pwned\u0007 \u001b[31mred\u001b[0m \u009b2J done',
    });
    expect(push.status).toBe(202);
    const shown = await cli(['versions', 'show', 'ansi', push.body.versionId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('evil  red 2J done');
    expect(shown.stdout).not.toMatch(/[\u001b\u0007\u009b]/);
    const json = await cli(['--json', 'versions', 'show', 'ansi', push.body.versionId]);
    expect(json.stdout).not.toMatch(/[\u001b\u0007\u009b]/);
    expect(JSON.parse(json.stdout).rationale).toContain('\u009b2J');
  });

  it('tails events filtered by module and type', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI_JS } = await import('../../seed-agent/test/ensure-built');
    const child = spawn(process.execPath, [CLI_JS, 'events', '-m', 'greet', '-t', 'version.*', '-n', '2'], {
      env: { ...env, PATH: process.env.PATH ?? '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await eventually(
      () => (stderr.includes('listening') ? true : undefined),
      20_000,
      'the events tail to subscribe',
    );
    await t.request('POST', '/modules/ansi/versions', { source: V1 }); // another module: filtered out
    const submitted = await t.request('POST', '/modules/greet/versions', {
      source: `${V1}\n// tailed`,
      rationale: 'tail',
    });
    expect(submitted.status).toBe(202);
    expect(await closed).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`version\\.submitted greet ${submitted.body.versionId}`));
    expect(lines[1]).toMatch(/version\.stage greet/);
  });

  it('starts a rollout of a ready version, shows its weight, step and decisions, and aborts it', async () => {
    const tests = file('canary-tests.json', JSON.stringify(TESTS));
    expect(
      (await cli(['modules', 'create', 'canary', '--source', file('c1.ts', V1), '--tests', tests])).code,
    ).toBe(0);
    const ready = await cli(['--json', 'push', file('c2.ts', V2), '-m', 'canary']);
    expect(JSON.parse(ready.stdout)).toMatchObject({ seq: 2, status: 'ready' });

    // A long interval: no analysis decides during the test, only the abort below.
    const started = await cli([
      '--json',
      'rollout',
      'start',
      'canary',
      'latest',
      '--steps',
      '50,100',
      '--interval',
      '3600000',
    ]);
    expect(started.code).toBe(0);
    const rollout = JSON.parse(started.stdout);
    expect(rollout).toMatchObject({ status: 'running', step: 0, weight: 50, steps: [50, 100] });

    const status = await cli(['rollout', 'status', 'canary']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/running\s+\S+\s+50\s+1\/2 \(50 %\)/);

    const aborted = await cli(['--json', 'rollout', 'abort', 'canary']);
    expect(JSON.parse(aborted.stdout)).toMatchObject({ id: rollout.id, status: 'aborted', weight: 0 });
    const history = JSON.parse((await cli(['--json', 'rollout', 'status', 'canary'])).stdout);
    expect(history.items[0]).toMatchObject({ id: rollout.id, status: 'aborted', weight: 0 });
    expect(history.items[0].decisions).toEqual([
      expect.objectContaining({ step: 0, verdict: null, action: 'abort', reason: 'manual' }),
    ]);
    const text = await cli(['rollout', 'status', 'canary']);
    expect(text.stdout).toMatch(/aborted\s+/);
    expect(text.stdout).toMatch(/ at 50 %: abort \(manual\) by /);
    const again = await cli(['rollout', 'abort', 'canary']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^seed-agent: /);
  });

  it('prints completion scripts', async () => {
    const bash = await cli(['completion', 'bash']);
    expect(bash.code).toBe(0);
    expect(bash.stdout).toContain('"versions diff")');
    expect(bash.stdout).toContain('complete -o default -F _seed_agent seed-agent');
    const zsh = await cli(['completion', 'zsh']);
    expect(zsh.stdout.startsWith('#compdef seed-agent')).toBe(true);
    expect((await cli(['completion', 'fish'])).code).toBe(2);
  });

  describe('login', () => {
    const noEnv = () => ({ SEED_AGENT_URL: '', SEED_AGENT_TOKEN: '', XDG_CONFIG_HOME: join(dir, 'login') });
    const configFile = () => join(dir, 'login', 'seed-agent', 'config.json');

    it('refuses a token in the arguments', async () => {
      for (const args of [
        ['login', TOKENS.admin],
        ['login', '--token', TOKENS.admin],
      ]) {
        const res = await cli([...args, '--url', t.url], { env: noEnv() });
        expect(res.code).toBe(2);
        expect(res.stderr).toMatch(/read from stdin, never from arguments/);
      }
      expect(() => statSync(configFile())).toThrow();
    });

    it('refuses plain http:// to another host', async () => {
      const res = await cli(['login', '--url', 'http://seed.example.com'], {
        env: noEnv(),
        input: TOKENS.admin,
      });
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/refusing plain http:\/\/ to seed\.example\.com/);
      const envUrl = await cli(['modules', 'ls'], { env: { SEED_AGENT_URL: 'http://10.1.2.3:4000' } });
      expect(envUrl.code).toBe(2);
      expect(envUrl.stderr).toMatch(/refusing plain http:\/\//);
    });

    it('stores the token from stdin in a 0600 file, uses it, and refuses the file once others can read it', async () => {
      const wrong = await cli(['login', '--url', t.url], { env: noEnv(), input: 'not-a-token\n' });
      expect(wrong.code).toBe(1);
      expect(() => statSync(configFile())).toThrow();

      const login = await cli(['login', '--url', t.url], { env: noEnv(), input: `${TOKENS.viewer}\n` });
      expect(login).toMatchObject({ code: 0 });
      expect(statSync(configFile()).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(configFile(), 'utf8'))).toEqual({ url: t.url, token: TOKENS.viewer });

      const ls = await cli(['--json', 'modules', 'ls'], { env: noEnv() });
      expect(ls.code).toBe(0);
      expect(JSON.parse(ls.stdout).items.map((m: { name: string }) => m.name)).toContain('greet');
      // the environment overrides the file: the viewer may not roll back, the admin may
      const asViewer = await cli(['rollback', 'greet'], { env: noEnv() });
      expect(asViewer.code).toBe(1);

      chmodSync(configFile(), 0o644);
      const refused = await cli(['modules', 'ls'], { env: noEnv() });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/readable or writable by other users \(mode 644\)/);
      const relogin = await cli(['login', '--url', t.url], { env: noEnv(), input: TOKENS.viewer });
      expect(relogin.code).toBe(2);
      expect(relogin.stderr).toMatch(/chmod 600/);
    });
  });
});
