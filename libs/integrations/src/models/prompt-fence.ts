/**
 * Pure: fences for text a model must read as data (callers' inputs, module sources, error messages), so
 * that the text cannot close the block it sits in and pass itself off as our instructions.
 */

/** `<` and the look-alikes a model may read as one. */
const OPENERS = '<\uFF1C\uFE64\u2039\u3008\u27E8';

/**
 * Makes every tag named in `names` inert in `text`: an opening or closing tag, in any case, with spaces or
 * a look-alike bracket, gets its bracket escaped as `&lt;`. Other text is left as it is.
 */
export function neutralizeTags(text: string, names: readonly string[]): string {
  const pattern = new RegExp(`[${OPENERS}](?=\\s*/?\\s*(?:${names.join('|')})(?![\\w-]))`, 'giu');
  return text.replace(pattern, '&lt;');
}

/** `content` as one data block the model is told never to obey: `<untrusted kind="…">…</untrusted>`. */
export function untrusted(kind: string, content: string): string {
  return `<untrusted kind="${kind}">\n${neutralizeTags(content, ['untrusted'])}\n</untrusted>`;
}
