/** A module's kv quota, from its grant. */
export interface KvQuota {
  readonly maxKeys: number;
  readonly maxBytes: number;
}

/** What the module's other live entries use: every key but the one being written. */
export interface KvUsage {
  readonly keys: number;
  readonly bytes: number;
}

/** What one entry counts against the quota: its key's and its value's UTF-8 bytes. */
export function entryBytes(key: string, json: string): number {
  return Buffer.byteLength(key, 'utf8') + Buffer.byteLength(json, 'utf8');
}

/**
 * Why writing an entry of `bytes` beside `others` would pass the quota, or undefined when it fits. A rewrite of a
 * key counts its new size only (`others` leaves the key out). PostgreSQL's module_state_set applies the same rule
 * under the module's lock (one statement), and answers the usage it saw, which this turns into the message.
 */
export function quotaRefusal(others: KvUsage, bytes: number, quota: KvQuota): string | undefined {
  if (bytes > quota.maxBytes) return `the entry is ${bytes} bytes, over the quota of ${quota.maxBytes}`;
  if (others.keys + 1 > quota.maxKeys) return `the module has ${others.keys} keys of ${quota.maxKeys}`;
  if (others.bytes + bytes > quota.maxBytes) {
    return `the module uses ${others.bytes} bytes; this entry's ${bytes} would pass ${quota.maxBytes}`;
  }
  return undefined;
}
