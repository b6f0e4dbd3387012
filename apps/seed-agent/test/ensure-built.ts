import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
export const MAIN_JS = join(ROOT, 'dist', 'apps', 'seed-agent', 'src', 'main.js');
export const CLI_JS = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !/[.-]spec\.ts$/.test(entry.name))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Tests that start the app as a child process need dist/. Builds when it is missing or older than the
 * sources, under a directory lock so parallel test files never build at the same time.
 */
export async function ensureBuilt(): Promise<string> {
  const lock = join(ROOT, 'dist.build-lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const sources = Math.max(
      newestSource(join(ROOT, 'apps', 'seed-agent', 'src')),
      newestSource(join(ROOT, 'libs')),
      newestSource(join(ROOT, 'apps', 'cli', 'src')),
    );
    if (!existsSync(MAIN_JS) || statSync(MAIN_JS).mtimeMs < sources) {
      execSync('npx nest build', { cwd: ROOT, stdio: 'inherit' });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return MAIN_JS;
}
