import { applyBlocks, applyFeedback, parseBlocks } from './search-replace.js';

const source = `export default (input: number) => {
  return input + 1;
};
`;

describe('SEARCH/REPLACE edits', () => {
  it('parses blocks and applies each where it matches once', () => {
    const answer = `Fix the increment.
<<<<<<< SEARCH
  return input + 1;
=======
  return input + 2;
>>>>>>> REPLACE`;
    const blocks = parseBlocks(answer);
    expect(blocks).toEqual([{ search: '  return input + 1;', replace: '  return input + 2;' }]);
    const result = applyBlocks(source, blocks);
    expect(result).toEqual({ ok: true, source: source.replace('+ 1', '+ 2'), blocks: 1 });
  });

  it('applies several blocks in order, each against the text so far', () => {
    const result = applyBlocks('a b c', [
      { search: 'a', replace: 'x' },
      { search: 'x b', replace: 'y' },
    ]);
    expect(result).toEqual({ ok: true, source: 'y c', blocks: 2 });
  });

  it('refuses a block that does not match, or matches more than once, naming it for the feedback', () => {
    const missing = applyBlocks(source, [{ search: 'return input - 1;', replace: '' }]);
    expect(missing).toMatchObject({
      ok: false,
      block: 1,
      reason: 'its SEARCH text does not occur in the source',
    });
    const twice = applyBlocks('a a', [{ search: 'a', replace: 'b' }]);
    expect(twice).toMatchObject({ ok: false, reason: expect.stringContaining('occurs 2 times') });
    if (!missing.ok) expect(applyFeedback(missing)).toContain('return input - 1;');
  });

  it('finds no blocks in a full rewrite', () => {
    expect(parseBlocks(source)).toEqual([]);
    expect(applyBlocks(source, [])).toMatchObject({ ok: false });
  });
});
