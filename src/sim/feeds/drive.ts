/**
 * Driving a market's oracle from a live feed. The oracle core has no clock: time comes
 * from the injected `now()` (the sim's Clock port, or Date.now in a service), so the same
 * code replays deterministically when `now` replays recorded times.
 *
 * Each input is one step at now(). A driver that knows several observations belong to the
 * same instant (a replay, a batched transport) should pass them to `step` together instead
 * (crash-replay.ts does), so the market is evaluated once with all of them.
 */
import {
  initialOracleState,
  type OracleConfig,
  type OracleInputRaw,
  type OracleState,
  type OracleStepResult,
  step,
} from '../../core/oracle/index.ts';
import type { PriceFeed } from './feed.ts';

export interface DriveOptions {
  /** Current time in ms since the epoch (injected clock); must not go backwards. */
  readonly now: () => number;
  /** Called after every step with the input that caused it. */
  readonly onStep: (result: OracleStepResult, input: OracleInputRaw) => void;
  readonly state?: OracleState;
}

/** Consumes `feed` until it ends; returns the final state. */
export async function driveOracle(
  config: OracleConfig,
  feed: PriceFeed,
  opts: DriveOptions,
): Promise<OracleState> {
  let st = opts.state ?? initialOracleState(config);
  for await (const input of feed) {
    const r = step(config, st, { nowMs: opts.now(), inputs: [input] });
    st = r.state;
    opts.onStep(r, input);
  }
  return st;
}
