import { whyWaiting } from './waiting.js';

describe('whyWaiting', () => {
  const v = { dryRun: false, activateRequested: true, authorRole: 'admin' as const };
  it('names the reason a ready version waits', () => {
    expect(whyWaiting({ ...v, dryRun: true }, {})).toMatch(/dry run/);
    expect(whyWaiting({ ...v, authorRole: 'agent' }, { requireApproval: true })).toMatch(/approval/);
    expect(whyWaiting({ ...v, activateRequested: false }, {})).toMatch(/without activate/);
    expect(whyWaiting({ ...v, activateRequested: false, authorRole: 'agent' }, {})).toMatch(
      /improvement run/,
    );
    expect(whyWaiting(v, { autoActivate: false })).toMatch(/autoActivate off/);
  });
});
