import { RolloutError } from './rollout.errors.js';

/** The weights a rollout walks through when neither `steps` nor `stepWeight` is given. */
export const DEFAULT_STEPS: readonly number[] = [5, 25, 50, 100];

export interface ScheduleInput {
  steps?: readonly number[];
  stepWeight?: number;
  maxWeight?: number;
}

/**
 * Pure: the canary weights (percent, strictly increasing, each in 1..100) of a rollout's steps. Either an
 * explicit list or `stepWeight` up to `maxWeight` (default 100; `maxWeight` is always the last step). After the
 * last step passes its analysis the version is promoted, whatever that step's weight.
 */
export function stepSchedule(input: ScheduleInput): number[] {
  const stepped = input.stepWeight !== undefined || input.maxWeight !== undefined;
  if (input.steps && stepped) {
    throw new RolloutError('invalid_rollout', 'give either steps or stepWeight/maxWeight, not both');
  }
  const weights = input.steps
    ? [...input.steps]
    : stepped
      ? ramp(input.stepWeight, input.maxWeight)
      : [...DEFAULT_STEPS];
  if (weights.length === 0) throw new RolloutError('invalid_rollout', 'steps must not be empty');
  weights.forEach((weight, i) => {
    if (!Number.isFinite(weight) || weight <= 0 || weight > 100) {
      throw new RolloutError('invalid_rollout', `step weight ${weight} is not in 1..100`, { step: i });
    }
    if (i > 0 && weight <= weights[i - 1]) {
      throw new RolloutError('invalid_rollout', 'step weights must increase', { step: i });
    }
  });
  return weights;
}

function ramp(stepWeight = 10, maxWeight = 100): number[] {
  if (!(stepWeight > 0) || !(maxWeight > 0) || maxWeight > 100) {
    throw new RolloutError('invalid_rollout', 'stepWeight and maxWeight must be in 1..100');
  }
  const weights: number[] = [];
  for (let weight = stepWeight; weight < maxWeight; weight += stepWeight) weights.push(weight);
  weights.push(maxWeight);
  return weights;
}
