import { compileModule } from '../src/compile.js';
import { LoadedVersion } from '../src/loaded-version.js';
it('dbg', async () => {
  const r = await compileModule("type T = string;\nconst x: T = 'a';\nthrow new Error('boom ' + x);\n");
  if (r.ok) console.log(r.code);
  if (r.ok) await LoadedVersion.load({ module: 'm', versionId: 'v', code: r.code, limits: { memoryMb: 16, cpuTimeoutMs: 100, wallTimeoutMs: 100, concurrency: 1, queueLimit: 1, maxOutputBytes: 100, maxLogBytes: 100 } }).catch((e) => console.log(e, e.stack));
});
