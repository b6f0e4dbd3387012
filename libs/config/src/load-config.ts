import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppConfig, configSchema } from './config.schema.js';

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
