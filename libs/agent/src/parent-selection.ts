/** Pure: which archived version a candidate starts from (the Darwin Gödel Machine's rule). */

export interface ArchiveEntry {
  versionId: string;
  seq: number;
  utility: number;
  /** Candidates already made from this version (by any run). */
  children: number;
}

export interface ParentChoice {
  versionId: string;
  seq: number;
  /** Why this parent, for the run record. */
  why: string;
}

/** DGM's constants: λ sharpens the preference for utility around the midpoint α₀. */
export const SELECTION = { lambda: 10, midpoint: 0.5 } as const;

/**
 * DGM's weight: `sigmoid(λ·(utility − α₀)) · 1 / (1 + children)`. High utility draws a parent, many children
 * push it back, so a version that keeps producing failures stops being chosen and a run can leave a dead end.
 */
export function selectionWeight(entry: Pick<ArchiveEntry, 'utility' | 'children'>): number {
  const s = 1 / (1 + Math.exp(-SELECTION.lambda * (entry.utility - SELECTION.midpoint)));
  return s / (1 + Math.max(0, entry.children));
}

/**
 * One parent drawn from the archive with probability proportional to its weight; `random` is in [0, 1)
 * (passed in, so tests and replays are deterministic). Null for an empty archive.
 */
export function chooseParent(archive: readonly ArchiveEntry[], random: number): ParentChoice | null {
  if (archive.length === 0) return null;
  const weights = archive.map(selectionWeight);
  const total = weights.reduce((a, b) => a + b, 0);
  let point = Math.min(Math.max(random, 0), 1 - Number.EPSILON) * total;
  let index = archive.length - 1;
  for (const [i, w] of weights.entries()) {
    if (point < w) {
      index = i;
      break;
    }
    point -= w;
  }
  const entry = archive[index];
  const p = total > 0 ? weights[index] / total : 1 / archive.length;
  return {
    versionId: entry.versionId,
    seq: entry.seq,
    why:
      `archive: v${entry.seq} drawn with p=${p.toFixed(3)} ` +
      `(utility ${entry.utility}, ${entry.children} children, ${archive.length} in the archive)`,
  };
}

/** `parentSelection: active`: always the version that is live (today's behaviour). */
export function activeParent(active: { versionId: string; seq: number }): ParentChoice {
  return { ...active, why: `active: v${active.seq} is the live version` };
}

/** `count` parents for one round, children counted as they are handed out so one round spreads its draws. */
export function chooseParents(
  archive: readonly ArchiveEntry[],
  count: number,
  random: () => number,
): ParentChoice[] {
  const working = archive.map((e) => ({ ...e }));
  const chosen: ParentChoice[] = [];
  for (let i = 0; i < count; i++) {
    const choice = chooseParent(working, random());
    if (!choice) break;
    chosen.push(choice);
    working.find((e) => e.versionId === choice.versionId)!.children += 1;
  }
  return chosen;
}
