/**
 * Sampling intervals for synthetic paths, in years of 365 days (crypto trades 24/7).
 */
import { DAYS_PER_YEAR, HOURS_PER_YEAR, MINUTES_PER_YEAR } from '../../analytics/first-passage.ts';

/** A path's step: one minute, one hour or one day. */
export type PathInterval = 'minute' | 'hour' | 'day';

/** Length of one step in years. @example dtYears('hour'); // 1/8760 */
export function dtYears(interval: PathInterval): number {
  switch (interval) {
    case 'minute':
      return 1 / MINUTES_PER_YEAR;
    case 'hour':
      return 1 / HOURS_PER_YEAR;
    case 'day':
      return 1 / DAYS_PER_YEAR;
  }
}

/** Common checks of path parameters. */
export function checkPathBasics(s0: number, steps: number, dt: number): void {
  if (!(s0 > 0 && Number.isFinite(s0))) throw new RangeError(`path: s0 must be finite and > 0, got ${s0}`);
  if (!(Number.isInteger(steps) && steps >= 0))
    throw new RangeError(`path: steps must be an integer >= 0, got ${steps}`);
  if (!(dt > 0 && Number.isFinite(dt))) throw new RangeError(`path: dt must be finite and > 0, got ${dt}`);
}
