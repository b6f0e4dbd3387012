// npm run screenshots: the README's pictures of the console (docs/img/console-*.png: the overview, a module
// with a diff, the pipeline feed, a rollout with its charts), taken with Playwright
// and Debian's Chromium from the built app on a fresh database of the machine's PostgreSQL and a Redis prefix
// of its own. The browser tests never write these files.
import { mkdirSync } from 'node:fs';
import { startBenchApp } from '../bench/lib/app.mjs';
import { clearRedisPrefix, createDatabase, dropDatabase } from '../bench/lib/resources.mjs';
import { launchBrowser } from '../apps/seed-agent/test/support/browser.ts';
import { eventually, TOKENS } from '../apps/seed-agent/test/support/start-app.ts';

const OUT = 'docs/img';
const name = `seed_screenshots_${Date.now().toString(36)}`;
const prefix = `seed-screenshots-${Date.now().toString(36)}`;

const V1 = 'export default (input: { text: string }) => input.text.toUpperCase();\n';
const V2 = 'export default (input: { text: string }) => input.text.trim().toUpperCase();\n';
const BROKEN = 'export default (input: { text: string }) => {\n  return input.text.toUpperCase(;\n};\n';
const V4 =
  'export default (input: { text: string }) => {\n  const text = input.text.trim();\n  return text ? text.toUpperCase() : "(empty)";\n};\n';
const V6 = 'export default (input: { text: string }) => String(input.text).trim().toUpperCase();\n';
const TESTS = [
  { name: 'shouts', input: { text: 'hi' }, expect: 'HI' },
  { name: 'trims', input: { text: ' hi ' }, expect: 'HI' },
];

