import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./cannon-worker.mjs', import.meta.url));

/**
 * Starts autocannon in a child process. `done` resolves with its figures; `stop()` ends the run early
 * (for loads that last as long as some other work).
 *
 * @param {{ url: string, path: string, method?: string, headers?: object, body?: string,
 *           connections?: number, duration: number, track?: boolean }} options
 */
export function startCannon(options) {
  const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let resolveStarted;
  const started = new Promise((resolve) => (resolveStarted = resolve));
  const done = new Promise((resolve, reject) => {
    child.on('message', (message) => {
      if (message.started) resolveStarted();
      else if (message.error) reject(new Error(`autocannon: ${message.error}`));
      else if (message.result) resolve(message.result);
    });
    child.on('exit', (code) => {
      resolveStarted();
      if (code !== 0) reject(new Error(`autocannon child exited with ${code}`));
    });
  });
  child.send({ method: 'POST', connections: 16, track: false, ...options });
  return {
    started,
    done,
    stop: () => {
      if (child.connected) child.send('stop');
    },
  };
}

export async function runCannon(options) {
  return startCannon(options).done;
}
