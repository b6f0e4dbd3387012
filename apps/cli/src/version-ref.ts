import type { ApiClient } from './api-client.js';

/**
 * A version named the way people name them: its id, its sequence number (`3` or `@3`), `active` or `latest`.
 * The server takes all of these (docs/http-api.md "Version references") and says which is wrong; only the
 * `@` people type from `greet@3` is dropped here.
 */
export function versionRef(ref: string): string {
  return ref.replace(/^@(?=\d+$)/, '');
}

/** The id of a version, for the one body that takes ids only (a rollout's `versionId`). */
export async function resolveVersion(client: ApiClient, module: string, ref: string): Promise<string> {
  const { id } = await client.get(
    `/modules/${encodeURIComponent(module)}/versions/${encodeURIComponent(versionRef(ref))}`,
  );
  return id as string;
}
