import { createHash } from 'node:crypto';
import { transform } from 'esbuild';

/**
 * A source's normalised form (ShinkaEvolve's duplicate check): esbuild's minified output, so candidates that
 * differ only in comments, whitespace, formatting or type annotations count as one. A source esbuild cannot
 * parse normalises to its own trimmed text (the compile stage will reject it anyway).
 */
export async function normalisedHash(source: string): Promise<string> {
  let text: string;
  try {
    text = (await transform(source, { loader: 'ts', format: 'esm', minify: true, legalComments: 'none' }))
      .code;
  } catch {
    text = source.trim();
  }
  return createHash('sha256').update(text).digest('hex');
}
