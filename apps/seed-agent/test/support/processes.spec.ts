import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '../../src/embedded/free-port.js';
import { spawnApp, type AppProcess } from './processes.js';

// A stand-in for the app: logs, serves HTTP after a delay, drains on SIGTERM and exits with code 3.
const SCRIPT = `
import { createServer } from 'node:http';
console.log('env GREETING=' + process.env.GREETING + ' HOME=' + process.env.HOME);
console.error('a line on stderr');
let server;
setTimeout(() => {
  server = createServer((req, res) => res.end('ok'));
  server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
}, 300);
process.on('SIGTERM', () => {
  console.log('draining');
  if (process.env.IGNORE_SIGTERM) return;
  server.close(() => process.exit(3));
});
`;

describe('spawnApp', () => {
  let dir: string;
  let script: string;
  const apps: AppProcess[] = [];
  const start = (env: Record<string, string>): AppProcess => {
    const app = spawnApp({ env, cwd: dir, script });
    apps.push(app);
    return app;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'seed-spawn-'));
    script = join(dir, 'fake-app.mjs');
    writeFileSync(script, SCRIPT);
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes only the given env and PATH, collects both streams, waits for HTTP and stops', async () => {
    const port = await getFreePort();
    const app = start({ GREETING: 'hi', PORT: String(port) });

    expect(await app.waitForLine(/^env /)).toBe('env GREETING=hi HOME=undefined');
    await app.waitForHttp(`http://127.0.0.1:${port}/`, 5000);
    expect(app.lines).toContainEqual({ stream: 'stderr', text: 'a line on stderr' });
    expect(app.lines).toContainEqual({ stream: 'stdout', text: 'listening' });

    expect(await app.stop()).toBe(3);
    expect(app.lines.map((l) => l.text)).toContain('draining');
  });

  it('fails a wait with the recent output when it times out or the process exits', async () => {
    const app = start({ PORT: String(await getFreePort()) });
    await expect(app.waitForLine(/never printed/, 500)).rejects.toThrow(
      /timed out after 500 ms[\s\S]*env GREETING/,
    );
    const waiting = app.waitForLine(/never printed/, 10_000);
    await app.stop();
    await expect(waiting).rejects.toThrow(/process exited/);
  });

  it('kills a process that ignores the signal', async () => {
    const app = start({ PORT: String(await getFreePort()), IGNORE_SIGTERM: '1' });
    await app.waitForLine(/listening/);
    expect(await app.stop('SIGTERM', 300)).toBeNull();
    expect((await app.exited).signal).toBe('SIGKILL');
  });
});
