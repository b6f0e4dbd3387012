import { buildPrompt, feedbackFor, SYSTEM_PROMPT } from './prompt';

const input = {
  module: 'adder',
  goal: 'return the sum',
  active: { seq: 1, source: 'export default (i: { a: number; b: number }) => ({ sum: i.a - i.b });' },
  tests: [
    { name: 'adds', input: { a: 2, b: 3 }, hasExpected: true, expected: { sum: 5 } },
    { name: 'no throw', input: null, hasExpected: false },
  ],
  recentErrors: [
    {
      versionId: 'v1',
      input: { a: 'x' },
      code: 'runtime_error',
      message: 'boom',
      line: 3,
      at: '2026-01-01T00:00:00Z',
    },
    { versionId: 'v1', inputPreview: '{"big":"aaaa', code: 'timeout', message: 'too slow', at: '' },
  ],
  previous: [],
  attempt: 1,
  maxAttempts: 3,
  sdk: 'type JsonValue = unknown;',
};

describe('agent prompt', () => {
  it('holds the goal, the active source, the cases with their expectations and the recent errors', () => {
    const { system, prompt } = buildPrompt(input);
    expect(system).toBe(SYSTEM_PROMPT);
    expect(prompt).toContain('Module: adder');
    expect(prompt).toContain('return the sum');
    expect(prompt).toContain('Attempt 1 of 3.');
    expect(prompt).toContain('version 1');
    expect(prompt).toContain('sum: i.a - i.b');
    expect(prompt).toContain('- "adds": input {"a":2,"b":3} → expects {"sum":5}');
    expect(prompt).toContain('- "no throw": input null → must not throw');
    expect(prompt).toContain('- input {"a":"x"} → runtime_error: boom (line 3)');
    expect(prompt).toContain('{"big":"aaaa… (truncated) → timeout: too slow');
    expect(prompt).toContain('type JsonValue = unknown;');
    expect(prompt).not.toContain('earlier attempts');
  });

  it('feeds earlier attempts back, with the last candidate source', () => {
    const { prompt } = buildPrompt({
      ...input,
      attempt: 2,
      previous: [
        {
          attempt: 1,
          versionId: 'v2',
          seq: 2,
          status: 'rejected',
          feedback: ['compile at line 1, column 9: Expected ";"'],
          costUsd: 0,
        },
      ],
      lastCandidate: { attempt: 1, source: 'export default (' },
    });
    expect(prompt).toContain(
      'Attempt 1 (version 2, rejected):\n  - compile at line 1, column 9: Expected ";"',
    );
    expect(prompt).toContain('The source you proposed in attempt 1:\n```ts\nexport default (\n```');
  });

  it('turns diagnostics into feedback lines naming the case, input, expectation and actual output', () => {
    expect(
      feedbackFor({
        status: 'rejected',
        diagnostics: [
          { stage: 'compile', message: 'Unexpected "}"', line: 2, column: 20 },
          {
            stage: 'test',
            case: 'adds',
            message: 'case "adds" returned an unexpected output',
            input: { a: 2, b: 3 },
            expected: { sum: 5 },
            actual: { sum: 6 },
          },
        ],
      }),
    ).toEqual([
      'compile at line 2, column 20: Unexpected "}"',
      'test: case "adds" returned an unexpected output; input {"a":2,"b":3}; expected {"sum":5}; got {"sum":6}',
    ]);
    expect(feedbackFor({ status: 'superseded', diagnostics: null, activeSeq: 7 })[0]).toContain(
      'version 7 is active now',
    );
    expect(feedbackFor({ status: 'rejected', diagnostics: [] })).toEqual([
      'It ended with status rejected without diagnostics.',
    ]);
  });

  it('bounds large values', () => {
    const { prompt } = buildPrompt({
      ...input,
      tests: [{ name: 'big', input: 'x'.repeat(2000), hasExpected: false }],
    });
    expect(prompt).toContain(`"${'x'.repeat(499)}…`);
    expect(prompt).not.toContain('x'.repeat(600));
  });
});
