import { levelAbove, levelBelow } from './thresholds';

describe('thresholds', () => {
  it('grades readings where higher is worse', () => {
    expect(levelAbove(10, 100, 1000)).toBe('ok');
    expect(levelAbove(100, 100, 1000)).toBe('warning');
    expect(levelAbove(5000, 100, 1000)).toBe('failing');
  });
  it('grades readings where lower is worse', () => {
    expect(levelBelow(5000, 1024, 100)).toBe('ok');
    expect(levelBelow(500, 1024, 100)).toBe('warning');
    expect(levelBelow(50, 1024, 100)).toBe('failing');
  });
});
