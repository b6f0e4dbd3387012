/** One replayable input (its JSON) and who sent it (the token's name). */
export interface SampleEntry {
  caller: string;
  json: string;
  /** the JSON of the capability calls it made and what they got, when it made any */
  transcript?: string;
}

/**
 * Pure: `added` (newest first) in front of `stored` (newest first), one entry per input (the newest wins),
 * at most `perCaller` entries per caller and `size` in all.
 */
export function mergeSample(
  added: readonly SampleEntry[],
  stored: readonly SampleEntry[],
  size: number,
  perCaller: number,
): SampleEntry[] {
  const seen = new Set<string>();
  const perCallerCount = new Map<string, number>();
  const merged: SampleEntry[] = [];
  for (const entry of [...added, ...stored]) {
    if (merged.length >= size) break;
    if (seen.has(entry.json)) continue;
    seen.add(entry.json);
    const count = perCallerCount.get(entry.caller) ?? 0;
    if (count >= perCaller) continue;
    perCallerCount.set(entry.caller, count + 1);
    merged.push(entry);
  }
  return merged;
}
