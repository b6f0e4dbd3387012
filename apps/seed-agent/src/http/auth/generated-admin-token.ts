import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSecret, type ApiToken } from '@seed/config';

/**
 * Outside production, with no API_TOKENS, the first start creates an admin token in DATA_DIR (mode 0600)
 * and prints it once; later starts reuse the file silently.
 */
export function generatedAdminToken(dataDir: string, print: (message: string) => void): ApiToken {
  const file = join(dataDir, 'admin-token');
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    secret = `sa_${randomBytes(24).toString('base64url')}`;
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    print(`no API_TOKENS configured: created an admin token in ${file} (shown once): ${secret}`);
  }
  return { name: 'generated-admin', role: 'admin', sha256: hashSecret(secret) };
}
