import { countsAgainstVersion } from './counts-against';

describe('countsAgainstVersion', () => {
  it('counts the module’s own faults only', () => {
    expect(countsAgainstVersion({ moduleFault: true, code: 'runtime_error' }, false)).toBe(true);
    expect(countsAgainstVersion({ moduleFault: false, code: 'timeout' }, false)).toBe(false);
    expect(countsAgainstVersion(undefined, false)).toBe(false);
  });

  it('never counts an InputError, even if marked as a module fault', () => {
    expect(countsAgainstVersion({ moduleFault: true, code: 'invalid_input' }, false)).toBe(false);
  });

  it('never counts a pinned call', () => {
    expect(countsAgainstVersion({ moduleFault: true, code: 'runtime_error' }, true)).toBe(false);
  });
});
