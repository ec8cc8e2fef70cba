/**
 * Safe mode: the per-market state in which liquidations pause and risk-increasing
 * trades are refused (the engine enforces both; risk-reducing trades stay allowed).
 *
 * Safe mode is active exactly while at least one reason holds:
 * - `no_mark`          — the market has never had a reliable price;
 * - `index_unreliable` — fewer than minSources valid sources;
 * - `recovering`       — the index is reliable again, but for less than recovery.minHealthyMs
 *                        (this caps how fast a feed that failed can be trusted again);
 * - `breaker_tripped`  — the circuit breaker holds the mark.
 * A market starts in safe mode. Entering and leaving are reported as transitions
 * (`safe_mode_entered` with the reasons, `safe_mode_exited` with the time spent), which
 * the engine records as events.
 */
import type { SafeModeReason, SafeModeState } from './state.ts';

export type SafeModeTransition =
  | {
      readonly type: 'safe_mode_entered';
      readonly timeMs: number;
      readonly reasons: readonly SafeModeReason[];
    }
  | {
      readonly type: 'safe_mode_exited';
      readonly timeMs: number;
      /** Time spent in safe mode (ms); null when it had been on since the market started. */
      readonly durationMs: number | null;
    };

export interface SafeModeInputs {
  readonly hasMark: boolean;
  readonly indexReliable: boolean;
  /** Since when the index has been reliable (ms), null if it is not. */
  readonly indexReliableSinceMs: number | null;
  readonly breakerTripped: boolean;
}

/** The reasons that hold at nowMs, in a fixed order. */
export function safeModeReasons(
  inputs: SafeModeInputs,
  nowMs: number,
  minHealthyMs: number,
): SafeModeReason[] {
  const reasons: SafeModeReason[] = [];
  if (!inputs.hasMark) reasons.push('no_mark');
  if (!inputs.indexReliable) reasons.push('index_unreliable');
  else if (inputs.indexReliableSinceMs === null || nowMs - inputs.indexReliableSinceMs < minHealthyMs) {
    reasons.push('recovering');
  }
  if (inputs.breakerTripped) reasons.push('breaker_tripped');
  return reasons;
}

/**
 * One safe-mode step.
 * @param minHealthyMs how long the index must have been reliable before safe mode ends (ms)
 */
export function stepSafeMode(
  st: SafeModeState,
  inputs: SafeModeInputs,
  nowMs: number,
  minHealthyMs: number,
): { state: SafeModeState; transitions: SafeModeTransition[] } {
  const reasons = safeModeReasons(inputs, nowMs, minHealthyMs);
  const active = reasons.length > 0;
  if (active && !st.active) {
    return {
      state: { active, sinceMs: nowMs, reasons },
      transitions: [{ type: 'safe_mode_entered', timeMs: nowMs, reasons }],
    };
  }
  if (!active && st.active) {
    return {
      state: { active, sinceMs: st.sinceMs, reasons },
      transitions: [
        {
          type: 'safe_mode_exited',
          timeMs: nowMs,
          durationMs: st.sinceMs === null ? null : nowMs - st.sinceMs,
        },
      ],
    };
  }
  return { state: { active, sinceMs: st.sinceMs, reasons }, transitions: [] };
}

/**
 * Whether a position change adds risk: the size grows in magnitude or flips side.
 * In safe mode such trades are refused; reducing or closing is always allowed.
 * @param beforeQty9 signed size before (qty9)
 * @param afterQty9 signed size after (qty9)
 */
export function increasesRisk(beforeQty9: bigint, afterQty9: bigint): boolean {
  if (afterQty9 === 0n) return false;
  if (beforeQty9 === 0n) return true;
  if (beforeQty9 > 0n !== afterQty9 > 0n) return true;
  return (afterQty9 < 0n ? -afterQty9 : afterQty9) > (beforeQty9 < 0n ? -beforeQty9 : beforeQty9);
}
