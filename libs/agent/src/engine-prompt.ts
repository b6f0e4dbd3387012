import type { EditMode } from '@seed/code-store';

/** Pure: the engine's additions to the agent prompt: which edits it may answer with. */

export const DIFF_INSTRUCTIONS = `You may answer "source" with SEARCH/REPLACE blocks against the parent source shown above
instead of the complete file. Each block must match the parent source exactly once:
<<<<<<< SEARCH
(exact lines of the parent source)
=======
(their replacement)
>>>>>>> REPLACE`;

const REWRITE =
  'Answer with the complete new source of the module (not a diff) and a one-paragraph rationale.';

/** The last instruction of a candidate's prompt, by edit mode (`rewrite` also after a diff failed to apply). */
export function editInstruction(mode: EditMode | 'rewrite-after-failed-diff'): string {
  if (mode === 'rewrite' || mode === 'rewrite-after-failed-diff') return REWRITE;
  if (mode === 'diff')
    return `${DIFF_INSTRUCTIONS}\nAnswer with SEARCH/REPLACE blocks and a one-paragraph rationale.`;
  return `${DIFF_INSTRUCTIONS}\nOr answer with the complete new source. Either way add a one-paragraph rationale.`;
}

/** Swaps buildPrompt's closing instruction for the engine's, after any feedback on the previous answer. */
export function withEditInstruction(
  prompt: string,
  mode: Parameters<typeof editInstruction>[0],
  feedback?: string,
): string {
  const at = prompt.lastIndexOf(REWRITE);
  const body = at >= 0 ? prompt.slice(0, at) : `${prompt}\n\n`;
  return body + (feedback ? `${feedback}\n\n` : '') + editInstruction(mode);
}
