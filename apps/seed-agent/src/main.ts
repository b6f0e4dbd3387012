import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError, loadConfigFromProcess, scrubSecretsFromProcessEnv, type AppConfig } from '@seed/config';
import { createApp, startApp } from './bootstrap.js';
import { ensurePrivateDir } from './data-dir.js';
import { EmbeddedRedisUnavailableError } from './embedded/embedded-redis.js';
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
  scrubSecretsFromProcessEnv();
  const log = bootLogger(config);
  const boot = (message: string) => log.info({ context: 'Boot' }, message);

  // Before the embedded servers create their folders in it.
  ensurePrivateDir(config.dataDir, (message) => log.warn({ context: 'Boot' }, message));
  const resources = await resolveResources(config, boot);
  let app: NestFastifyApplication | undefined;
  try {
    app = await createApp(resources.config);
    await startApp(app, resources.config);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await resources.stop().catch(() => undefined);
    throw error;
  }
  const running = app;
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
    const outcome = await shutdownGracefully(running, config.shutdownTimeoutMs, resources.stop, boot);
    process.exit(outcome === 'clean' ? 0 : 1);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof EmbeddedRedisUnavailableError) {
    process.stderr.write(`seed-agent cannot start: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `seed-agent failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
