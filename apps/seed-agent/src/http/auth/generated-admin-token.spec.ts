import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashSecret } from '@seed/config';
import { generatedAdminToken, warnStaleGeneratedToken } from './generated-admin-token';

describe('generatedAdminToken', () => {
  let root: string;
  let terminal: string[];
  let warnings: string[];
  const notices = () => ({
    terminal: (m: string) => terminal.push(m),
    warn: (m: string) => warnings.push(m),
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'seed-token-'));
    terminal = [];
    warnings = [];
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates DATA_DIR 0700 and the token 0600, shows it once on the terminal, never in the log', () => {
    const dataDir = join(root, 'data');
    const token = generatedAdminToken(dataDir, notices());
    const secret = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    expect(token.sha256).toBe(hashSecret(secret));
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(terminal).toEqual([expect.stringContaining(secret)]);
    expect(generatedAdminToken(dataDir, notices()).sha256).toBe(token.sha256);
    expect(terminal).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('tightens a DATA_DIR and a token file others can read, without printing the secret', () => {
    const dataDir = join(root, 'open');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, 'admin-token'), 'sa_leaked\n', { mode: 0o644 });
    chmodSync(join(dataDir, 'admin-token'), 0o644);
    generatedAdminToken(dataDir, notices());
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(warnings).toEqual([
      expect.stringMatching(/DATA_DIR .* 755/),
      expect.stringMatching(/admin-token .* 644/),
    ]);
    expect([...warnings, ...terminal].some((m) => m.includes('sa_leaked'))).toBe(false);
  });

  it('says a left-over token file no longer works once API_TOKENS is set', () => {
    generatedAdminToken(root, notices());
    warnStaleGeneratedToken(root, (m) => warnings.push(m));
    expect(warnings).toEqual([expect.stringMatching(/API_TOKENS is set: .*admin-token no longer works/)]);
  });
});
