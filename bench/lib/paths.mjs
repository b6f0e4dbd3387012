import { pathToFileURL } from 'node:url';

// Where the build output lives. bench/run.mjs snapshots dist/ into bench/.dist-<run>/ (other builds may wipe
// dist/ meanwhile: nest build deletes its output first) and passes it as BENCH_DIST; a benchmark started on its
// own reads dist/ directly. The snapshot stays under the project, so its imports resolve node_modules as usual.
export const ROOT = new URL('../../', import.meta.url);
const base = process.env.BENCH_DIST
  ? pathToFileURL(`${process.env.BENCH_DIST.replace(/\/$/, '')}/`)
  : new URL('dist/', ROOT);
export const dist = (path) => new URL(path, base).href;
