import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactCache, sha256 } from './artifact-cache';

describe('ArtifactCache', () => {
  let dir: string;
  let cache: ArtifactCache;
  const code = 'var m = { default: (x) => x };';
  const hash = sha256(code);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'artifacts-'));
    cache = new ArtifactCache(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes and reads back by content hash', async () => {
    await cache.write(hash, code);
    expect(await cache.read(hash)).toBe(code);
  });

  it('rebuilds a missing artifact from the stored code', async () => {
    expect(await cache.resolve(hash, async () => code)).toEqual({ code, rebuilt: true });
    expect(await readFile(cache.pathOf(hash), 'utf8')).toBe(code);
    expect(await cache.resolve(hash, async () => code)).toEqual({ code, rebuilt: false });
  });

  it('replaces a corrupted artifact and checks the hash', async () => {
    await cache.write(hash, code);
    await writeFile(cache.pathOf(hash), 'var m = { default: () => "evil" };');
    expect(await cache.read(hash)).toBeUndefined();
    expect(await cache.resolve(hash, async () => code)).toEqual({ code, rebuilt: true });
    expect(await cache.read(hash)).toBe(code);
  });

  it('refuses stored code that does not match its recorded hash', async () => {
    await expect(cache.resolve(hash, async () => 'tampered')).rejects.toThrow(/does not match/);
  });
});