const databaseUrl = await createDatabase(name);
let app;
let browser;
try {
  // Production settings, as benchmarked: a production app requires a metrics token.
  app = await startBenchApp({
    databaseUrl,
    redisPrefix: prefix,
    env: { METRICS_TOKEN: 'screenshots-metrics-0123456789' },
  });
  browser = await launchBrowser();
  const settle = async (module, versionId) =>
    eventually(async () => {
      const job = await app.request('GET', `/jobs/${versionId}`);
      return ['completed', 'failed'].includes(job.body?.state) ? true : undefined;
    }, 30_000);
  const created = await app.request('POST', '/modules', { name: 'shout', source: V1, tests: [TESTS[0]] });
  await settle('shout', created.body.versionId);
  await app.request('PUT', '/modules/shout/tests', TESTS);
  for (const [source, rationale] of [
    [V2, 'trim the input before shouting'],
    [BROKEN, 'a typo the compiler catches'],
    [V4, 'say so when the text is empty'],
  ]) {
    const submitted = await app.request('POST', '/modules/shout/versions', {
      source,
      rationale,
      activate: true,
    });
    await settle('shout', submitted.body.versionId);
  }
  const other = await app.request('POST', '/modules', {
    name: 'add',
    source: 'export default (input: { a: number; b: number }) => input.a + input.b;\n',
    tests: [{ name: 'adds', input: { a: 1, b: 2 }, expect: 3 }],
  });
  await settle('add', other.body.versionId);

  mkdirSync(OUT, { recursive: true });
  const page = await browser.context.newPage();
  await page.goto(`${app.url}/ui/`);
  await page.fill('input[name=token]', TOKENS.admin);
  await page.click('button:has-text("Sign in")');
  await page.waitForSelector('text=shout');

  await page.goto(`${app.url}/ui/#/modules/shout`);
  await page.waitForSelector('[data-testid=versions] tr[data-seq="4"]');
  await page.locator('[data-testid=versions] tr[data-seq="4"] button:has-text("diff")').click();
  await page.waitForSelector('[data-testid=diff]');
  // Tall enough for the versions, the lineage and the diff.
  await page.setViewportSize({ width: 1280, height: 1320 });
  await page.screenshot({ path: `${OUT}/console-module.png` });
  await page.setViewportSize({ width: 1280, height: 900 });

  // The same tab: the token lives in its sessionStorage.
  const feed = page;
  await feed.goto(`${app.url}/ui/#/feed`);
  await feed.waitForSelector('[data-testid=feed-state]:has-text("stream open")');
  await app.request('POST', '/modules/shout/versions', {
    source: BROKEN.replace('(;', '(;;'),
    rationale: 'again',
  });
  const good = await app.request('POST', '/modules/shout/versions', { source: V2, activate: true });
  await settle('shout', good.body.versionId);
  await feed.waitForSelector('[data-testid=diagnostics]');
  await feed.locator('[data-testid=outcome]:has-text("active")').waitFor();
  await feed.screenshot({ path: `${OUT}/console-feed.png` });

  // A rollout whose first step the analysis judges (20 s, 10 canary calls) while traffic flows, paused by hand
  // at the second: its decisions show the values and thresholds, and nothing moves while the pictures are taken.
  const held = await app.request('POST', '/modules/shout/versions', {
    source: V6,
    rationale: 'accept any text-like input',
    activate: false,
  });
  await settle('shout', held.body.versionId);
  const rollout = await app.request('POST', '/modules/shout/rollouts', {
    versionId: held.body.versionId,
    steps: [25, 50, 100],
    intervalMs: 20_000,
    analysis: { minCalls: 10 },
  });
  if (rollout.status !== 201) throw new Error(`rollout: ${JSON.stringify(rollout.body)}`);
  const weight = async () =>
    (await app.request('GET', '/modules/shout/rollouts?limit=1')).body.items[0].weight;
  for (let round = 0; round < 60 && (await weight()) < 50; round++) {
    for (const text of ['hi', ' ho ', 'hey', 'yo', ' hello']) {
      await app.request('POST', '/modules/shout/invoke', { input: { text } });
    }
    await app.request('POST', '/modules/add/invoke', { input: { a: round, b: 1 } });
    if (round % 5 === 4) await app.request('POST', '/modules/shout/invoke', { input: null });
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const paused = await app.request('POST', '/modules/shout/rollouts/current/pause');
  if (paused.body.weight !== 50) throw new Error(`rollout did not advance: ${JSON.stringify(paused.body)}`);
  await eventually(async () => {
    const stats = await app.request('GET', '/modules/shout/stats?windowMs=300000');
    return stats.body.versions?.length === 2 && stats.body.versions.every((v) => v.total.calls > 0)
      ? true
      : undefined;
  }, 15_000);

  await page.goto(`${app.url}/ui/#/`);
  await page.waitForSelector('tr[data-module=shout] [data-testid=overview-rollout]:has-text("paused")');
  await page.waitForSelector('[data-testid=overview-queues] tr[data-queue=pipeline]');
  await page.screenshot({ path: `${OUT}/console-overview.png` });

  await page.goto(`${app.url}/ui/#/modules/shout`);
  await page.waitForSelector('[data-testid=rollout-weight]:has-text("50%")');
  await page.waitForSelector('[data-testid=rollout-decisions] tbody tr:nth-child(2)');
  await page.waitForSelector('[data-testid=stats-totals]:has-text("canary")');
  await page.waitForSelector('svg.chart polyline');
  const boxes = await Promise.all(
    ['Rollouts', 'Stats'].map((panel) => page.locator(`section[aria-label=${panel}]`).boundingBox()),
  );
  const top = Math.min(...boxes.map((b) => b.y));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  await page.screenshot({
    path: `${OUT}/console-rollout.png`,
    fullPage: true,
    clip: { x: 0, y: top - 8, width: 1280, height: bottom - top + 16 },
  });
  process.stdout.write(
    `wrote ${OUT}/console-overview.png, console-module.png, console-feed.png, console-rollout.png\n`,
  );
} finally {
  await browser?.close();
  await app?.close();
  await clearRedisPrefix(prefix);
  await dropDatabase(name);
}
