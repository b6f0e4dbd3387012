import { MAX_ERROR_MESSAGE, MAX_ERROR_STACK, readLoadFailure, readReport } from './harness-report.js';

const BOUNDS = { maxOutputBytes: 100, maxLogBytes: 20, maxLogLines: 3 };
const base = { logs: ['a', 'é'], truncated: false, dropped: 0 };

describe('readReport', () => {
  it('accepts a report within the bounds', () => {
    expect(readReport({ ...base, kind: 'ok', json: '"x"' }, BOUNDS)).toEqual({
      ...base,
      kind: 'ok',
      json: '"x"',
    });
    expect(readReport({ ...base, kind: 'too_large', length: 1e9 }, BOUNDS)).toMatchObject({ length: 1e9 });
  });

  it.each([
    ['more lines than maxLogLines', { logs: ['a', 'b', 'c', 'd'] }],
    [
      'more log bytes than maxLogBytes, each line counting one byte more',
      { logs: ['x'.repeat(9), 'y'.repeat(10)] },
    ],
    ['log bytes over the limit in UTF-8 only', { logs: ['é'.repeat(10)] }],
    ['a log line that is no string', { logs: [1] }],
    ['a dropped count that is no count', { dropped: -1 }],
    ['an output longer than maxOutputBytes', { kind: 'ok', json: 'x'.repeat(101) }],
    ['a message longer than the harness cuts', { kind: 'error', message: 'x'.repeat(MAX_ERROR_MESSAGE + 2) }],
    [
      'a stack longer than the harness cuts',
      { kind: 'error', message: '', stack: 'x'.repeat(MAX_ERROR_STACK + 2) },
    ],
    ['an unknown kind', { kind: 'other' }],
  ])('refuses %s', (_what, change) => {
    expect(readReport({ ...base, kind: 'ok', json: '1', ...change }, BOUNDS)).toBeUndefined();
  });
});

describe('readLoadFailure', () => {
  it('accepts a bounded failure and refuses an oversized one', () => {
    expect(readLoadFailure({ code: 'not_a_function', message: 'm' })).toEqual({
      code: 'not_a_function',
      message: 'm',
    });
    expect(
      readLoadFailure({ code: 'runtime_error', message: 'x'.repeat(MAX_ERROR_MESSAGE + 2) }),
    ).toBeUndefined();
    expect(readLoadFailure({ code: 'timeout', message: 'm' })).toBeUndefined();
  });
});
