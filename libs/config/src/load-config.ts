import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseApiTokens } from './api-tokens.js';
import { AppConfig, envSchema, toAppConfig } from './config.schema.js';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Rules that only hold in production, where a missing setting must stop the start instead of defaulting. */
function productionProblems(env: z.infer<typeof envSchema>): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  if (!env.API_TOKENS) problems.push('API_TOKENS: required in production (no token is generated there)');
  return problems;
}

/** Pure: environment in, frozen config out, or a ConfigError naming every bad variable at once. */
export function loadConfig(source: Record<string, string | undefined>, version = readVersion()): AppConfig {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  const tokens = parseApiTokens(parsed.data.API_TOKENS);
  const problems = [...tokens.problems.map((p) => `API_TOKENS: ${p}`), ...productionProblems(parsed.data)];
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(toAppConfig(parsed.data, version, tokens.tokens));
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
