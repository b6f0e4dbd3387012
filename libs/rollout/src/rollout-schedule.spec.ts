import { DEFAULT_STEPS, stepSchedule } from './rollout-schedule';
import { RolloutError } from './rollout.errors';

describe('stepSchedule', () => {
  it('defaults to 5, 25, 50, 100', () => {
    expect(stepSchedule({})).toEqual([...DEFAULT_STEPS]);
  });

  it('takes explicit steps as given', () => {
    expect(stepSchedule({ steps: [1, 10, 100] })).toEqual([1, 10, 100]);
  });

  it('ramps stepWeight up to maxWeight, maxWeight always last', () => {
    expect(stepSchedule({ stepWeight: 20, maxWeight: 50 })).toEqual([20, 40, 50]);
    expect(stepSchedule({ stepWeight: 25 })).toEqual([25, 50, 75, 100]);
    expect(stepSchedule({ maxWeight: 30 })).toEqual([10, 20, 30]);
  });

  it.each([
    [{ steps: [5, 50], stepWeight: 10 }, 'not both'],
    [{ steps: [5, 50], maxWeight: 50 }, 'not both'],
    [{ steps: [] }, 'empty'],
    [{ steps: [50, 25] }, 'increase'],
    [{ steps: [25, 25] }, 'increase'],
    [{ steps: [0, 50] }, '1..100'],
    [{ steps: [50, 101] }, '1..100'],
    [{ steps: [Number.NaN] }, '1..100'],
    [{ stepWeight: 0 }, '1..100'],
    [{ stepWeight: 10, maxWeight: 120 }, '1..100'],
  ])('rejects %j', (input, message) => {
    expect(() => stepSchedule(input)).toThrow(RolloutError);
    expect(() => stepSchedule(input)).toThrow(message);
  });
});
