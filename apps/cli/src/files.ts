import { readFileSync } from 'node:fs';
import { CliError, EXIT } from './cli-error.js';

export function readText(path: string, what: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${what} ${path}: ${(error as Error).message}`, EXIT.usage, 'bad_file');
  }
}

export function readJson(path: string, what: string): unknown {
  return parseJson(readText(path, what), `${what} ${path}`);
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${what} is not JSON: ${(error as Error).message}`, EXIT.usage, 'bad_json');
  }
}

export function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new CliError(`--timeout ${value}: a number of seconds is expected`, EXIT.usage);
  return n * 1000;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${value}: a whole number is expected`, EXIT.usage);
  return n;
}
