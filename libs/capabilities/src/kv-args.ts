import type { CapabilitiesConfig } from '@seed/config';
import { CapabilityError, type JsonValue } from '@seed/runtime';
import { isStorableText, unstorableReason } from './storable.js';

/** Longest TTL a kv entry may ask for: a year. */
const MAX_TTL_MS = 365 * 24 * 3600 * 1000;

export type KvOp =
  | { readonly op: 'get' | 'delete'; readonly key: string }
  | { readonly op: 'set'; readonly key: string; readonly json: string; readonly ttlMs?: number }
  | { readonly op: 'list'; readonly prefix: string };

const invalid = (message: string) => new CapabilityError('invalid_capability_args', message);

function text(value: JsonValue | undefined, what: string, maxBytes: number, min = 1): string {
  if (typeof value !== 'string') throw invalid(`kv: the ${what} must be a string`);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes < min || bytes > maxBytes) throw invalid(`kv: the ${what} must be ${min} to ${maxBytes} bytes`);
  if (!isStorableText(value)) throw invalid(`kv: the ${what} holds NUL or a lone surrogate`);
  return value;
}

/** What the module asked kv to do, checked against the node's bounds (the module's quota is the store's). */
export function parseKvOp(op: string, args: readonly JsonValue[], config: CapabilitiesConfig['kv']): KvOp {
  switch (op) {
    case 'get':
    case 'delete':
      return { op, key: text(args[0], 'key', config.maxKeyBytes) };
    case 'list':
      return { op, prefix: args[0] === undefined ? '' : text(args[0], 'prefix', config.maxKeyBytes, 0) };
    case 'set': {
      const key = text(args[0], 'key', config.maxKeyBytes);
      if (args.length < 2) throw invalid('kv.set takes a key and a value');
      const value = args[1];
      const reason = unstorableReason(value);
      if (reason) throw invalid(`kv.set: ${reason}`);
      const json = JSON.stringify(value);
      const bytes = Buffer.byteLength(json, 'utf8');
      if (bytes > config.maxValueBytes) {
        throw new CapabilityError(
          'capability_limit',
          `kv.set: the value is ${bytes} bytes, over ${config.maxValueBytes}`,
        );
      }
      const options = args[2];
      if (options === undefined || options === null) return { op, key, json };
      if (typeof options !== 'object' || Array.isArray(options))
        throw invalid('kv.set: options must be an object');
      const ttlMs = options.ttlMs;
      if (ttlMs === undefined) return { op, key, json };
      if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TTL_MS) {
        throw invalid(`kv.set: ttlMs must be an integer from 1 to ${MAX_TTL_MS}`);
      }
      return { op, key, json, ttlMs };
    }
    default:
      throw invalid(`kv has no operation ${op}`);
  }
}
