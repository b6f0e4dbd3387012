import { queueCounts } from './job-view';

describe('queueCounts', () => {
  it('folds prioritized and waiting-children into waiting, and counts every unfinished job as depth', () => {
    expect(
      queueCounts({
        waiting: 2,
        prioritized: 1,
        'waiting-children': 1,
        active: 3,
        delayed: 4,
        failed: 5,
        completed: 6,
      }),
    ).toEqual({ depth: 11, waiting: 4, active: 3, delayed: 4, failed: 5, completed: 6 });
  });

  it('reads a state BullMQ left out as zero', () => {
    expect(queueCounts({ active: 1 })).toEqual({
      depth: 1,
      waiting: 0,
      active: 1,
      delayed: 0,
      failed: 0,
      completed: 0,
    });
  });
});
