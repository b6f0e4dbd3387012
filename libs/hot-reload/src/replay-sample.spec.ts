import { mergeSample } from './replay-sample';

const entry = (caller: string, n: number) => ({ caller, json: JSON.stringify({ n }) });

describe('mergeSample', () => {
  it('keeps the newest entries first, one per input', () => {
    const merged = mergeSample([entry('a', 1)], [entry('b', 2), entry('a', 1)], 10, 5);
    expect(merged).toEqual([entry('a', 1), entry('b', 2)]);
  });

  it("caps one caller's share, so a flood cannot push the others out", () => {
    const flood = Array.from({ length: 50 }, (_, i) => entry('flooder', i));
    const merged = mergeSample(flood, [entry('a', 100), entry('b', 101)], 20, 5);
    expect(merged.filter((e) => e.caller === 'flooder')).toHaveLength(5);
    expect(merged).toContainEqual(entry('a', 100));
    expect(merged).toContainEqual(entry('b', 101));
  });

  it('stops at the sample size', () => {
    const many = Array.from({ length: 30 }, (_, i) => entry(`c${i}`, i));
    expect(mergeSample(many, [], 20, 5)).toHaveLength(20);
  });
});
