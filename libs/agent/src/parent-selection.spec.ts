import { chooseParent, chooseParents, selectionWeight } from './parent-selection.js';

describe('parent selection (DGM)', () => {
  it('weighs by utility and by few children', () => {
    expect(selectionWeight({ utility: 0.9, children: 0 })).toBeGreaterThan(
      selectionWeight({ utility: 0.6, children: 0 }),
    );
    expect(selectionWeight({ utility: 0.9, children: 0 })).toBeCloseTo(
      2 * selectionWeight({ utility: 0.9, children: 1 }),
    );
  });

  it('leaves a dead end: a parent whose many children all failed stops being drawn most', () => {
    const archive = [
      { versionId: 'dead-end', seq: 3, utility: 0.9, children: 12 },
      { versionId: 'older', seq: 2, utility: 0.8, children: 0 },
    ];
    const draws = Array.from({ length: 100 }, (_, i) => chooseParent(archive, (i + 0.5) / 100)!.versionId);
    const fromOlder = draws.filter((d) => d === 'older').length;
    expect(fromOlder).toBeGreaterThan(80);
    expect(draws).toContain('dead-end'); // never ruled out
  });

  it('is deterministic given the random draw, and explains the choice', () => {
    const archive = [{ versionId: 'a', seq: 1, utility: 1, children: 0 }];
    const choice = chooseParent(archive, 0.42)!;
    expect(choice).toEqual({ versionId: 'a', seq: 1, why: expect.stringContaining('v1 drawn with p=1.000') });
    expect(chooseParent([], 0.5)).toBeNull();
  });

  it('spreads one round over parents by counting the children it hands out', () => {
    const archive = [
      { versionId: 'a', seq: 1, utility: 0.9, children: 0 },
      { versionId: 'b', seq: 2, utility: 0.9, children: 0 },
    ];
    const parents = chooseParents(archive, 2, () => 0.4).map((p) => p.versionId);
    expect(parents).toEqual(['a', 'b']);
  });
});
