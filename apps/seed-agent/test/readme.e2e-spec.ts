import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestApp, TestApp, TOKENS } from './harness';

/** The ```bash blocks of README.md's worked example, in order: what a newcomer pastes. */
function workedExample(): string {
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
  const start = readme.indexOf('## A worked example');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const blocks = [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map(([, code]) => code);
  if (start < 0 || blocks.length < 2) throw new Error('README.md has no worked example with bash blocks');
  return blocks.join('\n');
}

describe("README's worked example, run as a script against the real app", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('works when its blocks are pasted in order', async () => {
    // Any answer but 2xx stops the script; each curl prints one line (every answer is one line of JSON).
    const script = [
      'set -euo pipefail',
      'curl() { command curl --fail-with-body -sS "$@"; echo; }',
      workedExample(),
    ].join('\n');
    const { stdout } = await promisify(execFile)('bash', ['-c', script], {
      env: { PATH: process.env.PATH, SEED_URL: t.url, SEED_TOKEN: TOKENS.admin },
      timeout: 60_000,
    });
    const answers = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const [created, invoked, rejected, tests, fixed, improved, diff, rolledBack, restored] = answers;
    expect(answers).toHaveLength(9);
    expect(created).toMatchObject({ name: 'greet', seq: 1, status: 'active', activated: true });
    expect(invoked).toMatchObject({ output: { text: 'Hello, Bob' }, logs: ['greeting Bob'] });
    expect(rejected).toMatchObject({ seq: 2, status: 'rejected', activated: false });
    expect(rejected.diagnostics[0]).toMatchObject({ case: 'greets Ada', expected: { text: 'Hello, Ada' } });
    expect(tests.items).toHaveLength(1);
    expect(fixed).toMatchObject({ seq: 3, status: 'active', activated: true });
    expect(improved.output).toEqual({ text: 'Hello, Bob!' });
    expect(diff).toMatchObject({ seq: 3 });
    expect(diff.diff).toMatch(/--- greet@1\n\+\+\+ greet@3\n/);
    expect(rolledBack).toMatchObject({ module: 'greet', seq: 1 });
    expect(restored.output).toEqual({ text: 'Hello, Bob' });
  });
});
