import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSecret, type ApiToken } from '@seed/config';
import { ensurePrivateDir } from '../../data-dir.js';

export interface TokenNotices {
  /** The terminal only (stderr): the secret must never reach the JSON log. */
  terminal(message: string): void;
  /** The log: no secrets. */
  warn(message: string): void;
}

/**
 * Outside production, with no API_TOKENS, the first start creates an admin token in DATA_DIR (mode 0600)
 * and prints it once, to the terminal; later starts reuse the file, once it is readable by its owner only.
 */
export function generatedAdminToken(dataDir: string, notices: TokenNotices): ApiToken {
  const file = tokenFile(dataDir);
  ensurePrivateDir(dataDir, notices.warn);
  let secret: string;
  if (existsSync(file)) {
    ownerOnly(file, notices.warn);
    secret = readFileSync(file, 'utf8').trim();
  } else {
    secret = `sa_${randomBytes(24).toString('base64url')}`;
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    notices.terminal(`no API_TOKENS configured: created an admin token in ${file} (shown once): ${secret}`);
  }
  return { name: 'generated-admin', role: 'admin', sha256: hashSecret(secret) };
}

/** With API_TOKENS set, a token file left from an earlier start looks valid and is not: say so. */
export function warnStaleGeneratedToken(dataDir: string, warn: (message: string) => void): void {
  const file = tokenFile(dataDir);
  if (existsSync(file)) warn(`API_TOKENS is set: the generated admin token in ${file} no longer works`);
}

function tokenFile(dataDir: string): string {
  return join(dataDir, 'admin-token');
}

/** A token others could read may have leaked: tighten it to 0600, and refuse it when that fails. */
function ownerOnly(file: string, warn: (message: string) => void): void {
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(file, 0o600);
  } catch {
    // checked below
  }
  if ((statSync(file).mode & 0o077) !== 0) {
    throw new Error(
      `${file} is readable by others (mode ${mode.toString(8)}) and cannot be made private: delete it to generate a new token`,
    );
  }
  warn(
    `${file} was readable by others (mode ${mode.toString(8)}): set to 600; delete it and restart to replace a token that may have been read`,
  );
}
