import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from '../../src/embedded/free-port';
import { API_TOKENS, SHARED_REDIS_URL } from '../harness';
import { type AppProcess, spawnApp } from './processes';

export interface AppNode {
  name: string;
  app: AppProcess;
  base: string;
}

export interface AppNodes {
  nodes: AppNode[];
  /** SIGKILLs what still runs and deletes the data folders. */
  dispose(): Promise<void>;
}

/**
 * Built app processes, one per name, on one database and Redis prefix (a cluster), each with its own port and
 * data folder, started together and ready when this resolves.
 */
export async function spawnAppNodes(
  names: string[],
  shared: { databaseUrl: string; redisPrefix: string; env?: Record<string, string> },
): Promise<AppNodes> {
  const dataDirs: string[] = [];
  const nodes = await Promise.all(
    names.map(async (name) => {
      const port = await getFreePort();
      const dataDir = mkdtempSync(join(tmpdir(), 'seed-app-node-'));
      dataDirs.push(dataDir);
      const app = spawnApp({
        env: {
          NODE_NAME: name,
          DATABASE_URL: shared.databaseUrl,
          REDIS_URL: SHARED_REDIS_URL,
          REDIS_PREFIX: shared.redisPrefix,
          PORT: String(port),
          API_TOKENS,
          DATA_DIR: dataDir,
          LOG_LEVEL: 'warn',
          ...shared.env,
        },
      });
      return { name, app, base: `http://127.0.0.1:${port}` };
    }),
  );
  const dispose = async () => {
    await Promise.all(nodes.map((n) => n.app.stop('SIGKILL')));
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((n) => n.app.waitForHttp(`${n.base}/health/ready`, 60_000)));
  } catch (error) {
    await dispose();
    throw error;
  }
  return { nodes, dispose };
}
