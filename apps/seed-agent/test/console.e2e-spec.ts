import { ModelRegistry } from '@seed/integrations';
import type { Page } from 'playwright-core';
import { eventually, settledVersion, startTestApp, TestApp, TOKENS } from './harness';
import { ensureConsoleBuilt, launchBrowser, type Browser } from './support/browser';
import { answer, ScriptedModel } from './support/scripted-model';

const V1 = 'export default (input: { n: number }) => input.n * 2;\n';
const V2 = 'export default (input: { n: number }) => input.n + input.n;\n';
const V3 = 'export default (input: { n: number }) => 2 * input.n;\n';
const BROKEN = 'export default (input: { n: number }) => {\n  return input.n *;\n';
const HOSTILE =
  '// <img src=x onerror="window.__xss = 1">\nexport default () => "<img src=x onerror=\\"window.__xss = 2\\">";\n';
const WRONG_SUM = 'export default (input: { a: number; b: number }) => ({ sum: input.a - input.b });\n';
const RIGHT_SUM = 'export default (input: { a: number; b: number }) => ({ sum: input.a + input.b });\n';
const TESTS = [{ name: 'doubles', input: { n: 2 }, expect: 4 }];

/** The console in a real Chromium against the real app (PostgreSQL, Redis, pipeline, /events). */
describe('console (browser)', () => {
  let t: TestApp;
  let browser: Browser;
  const scripted = new ScriptedModel();

  beforeAll(async () => {
    ensureConsoleBuilt();
    t = await startTestApp({ EVENTS_HEARTBEAT: '1000', AGENT_MODEL: 'mock' });
    t.app.get(ModelRegistry).register('mock', () => scripted.model);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  // The console must work under its own CSP: anything it refuses is a bug (bull-board's own inline
  // loading styles, under /ui/queues, are refused harmlessly and not counted).
  let violations: string[] = [];
  afterEach(() => {
    expect(violations).toEqual([]);
    violations = [];
  });

  async function signIn(token: string, hash = ''): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text()) && !page.url().includes('/ui/queues')) {
        violations.push(message.text());
      }
    });
    await page.goto(`${t.url}/ui/${hash}`);
    await page.fill('input[name=token]', token);
    await page.click('button:has-text("Sign in")');
    await page.waitForSelector('[data-testid=who]');
    return page;
  }

  it('serves the shell publicly under a strict CSP, with no inline script', async () => {
    const shell = await fetch(`${t.url}/ui/`);
    expect(shell.status).toBe(200);
    const csp = shell.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await shell.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toContain('style=');
    const bare = await fetch(`${t.url}/ui`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([302, '/ui/']);
  });

  it('signs in, creates a module and watches its first version go live in the feed', async () => {
    const feed = await signIn(TOKENS.admin, '#/feed');
    await feed.waitForSelector('[data-testid=feed-state]:has-text("stream open")');
    expect(await feed.textContent('[data-testid=who]')).toContain('admin');

    const overview = await signIn(TOKENS.admin);
    await overview.fill('input[name=module-name]', 'doubler');
    await overview.fill('textarea[name=module-source]', V1);
    await overview.fill('textarea[name=module-tests]', JSON.stringify(TESTS));
    await overview.click('button:has-text("Create module")');
    await overview.waitForSelector('text=Created');

    const row = feed.locator('[data-testid=feed] tbody tr', { hasText: 'doubler' });
    await row.locator('[data-testid=outcome]:has-text("active")').waitFor();
    expect(await row.textContent()).toContain('compile');
    await overview.close();

    // A rejected candidate, submitted with the button, shows its diagnostics in the feed.
    const module = await signIn(TOKENS.admin, '#/modules/doubler');
    await module.fill('textarea[name=candidate-source]', BROKEN);
    await module.click('button:has-text("Submit candidate")');
    await module.waitForSelector('[data-testid=submitted]');
    const rejected = feed.locator('[data-testid=feed] tbody tr', { hasText: '#2' });
    await rejected.locator('[data-testid=outcome]:has-text("rejected")').waitFor();
    const diagnostics = await rejected.locator('[data-testid=diagnostics]').textContent();
    expect(diagnostics).toContain('compile');
    expect(diagnostics).toMatch(/2:\d+/);
    await feed.close();
    await module.close();
  });

  it('opens a diff, and rolls back with the button', async () => {
    const submitted = await t.request('POST', '/modules/doubler/versions', { source: V2, activate: true });
    expect((await settledVersion(t, 'doubler', submitted.body.versionId)).status).toBe('active');

    const page = await signIn(TOKENS.admin, '#/modules/doubler');
    await page.waitForSelector('[data-testid=active-seq]:has-text("active #3")');
    await page.locator('[data-testid=versions] tr[data-seq="3"] button:has-text("diff")').click();
    const diff = page.locator('[data-testid=diff]');
    await diff.waitFor();
    expect(await diff.textContent()).toContain('input.n + input.n');
    expect(await diff.textContent()).toContain('input.n * 2');

    await page.click('button:has-text("Roll back")');
    await page.waitForSelector('[data-testid=active-seq]:has-text("active #1")');
    await page.locator('[data-testid=activations] li', { hasText: 'rollback' }).first().waitFor();
    expect((await t.request('GET', '/modules/doubler')).body.activeSeq).toBe(1);
    await page.close();
  });

  it('shows on the overview the active version, calls and faults, queue depth and nodes', async () => {
    for (const input of [{ n: 1 }, { n: 2 }, null]) {
      // null reaches `input.n` and throws: a module fault
      await t.request('POST', '/modules/doubler/invoke', { input });
    }
    const stats = await eventually(async () => {
      const view = await t.request('GET', '/modules/doubler/stats?windowMs=300000');
      const stable = view.body.versions?.[0]?.total;
      return stable?.calls >= 3 ? stable : undefined;
    });
    const queues = await t.request('GET', '/queues', undefined, { role: 'viewer' });
    expect(queues.status).toBe(200);
    expect(queues.body.queues.map((q: { name: string }) => q.name)).toEqual(['pipeline', 'agent']);
    expect(Object.keys(queues.body.queues[0]).sort()).toEqual(
      ['active', 'completed', 'delayed', 'depth', 'failed', 'name', 'waiting'].sort(),
    );
    expect((await t.request('GET', '/docs')).body.paths['/queues'].get).toBeDefined();

    const page = await signIn(TOKENS.viewer);
    const row = page.locator('[data-testid=overview-modules] tr[data-module=doubler]');
    await row.locator('[data-testid=overview-calls]', { hasText: String(stats.calls) }).waitFor();
    expect(await row.locator('[data-testid=overview-faults]').textContent()).toBe(String(stats.faults));
    expect(stats.faults).toBeGreaterThanOrEqual(1);
    expect(await row.locator('[data-testid=overview-active]').textContent()).toContain('#1');
    await page.locator('[data-testid=overview-queues] tr[data-queue=pipeline]').waitFor();
    expect(await page.locator('[data-testid=overview-queues] tr[data-queue=agent]').count()).toBe(1);
    expect(await page.locator('[data-testid=overview-nodes] tbody tr').count()).toBeGreaterThanOrEqual(1);
    expect(await page.textContent('[data-testid=overview-nodes]')).toContain('(this node)');
    await page.close();
  });

  it('shows a viewer no action buttons', async () => {
    const page = await signIn(TOKENS.viewer, '#/modules/doubler');
    await page.waitForSelector('[data-testid=versions] tr[data-seq="1"]');
    expect(await page.textContent('[data-testid=who]')).toContain('viewer');
    for (const action of [
      'Roll back',
      'Activate',
      'Approve',
      'Submit candidate',
      'Start improvement',
      'Edit settings',
      'Create module',
    ]) {
      expect([action, await page.locator(`button:has-text("${action}")`).count()]).toEqual([action, 0]);
    }
    expect(await page.locator('nav a:has-text("Audit")').count()).toBe(0);
    expect(await page.locator('nav a:has-text("Queues")').count()).toBe(0);
    await page.goto(`${t.url}/ui/#/`);
    await page.waitForSelector('text=doubler');
    expect(await page.locator('button:has-text("Create module")').count()).toBe(0);
    await page.close();
  });

  it('offers an agent only what an agent may do', async () => {
    const page = await signIn(TOKENS.agent, '#/modules/doubler');
    await page.waitForSelector('[data-testid=versions] tr[data-seq="1"]');
    const count = (label: string) => page.locator(`button:has-text("${label}")`).count();
    expect([await count('Submit candidate'), await count('Start improvement')]).toEqual([1, 1]);
    expect([await count('Roll back'), await count('Activate'), await count('Edit settings')]).toEqual([
      0, 0, 0,
    ]);
    await page.close();
  });

  it('renders a hostile source, rationale and diff as text', async () => {
    const created = await t.request('POST', '/modules', { name: 'hostile', source: V1, tests: [] });
    await settledVersion(t, 'hostile', created.body.versionId);
    const submitted = await t.request('POST', '/modules/hostile/versions', {
      source: HOSTILE,
      rationale: '<img src=x onerror="window.__xss = 3">',
      activate: true,
    });
    await settledVersion(t, 'hostile', submitted.body.versionId);

    const page = await signIn(TOKENS.admin, '#/modules/hostile');
    await page.locator('[data-testid=versions] tr[data-seq="2"] button:has-text("#2")').click();
    const source = page.locator('[data-testid=source]');
    await source.waitFor();
    expect(await source.textContent()).toContain('<img src=x onerror="window.__xss = 1">');
    await page.locator('[data-testid=versions] tr[data-seq="2"] button:has-text("diff")').click();
    const diff = page.locator('[data-testid=diff]');
    await diff.waitFor();
    expect(await diff.textContent()).toContain('<img src=x onerror=');
    // Evaluated in the page, where document and window exist.
    const output = await page.evaluate(
      "({ images: document.querySelectorAll('main img').length, xss: window.__xss ?? null })",
    );
    expect(output).toEqual({ images: 0, xss: null });
    expect(await page.locator('text=<img src=x onerror="window.__xss = 3">').count()).toBeGreaterThan(0);
    await page.close();
  });

  it('starts and aborts a rollout with the buttons, with its decisions and canary stats', async () => {
    const held = await t.request('POST', '/modules/doubler/versions', { source: V3, activate: false });
    const version = await settledVersion(t, 'doubler', held.body.versionId);
    expect(version.status).toBe('ready');

    const page = await signIn(TOKENS.admin, '#/modules/doubler');
    const panel = page.locator('section[aria-label=Rollouts]');
    await panel
      .locator(`select[name=rollout-version] option[value="${version.id}"]`)
      .waitFor({ state: 'attached' });
    await panel.locator('select[name=rollout-version]').selectOption(version.id);
    await panel.locator('button:has-text("Start rollout")').click();
    await page.waitForSelector('[data-testid=rollout-weight]:has-text("5%")');
    expect(await panel.locator('[data-testid=rollout]').textContent()).toContain('running');
    // The canary joins the charts while the rollout is open.
    await page.waitForSelector('[data-testid=stats-totals]:has-text("canary")');
    expect(await page.locator('svg.chart').count()).toBe(3);

    await panel.locator('button:has-text("Abort")').click();
    await page.waitForSelector('[data-testid=rollout]:has-text("aborted")');
    await panel.locator('[data-testid=rollout-decisions] tr', { hasText: 'abort' }).waitFor();
    expect(await page.textContent('[data-testid=rollout-weight]')).toBe('0%');
    await panel.locator('button:has-text("Start rollout")').waitFor();
    expect((await t.request('GET', '/modules/doubler/rollouts')).body.items[0].status).toBe('aborted');

    const viewer = await signIn(TOKENS.viewer, '#/modules/doubler');
    await viewer.waitForSelector('[data-testid=rollout]:has-text("aborted")');
    for (const action of ['Start rollout', 'Promote', 'Pause', 'Resume', 'Abort']) {
      expect([action, await viewer.locator(`button:has-text("${action}")`).count()]).toEqual([action, 0]);
    }
    await viewer.close();
    await page.close();
  });

  it('pauses, resumes and promotes a rollout with the buttons, and the overview follows it', async () => {
    const held = (await t.request('GET', '/modules/doubler/versions?status=ready')).body.items[0];
    // A step that never ends by itself: only the buttons move this rollout.
    const started = await t.request('POST', '/modules/doubler/rollouts', {
      versionId: held.id,
      steps: [10, 50, 100],
      intervalMs: 3_600_000,
    });
    expect(started.status).toBe(201);
    const latest = async () => (await t.request('GET', '/modules/doubler/rollouts?limit=1')).body.items[0];

    const overview = await signIn(TOKENS.admin);
    const cell = overview.locator('tr[data-module=doubler] [data-testid=overview-rollout]');
    await cell.locator('text=running').waitFor();
    expect(await cell.textContent()).toContain('10%');

    const page = await signIn(TOKENS.admin, '#/modules/doubler');
    const panel = page.locator('section[aria-label=Rollouts]');
    await panel.locator('[data-testid=rollout]:has-text("running")').waitFor();
    expect(await panel.locator('[data-testid=rollout-weight]').textContent()).toBe('10%');

    await panel.locator('button:has-text("Pause")').click();
    await panel.locator('[data-testid=rollout]:has-text("paused")').waitFor();
    await panel.locator('button:has-text("Resume")').waitFor();
    expect(await panel.locator('button:has-text("Pause")').count()).toBe(0);
    expect((await latest()).status).toBe('paused');
    await cell.locator('text=paused').waitFor();

    await panel.locator('button:has-text("Resume")').click();
    await panel.locator('[data-testid=rollout]:has-text("running")').waitFor();
    await panel.locator('button:has-text("Pause")').waitFor();
    expect((await latest()).status).toBe('running');

    await panel.locator('button:has-text("Promote")').click();
    await panel.locator('[data-testid=rollout]:has-text("promoted")').waitFor();
    await page.waitForSelector(`[data-testid=active-seq]:has-text("active #${held.seq}")`);
    const decisions = panel.locator('[data-testid=rollout-decisions] tbody tr');
    expect(await decisions.allTextContents()).toEqual([
      expect.stringContaining('pause'),
      expect.stringContaining('resume'),
      expect.stringContaining('promote'),
    ]);
    for (const action of ['Promote', 'Pause', 'Resume', 'Abort']) {
      expect([action, await panel.locator(`button:has-text("${action}")`).count()]).toEqual([action, 0]);
    }
    const promoted = await latest();
    expect([promoted.status, promoted.endedAt === null]).toEqual(['promoted', false]);
    expect((await t.request('GET', '/modules/doubler')).body.activeVersionId).toBe(held.id);
    await cell.locator('text=promoted').waitFor();
    await overview.waitForSelector(
      `tr[data-module=doubler] [data-testid=overview-active]:has-text("#${held.seq}")`,
    );
    await overview.close();
    await page.close();
  });

  it('shows an improvement run: rounds and candidates for all, prompts for admins only', async () => {
    const created = await t.request('POST', '/modules', {
      name: 'adder',
      source: WRONG_SUM,
      tests: [{ name: 'zero', input: { a: 0, b: 0 }, expect: { sum: 0 } }],
    });
    await settledVersion(t, 'adder', created.body.versionId);
    scripted.script('adder', () => answer(RIGHT_SUM));
    const started = await t.request('POST', '/modules/adder/improve', {
      goal: 'return the sum of a and b',
      tests: [{ name: 'adds', input: { a: 2, b: 3 }, expect: { sum: 5 } }],
      rounds: 1,
      candidatesPerRound: 1,
    });
    expect(started.status).toBe(202);
    await eventually(async () => {
      const view = await t.request('GET', `/improvements/${started.body.runId}`);
      return view.body.state === 'finished' ? true : undefined;
    }, 60_000);

    for (const [token, prompts] of [
      [TOKENS.admin, 1],
      [TOKENS.viewer, 0],
    ] as const) {
      const page = await signIn(token, '#/modules/adder');
      const runs = page.locator('[data-testid=improvement-runs] tbody tr');
      await runs.first().locator('button').click();
      const run = page.locator('[data-testid=improvement-run]');
      await run.locator('table[aria-label="round 1"] tbody tr').waitFor();
      expect(await run.textContent()).toContain('solved');
      const candidate = await run.locator('table[aria-label="round 1"] tbody tr').textContent();
      expect(candidate).toContain('rewrite');
      expect(candidate).toContain('activated');
      expect(await run.locator('[data-testid=prompt]').count()).toBe(prompts);
      expect(await page.locator('button:has-text("Cancel run")').count()).toBe(0);
      await page.close();
    }
  });

  it('opens the read-only queue view for an admin only, through a cookie the bearer token buys', async () => {
    expect((await fetch(`${t.url}/ui/queues/`)).status).toBe(401);
    const bearer = (role: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[role]}` });
    expect((await fetch(`${t.url}/ui/session`, { method: 'POST', headers: bearer('viewer') })).status).toBe(
      403,
    );
    const crossSite = await fetch(`${t.url}/ui/session`, {
      method: 'POST',
      headers: { ...bearer('admin'), 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    const session = await fetch(`${t.url}/ui/session`, { method: 'POST', headers: bearer('admin') });
    expect(session.status).toBe(200);
    const cookie = session.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/ui\/queues/);
    const value = cookie.split(';')[0];
    const board = await fetch(`${t.url}/ui/queues/`, { headers: { cookie: value } });
    expect(board.status).toBe(200);
    expect(board.headers.get('content-security-policy')).toContain("script-src 'self'");
    const queues = await fetch(`${t.url}/ui/queues/api/queues`, { headers: { cookie: value } });
    expect(queues.status).toBe(200);
    expect(JSON.stringify(await queues.json())).toContain('pipeline');
    const write = await fetch(`${t.url}/ui/queues/api/queues/pipeline/pause`, {
      method: 'PUT',
      headers: { cookie: value },
    });
    expect(write.status).toBe(405);
    const forged = await fetch(`${t.url}/ui/queues/`, { headers: { cookie: `${value.slice(0, -2)}xx` } });
    expect(forged.status).toBe(401);

    const page = await signIn(TOKENS.admin, '#/queues');
    await page.click('button:has-text("Open a queue session")');
    await page.waitForSelector('a:has-text("Open the queues")');
    const response = await page.goto(`${t.url}/ui/queues/`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('text=pipeline');
    await page.close();
  });
});
