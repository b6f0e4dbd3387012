/**
 * Debian's Chromium driven by playwright-core, for the console's browser tests and `npm run screenshots`.
 * Only `node:` imports, playwright-core and erasable TypeScript, like ./start-app.ts (scripts import it as it is).
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Flags that keep Chromium from reaching hosts this machine cannot reach (STACK-NOTES.md). */
const QUIET = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium on a fresh profile directory (Playwright passes it as --user-data-dir). */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'seed-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: QUIET,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

function newest(dir: string): number {
  let time = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    time = Math.max(time, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return time;
}

/** Builds the console (vite) when its output is missing or older than its sources. */
export function ensureConsoleBuilt(root = resolve('.')): void {
  const index = join(root, 'apps', 'console', 'dist', 'index.html');
  const sources = Math.max(
    newest(join(root, 'apps', 'console', 'src')),
    statSync(join(root, 'apps', 'console', 'index.html')).mtimeMs,
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execSync('npx vite build apps/console --logLevel warn', {
    cwd: root,
    stdio: 'inherit',
  });
}
