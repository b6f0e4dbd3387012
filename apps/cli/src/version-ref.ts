import type { ApiClient } from './api-client.js';
import { CliError, EXIT } from './cli-error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PAGE = 200;

/**
 * A version named the way people name them: its id, its sequence number (`3` or `@3`), or `active`.
 * The API takes ids only, so the others are looked up.
 */
export async function resolveVersion(client: ApiClient, module: string, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref;
  const path = `/modules/${encodeURIComponent(module)}`;
  if (ref === 'active') {
    const { activeVersionId } = await client.get(path);
    if (!activeVersionId)
      throw new CliError(`module ${module} has no active version`, EXIT.failed, 'no_active_version');
    return activeVersionId;
  }
  const seq = /^@?(\d+)$/.exec(ref)?.[1];
  if (!seq)
    throw new CliError(
      `${JSON.stringify(ref)} is not a version id, a sequence number or "active"`,
      EXIT.usage,
      'bad_version',
    );
  for (let offset = 0; ; offset += PAGE) {
    const page = await client.get(`${path}/versions?limit=${PAGE}&offset=${offset}`);
    const found = (page.items as { id: string; seq: number }[]).find((v) => v.seq === Number(seq));
    if (found) return found.id;
    if (offset + PAGE >= page.total) break;
  }
  throw new CliError(`module ${module} has no version ${seq}`, EXIT.failed, 'version_not_found');
}
