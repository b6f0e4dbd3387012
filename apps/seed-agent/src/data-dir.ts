import { chmodSync, mkdirSync, statSync } from 'node:fs';

/**
 * Creates DATA_DIR owner-only (0700): it holds the database, the generated admin token and the code cache.
 * An existing one that others can read is tightened, or named in a warning when that is not permitted.
 */
export function ensurePrivateDir(dir: string, warn: (message: string) => void): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(dir, 0o700);
    warn(`DATA_DIR ${dir} was readable by others (mode ${mode.toString(8)}): set to 700`);
  } catch (error) {
    warn(`DATA_DIR ${dir} is readable by others (mode ${mode.toString(8)}): ${(error as Error).message}`);
  }
}
