// Summarises a V8 CPU profile (.cpuprofile from BENCH_CPU_PROF) as self time by package and by function, so a
// missed aim can be explained with where the main thread spends its samples.
// Usage: node bench/profile-summary.mjs <file.cpuprofile> [rows]
import { readFileSync } from 'node:fs';

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [rows]');
  process.exit(2);
}
const rows = Number(rowsArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
for (const id of profile.samples) self.set(id, (self.get(id) ?? 0) + 1);
const total = profile.samples.length;

/** node_modules/<pkg> (scoped too), our own dist/<lib>, node: internals, or the V8 pseudo-frames */
function owner(url, name) {
  if (!url) return `(${name || 'native'})`;
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1];
  const ours = url.match(/dist\/((?:libs|apps)\/[^/]+)/);
  if (ours) return `seed: ${ours[1]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url.split('/').slice(-2).join('/');
}

const byOwner = new Map();
const byFunction = new Map();
for (const [id, count] of self) {
  const { callFrame } = nodes.get(id);
  const who = owner(callFrame.url, callFrame.functionName);
  byOwner.set(who, (byOwner.get(who) ?? 0) + count);
  const fn = `${callFrame.functionName || '(anonymous)'} — ${who}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + count);
}
const table = (map) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([what, count]) => ({ what, '% of samples': Number(((100 * count) / total).toFixed(1)) }));
console.log(`${file}: ${total} samples`);
console.table(table(byOwner));
console.table(table(byFunction));
