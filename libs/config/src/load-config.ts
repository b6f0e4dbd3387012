import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { AppConfig, configSchema } from './config.schema.js';
import { ENV_SECTIONS } from './env.schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Pure: environment in, frozen config out, or a ConfigError naming every bad variable at once. */
export function loadConfig(source: Record<string, string | undefined>, version = readVersion()): AppConfig {
  const parsed = configSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  return deepFreeze({ ...parsed.data, version });
}

/** The only place the process environment is read. */
export function loadConfigFromProcess(): AppConfig {
  return loadConfig(process.env);
}

/** The variables marked secret in the schema (tokens, keys, URLs that may hold passwords). */
export const SECRET_VARIABLES: readonly string[] = ENV_SECTIONS.flatMap((section) =>
  Object.entries(section.variables).flatMap(([name, schema]) =>
    z.globalRegistry.get(schema)?.secret === true ? [name] : [],
  ),
);

/**
 * Deletes the secret variables from process.env once the config holds them, so no child process started
 * with the default environment (embedded Redis, anything a dependency spawns) inherits them and no later
 * code can read them there. The process's initial environment stays readable in /proc/<pid>/environ by
 * the same user: this is no defence against code running as the service user.
 */
export function scrubSecretsFromProcessEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of SECRET_VARIABLES) delete env[name];
}

export function readVersion(file = resolve('VERSION')): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '0.0.0-unknown';
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
