import 'reflect-metadata';
import { ConfigError, loadConfigFromProcess, type AppConfig } from '@seed/config';
import { createApp, startApp } from './bootstrap.js';
import { bootLogger } from './logging.js';
import { resolveResources } from './resources.js';
import { shutdownGracefully } from './shutdown.js';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfigFromProcess();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const log = bootLogger(config);
  const boot = (message: string) => log.info({ context: 'Boot' }, message);

  const resources = await resolveResources(config, boot);
  const app = await createApp(resources.config);
  await startApp(app, resources.config);
  boot(
    config.http.enabled
      ? `seed-agent ${config.version} listening on http://${config.http.host}:${config.http.port}`
      : `seed-agent ${config.version} running without HTTP server`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    boot(`${signal} received: shutting down`);
    const outcome = await shutdownGracefully(app, config.shutdownTimeoutMs, resources.stop, boot);
    process.exit(outcome === 'clean' ? 0 : 1);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `seed-agent failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
