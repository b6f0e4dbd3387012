/** What isolated-vm's rejections and the harness's load answers mean, as the failures a caller sees. */

import type ivm from 'isolated-vm';
import { InvokeError, ModuleLoadError, type InvokeFailureCode } from './failures.js';
import { clipMessage, readLoadFailure } from './harness-report.js';
import { mapStack, type SourceMap } from './source-map.js';

/** Script name of the compiled module inside the isolate, and of its source in mapped stacks. */
export const COMPILED_NAME = 'module.js';
export const SOURCE_NAME = 'module.ts';

// isolated-vm's errors come from the main realm, so `instanceof Error` fails under Jest's vm realm: duck-type them
function errorField(error: unknown, field: 'name' | 'message' | 'stack'): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

export function failureCode(error: unknown, isolate: ivm.Isolate, disposedByHost = false): InvokeFailureCode {
  const message = errorField(error, 'message') ?? String(error);
  if (/timed out/i.test(message)) return 'timeout';
  if (disposedByHost) return 'disposed';
  if (/memory limit/i.test(message) || isolate.isDisposed) return 'memory_limit';
  return 'runtime_error';
}

function failureMessage(code: InvokeFailureCode, error: unknown, cpuTimeoutMs: number): string {
  const message = clipMessage(errorField(error, 'message') ?? String(error));
  switch (code) {
    case 'timeout':
      return `the module exceeded its CPU timeout of ${cpuTimeoutMs} ms`;
    case 'memory_limit':
      return 'the module exceeded its memory limit';
    case 'disposed':
      return 'the version was unloaded during the call';
    default:
      return message;
  }
}

/** The failure a call gets from an isolated-vm rejection (a timeout, a disposal) of the task it was running in. */
export function callFailure(
  error: unknown,
  isolate: ivm.Isolate,
  disposedByHost: boolean,
  cpuTimeoutMs: number,
): InvokeError {
  const code = failureCode(error, isolate, disposedByHost);
  return new InvokeError(code, failureMessage(code, error, cpuTimeoutMs));
}

/** What the harness answered instead of an invoke function: the module's top-level throw, or no function. */
export function refusedLoad(raw: unknown, map?: SourceMap): ModuleLoadError {
  const failure = readLoadFailure(raw);
  if (!failure) return new ModuleLoadError('runtime_error', 'the module broke the sandbox while loading');
  const text = failure.name ? `${failure.name}: ${failure.message}` : failure.message;
  const { position } = mapStack(failure.stack ?? '', COMPILED_NAME, SOURCE_NAME, map);
  return new ModuleLoadError(failure.code, text, position ?? {});
}

/** Errors of isolated-vm itself and of V8's compiler: no module code made them, but they can quote its source. */
export function loadError(
  code: InvokeFailureCode | 'syntax_error',
  error: unknown,
  map?: SourceMap,
): ModuleLoadError {
  const loadCode =
    code === 'timeout' || code === 'memory_limit' || code === 'syntax_error' ? code : 'runtime_error';
  const message = errorField(error, 'message');
  const base = message === undefined ? String(error) : `${errorField(error, 'name') ?? 'Error'}: ${message}`;
  // a syntax error carries its position in the message: "Unexpected token ';' [module.js:2:7]"
  const stack = `${errorField(error, 'stack') ?? ''}\n${message ?? ''}`;
  const { position } = mapStack(stack, COMPILED_NAME, SOURCE_NAME, map);
  const text =
    loadCode === 'timeout'
      ? "the module's top-level code exceeded its CPU timeout"
      : loadCode === 'memory_limit'
        ? "the module's top-level code exceeded its memory limit"
        : clipMessage(base);
  return new ModuleLoadError(loadCode, text, position ?? {});
}
