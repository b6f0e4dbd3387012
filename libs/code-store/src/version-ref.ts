/**
 * How a caller names a version of a module: its id, its sequence number, `active` (the version serving)
 * or `latest` (the highest sequence number). Parsed at the edge, resolved once, in CodeStoreRepository.
 */
export type VersionRef =
  { kind: 'id'; id: string } | { kind: 'seq'; seq: number } | { kind: 'active' } | { kind: 'latest' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Sequence numbers are PostgreSQL integers: more digits could not name a version.
const SEQ = /^[1-9][0-9]{0,9}$/;
const MAX_SEQ = 2 ** 31 - 1;

/** Pure: the reference a string spells, or null when it spells none. */
export function toVersionRef(raw: string): VersionRef | null {
  if (UUID.test(raw)) return { kind: 'id', id: raw.toLowerCase() };
  if (raw === 'active' || raw === 'latest') return { kind: raw };
  if (SEQ.test(raw) && Number(raw) <= MAX_SEQ) return { kind: 'seq', seq: Number(raw) };
  return null;
}

/** How a reference reads in a message: `version 3`, `the active version`. */
export function describeVersionRef(ref: VersionRef): string {
  switch (ref.kind) {
    case 'id':
      return `version ${ref.id}`;
    case 'seq':
      return `version ${ref.seq}`;
    case 'active':
      return 'the active version';
    case 'latest':
      return 'the latest version';
  }
}
