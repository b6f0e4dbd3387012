export type Level = 'ok' | 'warning' | 'failing';

/** Pure: a reading against a warning and a failing threshold (higher is worse). */
export function levelAbove(value: number, warnAt: number, failAt: number): Level {
  if (value >= failAt) return 'failing';
  if (value >= warnAt) return 'warning';
  return 'ok';
}

/** Pure: a reading against thresholds where lower is worse (free disk). */
export function levelBelow(value: number, warnAt: number, failAt: number): Level {
  if (value <= failAt) return 'failing';
  if (value <= warnAt) return 'warning';
  return 'ok';
}
