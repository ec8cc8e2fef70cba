/**
 * Circuit breaker on the mark.
 *
 * Time is cut into intervals of intervalMs (aligned to the epoch). The anchor is the
 * mark at the start of the current interval. A candidate further than
 * maxMovePerInterval from it (|c − anchor| × 1e6 > maxMove(ppm) × anchor) trips the
 * breaker: the mark is *held* at its last value and `breaker_tripped` is raised,
 * instead of following what may be an outlier.
 *
 * While tripped, the breaker watches for a stable level: the first candidate becomes
 * the trial level; a candidate that moves more than maxMove from the trial restarts it.
 * Once candidates have stayed within maxMove of the trial for recovery.minHealthyMs (and
 * at least one step after the trip), the breaker releases and the mark takes the
 * candidate: reason `returned` when it is back within maxMove of the held mark (it was a
 * spike), `new_level` otherwise (a real move, followed once it has settled). Without a
 * candidate (index unreliable) the trial restarts.
 */
import { abs, PPM } from '../num/index.ts';
import type { BreakerConfig } from './config.ts';
import type { BreakerState } from './state.ts';

export type BreakerTransition =
  | {
      readonly type: 'breaker_tripped';
      readonly timeMs: number;
      readonly anchorPx8: bigint;
      readonly candidatePx8: bigint;
      /** |candidate − anchor| / anchor, ppm (rounded down). */
      readonly movePpm: bigint;
    }
  | {
      readonly type: 'breaker_released';
      readonly timeMs: number;
      readonly markPx8: bigint;
      readonly reason: 'returned' | 'new_level';
      /** How long the mark was held (ms). */
      readonly heldMs: number;
    };

export interface BreakerStep {
  readonly state: BreakerState;
  /** The guarded mark (px8); null only before the first candidate. */
  readonly markPx8: bigint | null;
  readonly transitions: readonly BreakerTransition[];
}

/** |a − ref| × 1e6 > ppm × ref. */
export function movesMoreThan(a: bigint, ref: bigint, ppm: bigint): boolean {
  return abs(a - ref) * PPM > ppm * ref;
}

/**
 * One breaker step.
 * @param prevMarkPx8 the guarded mark before this step (px8), null before the first
 * @param candidatePx8 the estimator's candidate (px8), null when the index is unreliable
 * @param minHealthyMs stability required before release (ms)
 */
export function stepBreaker(
  cfg: BreakerConfig | undefined,
  st: BreakerState,
  prevMarkPx8: bigint | null,
  candidatePx8: bigint | null,
  nowMs: number,
  minHealthyMs: number,
): BreakerStep {
  if (cfg === undefined) return { state: st, markPx8: candidatePx8 ?? prevMarkPx8, transitions: [] };
  const interval = Math.floor(nowMs / cfg.intervalMs);
  const max = cfg.maxMovePerInterval;

  if (prevMarkPx8 === null) {
    // The first mark has nothing to be compared with.
    if (candidatePx8 === null) return { state: st, markPx8: null, transitions: [] };
    return {
      state: { ...st, anchorPx8: candidatePx8, anchorInterval: interval },
      markPx8: candidatePx8,
      transitions: [],
    };
  }

  if (!st.tripped) {
    const s =
      st.anchorInterval !== interval || st.anchorPx8 === null
        ? { ...st, anchorPx8: prevMarkPx8, anchorInterval: interval }
        : st;
    if (candidatePx8 === null) return { state: s, markPx8: prevMarkPx8, transitions: [] };
    const anchor = s.anchorPx8 as bigint;
    if (!movesMoreThan(candidatePx8, anchor, max))
      return { state: s, markPx8: candidatePx8, transitions: [] };
    return {
      state: { ...s, tripped: true, trippedAtMs: nowMs, trialPx8: candidatePx8, stableSinceMs: nowMs },
      markPx8: prevMarkPx8,
      transitions: [
        {
          type: 'breaker_tripped',
          timeMs: nowMs,
          anchorPx8: anchor,
          candidatePx8,
          movePpm: (abs(candidatePx8 - anchor) * PPM) / anchor,
        },
      ],
    };
  }

  // Tripped: hold until a level has been stable for minHealthyMs.
  if (candidatePx8 === null) {
    return { state: { ...st, trialPx8: null, stableSinceMs: null }, markPx8: prevMarkPx8, transitions: [] };
  }
  if (st.trialPx8 === null || st.stableSinceMs === null || movesMoreThan(candidatePx8, st.trialPx8, max)) {
    return {
      state: { ...st, trialPx8: candidatePx8, stableSinceMs: nowMs },
      markPx8: prevMarkPx8,
      transitions: [],
    };
  }
  const trippedAt = st.trippedAtMs ?? nowMs;
  if (nowMs - st.stableSinceMs >= minHealthyMs && nowMs > trippedAt) {
    return {
      state: {
        anchorPx8: candidatePx8,
        anchorInterval: interval,
        tripped: false,
        trippedAtMs: null,
        trialPx8: null,
        stableSinceMs: null,
      },
      markPx8: candidatePx8,
      transitions: [
        {
          type: 'breaker_released',
          timeMs: nowMs,
          markPx8: candidatePx8,
          reason: movesMoreThan(candidatePx8, prevMarkPx8, max) ? 'new_level' : 'returned',
          heldMs: nowMs - trippedAt,
        },
      ],
    };
  }
  return { state: st, markPx8: prevMarkPx8, transitions: [] };
}
