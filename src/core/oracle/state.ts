/**
 * OracleState: everything one market's oracle remembers, as plain data (bigints,
 * numbers, arrays, Maps with a fixed insertion order). It is never mutated: each
 * step returns a new state that shares unchanged parts. codec.ts turns it into
 * canonical JSON for snapshots and state hashes.
 *
 * Units: prices px8 (quote per base, 8 decimals), premium at 9 decimals (rate9,
 * 1e9 = 100%), times ms since the Unix epoch, durations ms.
 */
import type { OracleConfig } from './config.ts';
import { type OracleRejectionCode, OracleRejectionCodes } from './errors.ts';

/** The last accepted observation of one source. */
export interface SourceObservation {
  readonly pricePx8: bigint;
  readonly timeMs: number;
  /** Confidence half-width, px8; null when the source gives none. */
  readonly confidencePx8: bigint | null;
  /** Volume, base units qty9; null when absent. */
  readonly volumeQty9: bigint | null;
}

export interface SourceState {
  readonly id: string;
  readonly last: SourceObservation | null;
  /** Since when the source has passed every check at each evaluation (null: failing now or never seen). */
  readonly healthySinceMs: number | null;
  readonly accepted: number;
  readonly rejected: number;
}

export interface IndexState {
  /** Index px8 at the last evaluation; null when unreliable. */
  readonly pricePx8: bigint | null;
  readonly reliable: boolean;
  /** Since when the index has been reliable without a break (null when unreliable). */
  readonly reliableSinceMs: number | null;
  /**
   * The index if it was reliable and its sources carry more than half of the configured
   * weight: prints are screened against it (ORACLE_IMPLAUSIBLE_PRICE); else null.
   */
  readonly screenPx8: bigint | null;
}

export interface PremiumState {
  /** EMA of the premium (venue price − index) / index, 9 decimals; null before the first sample. */
  readonly ema9: bigint | null;
  /** Sampling interval number (floor(time / emaIntervalMs)) of the last EMA update. */
  readonly interval: number | null;
}

export interface BreakerState {
  /** Mark at the start of the current interval: the reference for the max move. */
  readonly anchorPx8: bigint | null;
  /** Interval number (floor(time / intervalMs)) the anchor belongs to. */
  readonly anchorInterval: number | null;
  readonly tripped: boolean;
  readonly trippedAtMs: number | null;
  /** While tripped: the candidate level being watched for stability, and since when it held. */
  readonly trialPx8: bigint | null;
  readonly stableSinceMs: number | null;
}

export interface TwapBucket {
  /** Bucket number, floor(time / bucketMs). */
  readonly bucket: number;
  /** Σ mark px8 × ms spent at it inside the bucket. */
  readonly pxMs: bigint;
  /** Σ ms covered inside the bucket. */
  readonly ms: number;
}

export interface TwapState {
  /** Buckets of the window, oldest first. */
  readonly buckets: readonly TwapBucket[];
  /** The mark since `sinceMs` (px8), not yet integrated. */
  readonly lastPx8: bigint | null;
  readonly sinceMs: number | null;
}

/** The guarded mark's range inside one bucket of the confirmation window. */
export interface ConfirmationBucket {
  /** Bucket number, floor(time / bucketMs). */
  readonly bucket: number;
  readonly lowPx8: bigint;
  readonly highPx8: bigint;
}

/** A source dropped for deviation at every evaluation since sinceMs (ms). */
export interface Dissent {
  readonly source: string;
  readonly sinceMs: number;
}

export interface ConfirmationState {
  /** Buckets of the confirmation window, oldest first (empty when confirmation is off). */
  readonly buckets: readonly ConfirmationBucket[];
  /** The sources dissenting now, in config order. */
  readonly dissent: readonly Dissent[];
}

/** `operator`: forced by the operator (force_safe_mode), not by the oracle. */
export type SafeModeReason = 'no_mark' | 'index_unreliable' | 'recovering' | 'breaker_tripped' | 'operator';

export interface SafeModeState {
  readonly active: boolean;
  /** When safe mode was last entered (null: since the market started). */
  readonly sinceMs: number | null;
  readonly reasons: readonly SafeModeReason[];
}

export interface OracleState {
  readonly market: string;
  /** nowMs of the last step; null before the first. */
  readonly timeMs: number | null;
  /** One entry per configured source, in config order. */
  readonly sources: ReadonlyMap<string, SourceState>;
  readonly lastTrade: { readonly pricePx8: bigint; readonly timeMs: number } | null;
  readonly book: {
    readonly impactBidPx8: bigint;
    readonly impactAskPx8: bigint;
    readonly timeMs: number;
  } | null;
  readonly index: IndexState;
  readonly premium: PremiumState;
  /** The guarded mark (px8) the engine should use; null until the first reliable index. */
  readonly markPx8: bigint | null;
  readonly breaker: BreakerState;
  readonly twap: TwapState;
  readonly safeMode: SafeModeState;
  /** Recent marks for move confirmation (confirmation.ts). */
  readonly confirmation: ConfirmationState;
  /** Rejected inputs by code (every code present, in declaration order). */
  readonly rejections: ReadonlyMap<OracleRejectionCode, number>;
}

/**
 * The state of a market that has seen nothing yet. It starts in safe mode
 * (no mark, index unreliable): there is no price to liquidate on.
 */
export function initialOracleState(config: OracleConfig): OracleState {
  return {
    market: config.market,
    timeMs: null,
    sources: new Map(
      config.sources.map((s) => [
        s.id,
        { id: s.id, last: null, healthySinceMs: null, accepted: 0, rejected: 0 },
      ]),
    ),
    lastTrade: null,
    book: null,
    index: { pricePx8: null, reliable: false, reliableSinceMs: null, screenPx8: null },
    premium: { ema9: null, interval: null },
    markPx8: null,
    breaker: {
      anchorPx8: null,
      anchorInterval: null,
      tripped: false,
      trippedAtMs: null,
      trialPx8: null,
      stableSinceMs: null,
    },
    twap: { buckets: [], lastPx8: null, sinceMs: null },
    safeMode: { active: true, sinceMs: null, reasons: ['no_mark', 'index_unreliable'] },
    confirmation: { buckets: [], dissent: [] },
    rejections: new Map(OracleRejectionCodes.map((c) => [c, 0])),
  };
}
