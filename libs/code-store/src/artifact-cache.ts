import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Compiled artifacts on the node's disk, named by content hash. Only a cache: PostgreSQL holds every
 * compiled source, so a missing or corrupt file is rebuilt from it (a node without a volume works).
 */
export class ArtifactCache {
  constructor(private readonly dir: string) {}

  pathOf(hash: string): string {
    return join(this.dir, hash.slice(0, 2), `${hash}.js`);
  }

  /** The cached code if present and intact, else undefined (a corrupt file is removed). */
  async read(hash: string): Promise<string | undefined> {
    let code: string;
    try {
      code = await readFile(this.pathOf(hash), 'utf8');
    } catch {
      return undefined;
    }
    if (sha256(code) === hash) return code;
    await rm(this.pathOf(hash), { force: true });
    return undefined;
  }

  /** Atomic: temp file, fsync, rename; a crash leaves either no file or a whole one. */
  async write(hash: string, code: string): Promise<void> {
    if (sha256(code) !== hash) throw new Error(`artifact does not match its hash ${hash}`);
    const target = this.pathOf(hash);
    await mkdir(join(this.dir, hash.slice(0, 2)), { recursive: true });
    const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(temp, 'w', 0o644);
    try {
      await handle.writeFile(code, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  }

  /**
   * The artifact for a stored version: from disk when intact, otherwise rebuilt from the compiled code
   * PostgreSQL holds (fetched only then), after checking it against the recorded hash.
   */
  async resolve(hash: string, fromStore: () => Promise<string>): Promise<{ code: string; rebuilt: boolean }> {
    const cached = await this.read(hash);
    if (cached !== undefined) return { code: cached, rebuilt: false };
    const compiledFromStore = await fromStore();
    if (sha256(compiledFromStore) !== hash) {
      throw new Error(`stored compiled code does not match its recorded sha256 ${hash}`);
    }
    await this.write(hash, compiledFromStore);
    return { code: compiledFromStore, rebuilt: true };
  }
}
