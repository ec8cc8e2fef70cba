/**
 * The crash driver: walks a crash's time-ordered ticks — the demo's oracle steps or kline
 * points, the risk lab's exogenous price points — and settles funding on the way, the same
 * way for every driver.
 *
 * Per tick at time t:
 * 1. a new minute (minutes since the start) opens: `minuteStart(m)`;
 * 2. funding: every 8-hour boundary (00:00, 08:00, 16:00 UTC) strictly after the start and
 *    at or before t settles first (`funding(boundaryMs)`: a `funding_tick` and the keeper's
 *    liquidation rounds);
 * 3. `minuteReady(m)` (after that minute's funding: the lab's capital samples and policy tick);
 * 4. `tick(t)`: the tick itself — prices or oracle observations and the keeper's rounds
 *    (core/keeper), plus whatever the driver adds (the lab's book model and responders).
 *
 * The bundled series are single price series (mark or trade prices, no index), so no premium
 * can be derived from them: the premium index is the documented constant
 * FUNDING_PREMIUM_INDEX = 0, which gives Binance's default rate of +0.01 % per 8 h (the
 * interest rate; longs pay shorts).
 */

/** Funding settles every 8 hours (00:00, 08:00, 16:00 UTC), in the demo and the lab. */
export const FUNDING_INTERVAL_MS = 8 * 3600 * 1000;
/** Premium index used at every funding tick (see the module header). */
export const FUNDING_PREMIUM_INDEX = '0';

export interface CrashTick {
  readonly timeMs: number;
}

export interface CrashDrive<T extends CrashTick> {
  /** Start of the crash window, ms (minute 0; funding boundaries strictly after it). */
  readonly startMs: number;
  /** Settles funding at an 8-hour boundary; omitted: no funding. */
  readonly funding?: (boundaryMs: number) => void;
  /** The first tick of minute `m`, before that minute's funding. */
  readonly minuteStart?: (m: number) => void;
  /** The first tick of minute `m`, after that minute's funding. */
  readonly minuteReady?: (m: number) => void;
  /** The tick itself (`index` counts from 0). */
  readonly tick: (tick: T, index: number) => void;
}

/**
 * Drives `ticks` (strictly increasing times) through `drive`; returns the number of ticks.
 *
 * @example
 * driveCrash(points, { startMs, funding: fundingAt, tick: (p) => keeperTick(engine, toInput(p), keeper) });
 */
export function driveCrash<T extends CrashTick>(ticks: Iterable<T>, drive: CrashDrive<T>): number {
  let nextFunding = (Math.floor(drive.startMs / FUNDING_INTERVAL_MS) + 1) * FUNDING_INTERVAL_MS;
  let minute: number | undefined;
  let n = 0;
  for (const t of ticks) {
    const m = Math.floor((t.timeMs - drive.startMs) / 60_000);
    const newMinute = m !== minute;
    if (newMinute) {
      minute = m;
      drive.minuteStart?.(m);
    }
    while (nextFunding <= t.timeMs) {
      drive.funding?.(nextFunding);
      nextFunding += FUNDING_INTERVAL_MS;
    }
    if (newMinute) drive.minuteReady?.(m);
    drive.tick(t, n++);
  }
  return n;
}
