import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { getFreePort } from '../../src/embedded/free-port';
import { ensureBuilt } from '../ensure-built';
import { clearPrefix, SHARED_REDIS_URL } from '../harness';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { spawnApp, type AppProcess } from '../support/processes';
import { uniquePrefix } from '../support/redis';
import {
  healthcheckCommand,
  lastOf,
  parseDockerfile,
  readFlyToml,
  REPO,
  repoFile,
  stageEnv,
} from './manifests';

const exec = promisify(execFile);

/**
 * What the image does, without a Docker engine: the runtime stage's files (production dependencies installed
 * from the lockfile, dist/, package.json, VERSION) in an empty folder, the release_command's migrations, the
 * CMD, the HEALTHCHECK, and a SIGTERM that ends in a clean exit.
 */

const dockerfile = parseDockerfile(repoFile('Dockerfile'));
const runtime = dockerfile.stages.at(-1)!;
const CMD = lastOf(dockerfile, runtime, 'CMD')!.json!;
const HEALTHCHECK = healthcheckCommand(lastOf(dockerfile, runtime, 'HEALTHCHECK')!)!;
const IMAGE_ENV = stageEnv(dockerfile, runtime);
const TOKEN = 'image-admin-secret-0123456789';
const METRICS_TOKEN = 'image-metrics-secret-0123456789';

/** Node 24 first on PATH, and its headers for any native build (the machine's ~/.npmrc may point elsewhere). */
function toolEnv(): Record<string, string> {
  const nodeHome = dirname(dirname(process.execPath));
  const env: Record<string, string> = {
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME ?? tmpdir(),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  if (existsSync(join(nodeHome, 'include', 'node'))) env.npm_config_nodedir = nodeHome;
  return env;
}

let dir: string;
let database: TestDatabase | undefined;
let app: AppProcess | undefined;
let redisPrefix: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'seed-image-'));
  redisPrefix = uniquePrefix('image');
  [database] = await Promise.all([createTestDatabase(), ensureBuilt()]);
});

afterAll(async () => {
  await app?.stop('SIGKILL');
  await database?.drop();
  await clearPrefix(SHARED_REDIS_URL, redisPrefix);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('installs production dependencies from the lockfile, migrates, starts with the CMD, answers /health and stops on SIGTERM', async () => {
  // Build stage: npm ci, then production dependencies only (the image prunes; a fresh `npm ci --omit=dev`
  // from the same lockfile gives the same tree).
  for (const file of ['package.json', 'package-lock.json', '.npmrc'])
    copyFileSync(join(REPO, file), join(dir, file));
  // --prefer-offline: tarballs already in npm's cache are not revalidated (the lockfile pins their hashes);
  // only missing ones are fetched. Revalidating ~170 packages can take minutes on a slow registry.
  await exec('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: dir,
    env: toolEnv(),
    timeout: 150_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  // Not `typescript`: npm keeps it in a production tree as the optional peer of valibot (@bull-board/api's
  // validator), although nothing at runtime loads it.
  for (const dev of ['jest', 'ts-jest', '@nestjs/cli', 'eslint', 'vite']) {
    expect(pkg.devDependencies[dev]).toBeDefined();
    expect(existsSync(join(dir, 'node_modules', dev))).toBe(false);
  }

  // Runtime stage: dist/ and VERSION beside them (package.json is already there).
  cpSync(join(REPO, 'dist'), join(dir, 'dist'), { recursive: true });
  copyFileSync(join(REPO, 'VERSION'), join(dir, 'VERSION'));
  const version = readFileSync(join(dir, 'VERSION'), 'utf8').trim();

  const port = await getFreePort();
  const env: Record<string, string> = {
    ...toolEnv(),
    ...IMAGE_ENV,
    // The image's paths and port, moved into the temp folder and a free port.
    DATA_DIR: join(dir, 'data'),
    CODE_DIR: join(dir, 'data', 'code'),
    PORT: String(port),
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    DATABASE_URL: database!.url,
    REDIS_URL: SHARED_REDIS_URL,
    REDIS_PREFIX: redisPrefix,
    API_TOKENS: `ops:admin:${TOKEN}`,
    METRICS_TOKEN,
    LOG_LEVEL: 'warn',
    // As on Fly: the release_command migrates, the machines do not.
    MIGRATIONS_RUN: 'false',
  };

  // Fly's release_command (the Kubernetes Job runs the same), relative to the image's /app.
  const release = (readFlyToml() as { deploy: { release_command: string } }).deploy.release_command
    .replace(/\/app\//g, '')
    .split(/\s+/);
  const migrated = await exec(release[0], release.slice(1), { cwd: dir, env, timeout: 60_000 });
  expect(migrated.stdout).toMatch(/InitialSchema\d+ has been executed successfully/);

  app = spawnApp({ cwd: dir, env, args: CMD.slice(1) });
  expect(CMD[0]).toBe('node');
  const base = `http://127.0.0.1:${port}`;
  await app.waitForHttp(`${base}/health`, 60_000);

  const health = await fetch(`${base}/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok', version });
  const ready = await fetch(`${base}/health/ready`);
  expect(ready.status).toBe(200);

  // Production auth is on, and the token works.
  expect((await fetch(`${base}/modules`)).status).toBe(401);
  const modules = await fetch(`${base}/modules`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(modules.status).toBe(200);

  // Build info in /metrics: the release and this node, one series.
  expect((await fetch(`${base}/metrics`)).status).toBe(401);
  const metrics = await (
    await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  ).text();
  const buildInfo = metrics.split('\n').filter((l) => l.startsWith('seed_agent_build_info{'));
  expect(buildInfo).toHaveLength(1);
  expect(buildInfo[0]).toMatch(
    new RegExp(`^seed_agent_build_info\\{version="${version.replace(/\./g, '\\.')}",node="[^"]+"\\} 1$`),
  );

  // The image's HEALTHCHECK command, as Docker runs it inside the container.
  const check = await exec(
    HEALTHCHECK[0] === 'node' ? process.execPath : HEALTHCHECK[0],
    HEALTHCHECK.slice(1),
    {
      cwd: dir,
      env: { PATH: env.PATH, PORT: String(port), HOST: '0.0.0.0' },
      timeout: 10_000,
    },
  );
  expect(check.stderr).toBe('');

  // tini forwards SIGTERM to node: the graceful shutdown ends with exit code 0.
  const code = await app.stop('SIGTERM', 15_000);
  expect(code).toBe(0);
  expect(app.lines.map((l) => l.text).join('\n')).not.toMatch(/"level":(50|60)/);
}, 240_000);
