/** Pure: SEARCH/REPLACE edit blocks (Aider's and AlphaEvolve's format) and their strict application. */

export interface EditBlock {
  search: string;
  replace: string;
}

export type ApplyResult =
  { ok: true; source: string; blocks: number } | { ok: false; block: number; search: string; reason: string };

const BLOCK = /<{5,9} SEARCH\r?\n([\s\S]*?)\r?\n?={5,9}\r?\n([\s\S]*?)\r?\n?>{5,9} REPLACE/g;

/** The blocks of an answer, in order; none when the answer is not a diff (then it is a full rewrite). */
export function parseBlocks(answer: string): EditBlock[] {
  return [...answer.matchAll(BLOCK)].map((m) => ({ search: m[1], replace: m[2] }));
}

/**
 * Applies blocks one after another; each SEARCH must match the text so far exactly once, so an edit never
 * lands somewhere the model did not mean. The first block that does not apply ends it, with a reason the
 * next prompt quotes verbatim.
 */
export function applyBlocks(source: string, blocks: readonly EditBlock[]): ApplyResult {
  if (blocks.length === 0)
    return { ok: false, block: 0, search: '', reason: 'the answer has no SEARCH/REPLACE block' };
  let text = source;
  for (const [i, block] of blocks.entries()) {
    const n = occurrences(text, block.search);
    if (n !== 1) {
      return {
        ok: false,
        block: i + 1,
        search: block.search,
        reason:
          block.search === ''
            ? 'its SEARCH part is empty'
            : n === 0
              ? 'its SEARCH text does not occur in the source'
              : `its SEARCH text occurs ${n} times in the source; it must occur exactly once`,
      };
    }
    const at = text.indexOf(block.search);
    text = text.slice(0, at) + block.replace + text.slice(at + block.search.length);
  }
  return { ok: true, source: text, blocks: blocks.length };
}

/** What the model is told when its diff did not apply: the block verbatim, and why. */
export function applyFeedback(failure: Extract<ApplyResult, { ok: false }>): string {
  return (
    `SEARCH/REPLACE block ${failure.block} did not apply: ${failure.reason}. The block's SEARCH text was:\n` +
    `<<<<<<< SEARCH\n${failure.search}\n=======`
  );
}

function occurrences(text: string, search: string): number {
  if (search === '') return 0;
  let count = 0;
  for (let at = text.indexOf(search); at !== -1; at = text.indexOf(search, at + 1)) count++;
  return count;
}
