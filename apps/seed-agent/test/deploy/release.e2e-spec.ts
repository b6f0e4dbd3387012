import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO, repoFile } from './manifests';

/**
 * The release scripts in throwaway git repositories: npm run release:micro / release:baseline
 * (scripts/bump_version.sh) with the verification replaced by harmless commands, so the suite never runs
 * itself, and scripts/sync_secrets.sh against stand-ins for flyctl and kubectl.
 */

const temps: string[] = [];
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `seed-${label}-`));
  temps.push(dir);
  return dir;
}

/** Node 24 first on PATH (the scripts run node and npm), nothing from the developer's git config. */
function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME ?? tmpdir(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    npm_config_update_notifier: 'false',
    ...extra,
  };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  output: string;
}

function run(cwd: string, command: string, args: string[], env: Record<string, string> = {}): Run {
  const result = spawnSync(command, args, { cwd, env: baseEnv(env), encoding: 'utf8', timeout: 60_000 });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    output: `${result.stdout}\n${result.stderr}`,
  };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: baseEnv(), encoding: 'utf8' }).trim();
}

describe('npm run release:micro / release:baseline (scripts/bump_version.sh)', () => {
  let repo: string;
  let marker: string;
  const realScripts = (JSON.parse(repoFile('package.json')) as { scripts: Record<string, string> }).scripts;

  /** Verification and coverage replaced: they record that they ran; the coverage "run" writes a summary. */
  const releaseEnv = (linesPct: number, extra: Record<string, string> = {}) => ({
    RELEASE_VERIFY_CMD: `echo verify >> "${marker}"`,
    RELEASE_COVERAGE_CMD: `echo coverage >> "${marker}" && mkdir -p coverage && echo '{"total":{"lines":{"total":10,"covered":9,"skipped":0,"pct":${linesPct}}}}' > coverage/coverage-summary.json`,
    ...extra,
  });

  const commit = (file: string, message: string): void => {
    writeFileSync(join(repo, file), `${message}\n`);
    git(repo, 'add', file);
    git(repo, 'commit', '-q', '-m', message);
  };
  const version = () => readFileSync(join(repo, 'VERSION'), 'utf8').trim();
  const ran = () => (existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n') : []);

  beforeAll(() => {
    repo = tempDir('release');
    marker = join(tempDir('release-marker'), 'ran');
    mkdirSync(join(repo, 'scripts'));
    copyFileSync(join(REPO, 'scripts', 'bump_version.sh'), join(repo, 'scripts', 'bump_version.sh'));
    copyFileSync(join(REPO, 'VERSION'), join(repo, 'VERSION'));
    writeFileSync(join(repo, 'VERSION'), '1.4.2\n');
    writeFileSync(
      join(repo, 'package.json'),
      `${JSON.stringify(
        {
          name: 'release-fixture',
          version: '1.4.2',
          private: true,
          scripts: {
            'release:micro': realScripts['release:micro'],
            'release:baseline': realScripts['release:baseline'],
          },
        },
        null,
        2,
      )}\n`,
    );
    writeFileSync(join(repo, '.gitignore'), 'coverage/\n');
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'config', 'user.name', 'Release Tester');
    git(repo, 'config', 'user.email', 'release@example.test');
    git(repo, 'config', 'tag.gpgSign', 'false');
    git(repo, 'config', 'commit.gpgSign', 'false');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'Initial commit');
    commit('feature-a.txt', 'Add feature A');
  });

  it('refuses a dirty worktree and changes nothing', () => {
    writeFileSync(join(repo, 'scratch.txt'), 'uncommitted\n');
    try {
      for (const script of ['release:micro', 'release:baseline']) {
        const result = run(repo, 'npm', ['run', '--silent', script], releaseEnv(99));
        expect(result.status).not.toBe(0);
        expect(result.stderr).toMatch(/worktree is not clean/);
      }
      expect(version()).toBe('1.4.2');
      expect(git(repo, 'tag', '--list')).toBe('');
      expect(ran()).toEqual([]);
    } finally {
      rmSync(join(repo, 'scratch.txt'));
    }
  });

  it('micro: patch bump, verification, one commit and an annotated vX.Y.Z tag', () => {
    const result = run(repo, 'npm', ['run', '--silent', 'release:micro'], releaseEnv(99));
    expect(result.status).toBe(0);
    expect(ran()).toEqual(['verify']);
    expect(version()).toBe('1.4.3');
    expect(
      (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version,
    ).toBe('1.4.3');
    expect(git(repo, 'tag', '--list')).toBe('v1.4.3');
    expect(git(repo, 'cat-file', '-t', 'v1.4.3')).toBe('tag'); // annotated
    expect(git(repo, 'rev-parse', 'v1.4.3^{commit}')).toBe(git(repo, 'rev-parse', 'HEAD'));
    expect(git(repo, 'log', '-1', '--format=%s')).toBe('Release v1.4.3');
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(existsSync(join(repo, 'RELEASE_SUMMARY.md'))).toBe(false);
  });

  it('a failing verification stops the release before anything changes', () => {
    rmSync(marker, { force: true });
    const result = run(repo, 'npm', ['run', '--silent', 'release:micro'], { RELEASE_VERIFY_CMD: 'exit 3' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/failed; nothing was changed/);
    expect(version()).toBe('1.4.3');
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('baseline: refused below 85 % line coverage, nothing changed', () => {
    rmSync(marker, { force: true });
    commit('feature-b.txt', 'Add feature B with `code_span` and *stars*');
    const result = run(repo, 'npm', ['run', '--silent', 'release:baseline'], releaseEnv(84.9));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/coverage gate failed: lines 84\.9 % < 85 %/);
    expect(ran()).toEqual(['verify', 'coverage']);
    expect(version()).toBe('1.4.3');
    expect(git(repo, 'tag', '--list')).toBe('v1.4.3');
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('baseline: a coverage run that writes no summary is refused too', () => {
    const result = run(repo, 'npm', ['run', '--silent', 'release:baseline'], {
      RELEASE_VERIFY_CMD: 'true',
      RELEASE_COVERAGE_CMD: 'true',
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/wrote no coverage\/coverage-summary\.json/);
    expect(version()).toBe('1.4.3');
  });

  it('baseline: minor bump, coverage gate, RELEASE_SUMMARY.md, commit and baseline-vX.Y.0 tag', () => {
    rmSync(marker, { force: true });
    const result = run(repo, 'npm', ['run', '--silent', 'release:baseline'], releaseEnv(91.2));
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/coverage gate passed: lines 91\.2 % >= 85 %/);
    expect(ran()).toEqual(['verify', 'coverage']);
    expect(version()).toBe('1.5.0');
    expect(git(repo, 'tag', '--list', 'baseline-*')).toBe('baseline-v1.5.0');
    expect(git(repo, 'cat-file', '-t', 'baseline-v1.5.0')).toBe('tag');
    expect(git(repo, 'log', '-1', '--format=%s')).toBe('Release baseline-v1.5.0');
    // VERSION, package.json and the summary in the release commit, nothing left behind.
    expect(git(repo, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort()).toEqual(
      ['RELEASE_SUMMARY.md', 'VERSION', 'package.json'].sort(),
    );
    expect(git(repo, 'status', '--porcelain')).toBe('');

    const summary = readFileSync(join(repo, 'RELEASE_SUMMARY.md'), 'utf8');
    expect(summary).toMatch(/^# Release summary/);
    expect(summary).toMatch(/^## baseline-v1\.5\.0 \(\d{4}-\d{2}-\d{2}\)$/m);
    expect(summary).toContain('- Version: 1.5.0 (from 1.4.3, baseline release)');
    // No earlier baseline: the whole history, micro releases included.
    expect(summary).toContain('- Since: the first commit, 4 commit(s)');
    for (const subject of ['Initial commit', 'Add feature A', 'Release v1.4.3'])
      expect(summary).toContain(subject);
    // Markdown escaped outside code spans.
    expect(summary).toContain('Add feature B with `code_span` and \\*stars\\*');
  });

  it('the next baseline summarises only the commits since the previous one, keeping the older sections', () => {
    commit('feature-c.txt', 'Add feature C');
    const result = run(repo, 'npm', ['run', '--silent', 'release:baseline'], releaseEnv(85));
    expect(result.status).toBe(0);
    expect(version()).toBe('1.6.0');
    const summary = readFileSync(join(repo, 'RELEASE_SUMMARY.md'), 'utf8');
    const [newest, older] = summary.split(/^(?=## )/m).slice(1);
    expect(newest).toMatch(/^## baseline-v1\.6\.0/);
    expect(newest).toContain('- Since: baseline-v1.5.0, 1 commit(s)');
    expect(newest).toContain('Add feature C');
    expect(newest).not.toContain('Add feature A');
    expect(older).toMatch(/^## baseline-v1\.5\.0/);
    expect(summary.match(/^# Release summary/gm)).toHaveLength(1);
  });

  it('--dry-run prints the plan, gate included, and changes nothing', () => {
    const head = git(repo, 'rev-parse', 'HEAD');
    const result = run(
      repo,
      'npm',
      ['run', '--silent', 'release:baseline', '--', '--dry-run'],
      releaseEnv(99),
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/would require: lines >= 85 %/);
    expect(result.stdout).toMatch(/git tag -a baseline-v1\.7\.0/);
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head);
    expect(version()).toBe('1.6.0');
  });
});

describe('scripts/sync_secrets.sh', () => {
  const SECRETS = {
    DATABASE_URL: 'postgres://seed:db-secret-value-1@db.internal:5432/seed',
    REDIS_URL: 'redis://:redis-secret-value-2@redis.internal:6379/0',
    API_TOKENS: 'ops:admin:token-secret-value-3',
  };
  const FILE_SECRETS = {
    ANTHROPIC_API_KEY: 'sk-ant-file-secret-4',
    METRICS_TOKEN: 'metrics "quoted" secret 5',
  };
  let bin: string;
  let log: string;
  let envFile: string;

  beforeAll(() => {
    const dir = tempDir('sync-secrets');
    bin = join(dir, 'bin');
    log = join(dir, 'calls.log');
    mkdirSync(bin);
    // Stand-ins record their arguments and input. kubectl create prints the files' contents as a manifest
    // would carry them; kubectl apply records the manifest it is given.
    const fake = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/usr/bin/env bash\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    };
    fake('fly', `{ echo "fly $*"; cat; } >> "${log}"`);
    fake(
      'kubectl',
      `echo "kubectl $*" >> "${log}"
if [[ " $* " == *" apply "* ]]; then cat >> "${log}"; exit 0; fi
for arg in "$@"; do
  case "$arg" in --from-file=*) spec="\${arg#--from-file=}"; echo "data \${spec%%=*}: $(cat "\${spec#*=}")";; esac
done`,
    );
    envFile = join(dir, 'secrets.env');
    writeFileSync(
      envFile,
      [
        '# model credentials',
        `export ANTHROPIC_API_KEY=${FILE_SECRETS.ANTHROPIC_API_KEY}`,
        '',
        `METRICS_TOKEN="${FILE_SECRETS.METRICS_TOKEN}"`,
        'UNRELATED=ignored',
      ].join('\n'),
    );
  });
  beforeEach(() => rmSync(log, { force: true }));

  const sync = (args: string[], env: Record<string, string> = SECRETS) =>
    run(REPO, 'bash', [join(REPO, 'scripts', 'sync_secrets.sh'), ...args], {
      ...env,
      PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
    });
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  const allValues = [...Object.values(SECRETS), ...Object.values(FILE_SECRETS)];

  it('dry run by default: prints the plan and the names, never a value, and calls nothing', () => {
    const result = sync(['--env-file', envFile]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/dry run: nothing is sent/);
    expect(result.stdout).toMatch(/would run: .*fly secrets import --app seed-agent/);
    expect(result.stdout).toMatch(
      /would run: kubectl create secret generic seed-agent .*--dry-run=client -o yaml \| kubectl apply -f -/,
    );
    for (const name of [...Object.keys(SECRETS), ...Object.keys(FILE_SECRETS)])
      expect(result.stdout).toContain(name);
    expect(result.stdout).toMatch(/skipped, not set: CLAUDE_CODE_OAUTH_TOKEN OPENAI_COMPATIBLE_API_KEY/);
    expect(result.output).not.toContain('UNRELATED');
    for (const value of allValues) expect(result.output).not.toContain(value);
    expect(calls()).toBe('');
  });

  it('--apply pushes to Fly on stdin and to Kubernetes through files, values verbatim', () => {
    const result = sync(['--apply', '--env-file', envFile, '--namespace', 'prod', '--stage']);
    expect(result.status).toBe(0);
    for (const value of allValues) expect(result.output).not.toContain(value);

    const log = calls();
    expect(log).toMatch(/^fly secrets import --app seed-agent --stage$/m);
    // flyctl's import format: NAME="value", outer quotes removed by flyctl.
    for (const [name, value] of Object.entries({ ...SECRETS, ...FILE_SECRETS })) {
      expect(log).toContain(`${name}="${value}"`);
      expect(log).toContain(`data ${name}: ${value}`);
    }
    expect(log).toMatch(
      /^kubectl --namespace prod create secret generic seed-agent .*--dry-run=client -o yaml$/m,
    );
    expect(log).toMatch(/^kubectl --namespace prod apply -f -$/m);
    // Values never on a command line.
    for (const line of log.split('\n').filter((l) => /^(fly|kubectl) /.test(l))) {
      for (const value of allValues) expect(line).not.toContain(value);
    }
  });

  it('pushes only the names given; a Kubernetes Secret must keep what the pods need', () => {
    const flyOnly = sync(['--apply', '--fly', '--app', 'other-app', 'ANTHROPIC_API_KEY'], {
      ANTHROPIC_API_KEY: 'sk-ant-env-6',
    });
    expect(flyOnly.status).toBe(0);
    expect(calls()).toBe('fly secrets import --app other-app\nANTHROPIC_API_KEY="sk-ant-env-6"\n');

    const k8sPartial = sync(['--k8s', 'ANTHROPIC_API_KEY'], { ANTHROPIC_API_KEY: 'sk-ant-env-6' });
    expect(k8sPartial.status).not.toBe(0);
    expect(k8sPartial.stderr).toMatch(/would lose DATABASE_URL REDIS_URL API_TOKENS/);

    const missing = sync(['--fly', 'OPENAI_COMPATIBLE_API_KEY'], {});
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/OPENAI_COMPATIBLE_API_KEY is not set/);
  });
});
