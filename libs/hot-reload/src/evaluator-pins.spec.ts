import { evaluatorPinProblem } from './evaluator-pins.js';

describe('evaluatorPinProblem', () => {
  const judge = { name: 'judge', kind: 'evaluator' as const };
  const version = (status: string, dryRun = false) => ({ seq: 2, status, dryRun }) as never;

  it('lets a version that passed its gates judge', () => {
    for (const status of ['ready', 'canary', 'active', 'retired', 'superseded'])
      expect(evaluatorPinProblem(judge, 'judge', version(status))).toBeNull();
  });

  it('refuses a missing module, a plain module, a missing version, a dry run and an undecided or rejected one', () => {
    expect(evaluatorPinProblem(null, 'judge')).toMatch(/does not exist/);
    expect(evaluatorPinProblem({ name: 'm', kind: 'module' } as never, 'm', version('active'))).toMatch(
      /not an evaluator/,
    );
    expect(evaluatorPinProblem(judge, 'judge', null)).toMatch(/no such version/);
    expect(evaluatorPinProblem(judge, 'judge', version('ready', true))).toMatch(/dry run/);
    for (const status of ['queued', 'compiling', 'testing', 'activating', 'rejected'])
      expect(evaluatorPinProblem(judge, 'judge', version(status))).toMatch(
        new RegExp(`is ${status}: only a version that passed`),
      );
  });
});
