/**
 * Move confirmation: a colluding majority of sources is slowed, not trusted.
 *
 * The index is a median, so a majority of sources that agree can set it to any price. No
 * rule can tell a colluding majority from a real move at the instant it happens; two
 * checks can refuse to *act* on a move that nothing independent confirms:
 *
 * - **time**: a move must persist. The oracle remembers the range of the guarded mark over
 *   the last `windowMs` (in buckets of `bucketMs`);
 * - **dissent**: a move must not be contradicted. A source that is fresh (observed within
 *   the window, not stale, confidence in bounds) but dropped because it disagrees with the
 *   others by more than maxDeviation is a dissenter: its price stays in the range for as
 *   long as it keeps dissenting.
 *
 * The result is a *credible range* [lowPx8, highPx8] that always contains the mark. The
 * engine liquidates a scope only when it is liquidatable with each market's mark replaced
 * by the end of that market's range most favourable to the scope's position there (a long
 * at the high end, a short at the low end): a liquidation caused by an unconfirmed move
 * waits; one that every credible price agrees with proceeds at once.
 *
 * Bounds (docs/oracle.md, "Move confirmation"): when every source agrees, a move that
 * persists is acted on at most `windowMs` after it happened (the first step once the
 * older marks have left the window; the window counts whole buckets, so it may end up to
 * one bucket earlier). A dissenter delays as long as it dissents, but an observation older
 * than the window never counts, so a slow source that simply has not reported since the
 * move delays it by at most the window too. Pure and deterministic: part of the oracle step.
 */
import type { ConfirmationConfig, OracleConfig } from './config.ts';
import type { SourceVerdict } from './index-price.ts';
import type { ConfirmationBucket, ConfirmationState } from './state.ts';

/** The credible range at one evaluation. */
export interface CredibleRange {
  /** Lowest credible price (px8). */
  readonly lowPx8: bigint;
  /** Highest credible price (px8). */
  readonly highPx8: bigint;
  /** Sources whose dissent widens the range now, in config order. */
  readonly dissenters: readonly string[];
}

/** Default confirmation of an oracle with two or more sources. */
export const DEFAULT_CONFIRMATION: ConfirmationConfig = { windowMs: 300_000, bucketMs: 1_000 };

/**
 * The confirmation rule in force: the configured one, none when `confirmation` is null, and
 * when it is absent the default for two or more sources (with one source there is nobody to
 * dissent, and existing single-source behaviour stays unchanged).
 */
export function confirmationOf(config: OracleConfig): ConfirmationConfig | null {
  if (config.confirmation === null) return null;
  if (config.confirmation !== undefined) return config.confirmation;
  return config.sources.length >= 2 ? DEFAULT_CONFIRMATION : null;
}

function widen(b: ConfirmationBucket | undefined, bucket: number, px: bigint): ConfirmationBucket {
  if (b === undefined || b.bucket !== bucket) return { bucket, lowPx8: px, highPx8: px };
  return {
    bucket,
    lowPx8: px < b.lowPx8 ? px : b.lowPx8,
    highPx8: px > b.highPx8 ? px : b.highPx8,
  };
}

/**
 * Records the marks in force at nowMs (the one held until now and the new one) and drops
 * the buckets that left the window.
 * @param prevMarkPx8 the guarded mark in force up to nowMs (px8), null before the first
 * @param markPx8 the guarded mark from nowMs on (px8), null before the first
 */
export function stepConfirmation(
  cfg: ConfirmationConfig,
  st: ConfirmationState,
  prevMarkPx8: bigint | null,
  markPx8: bigint | null,
  nowMs: number,
): ConfirmationState {
  const current = Math.floor(nowMs / cfg.bucketMs);
  const oldest = current - cfg.windowMs / cfg.bucketMs + 1;
  const buckets = st.buckets.filter((b) => b.bucket >= oldest);
  let last = buckets[buckets.length - 1];
  const had = last !== undefined && last.bucket === current;
  for (const px of [prevMarkPx8, markPx8]) if (px !== null) last = widen(last, current, px);
  if (last === undefined || last.bucket !== current) return { buckets };
  if (had) buckets[buckets.length - 1] = last;
  else buckets.push(last);
  return { buckets };
}

/**
 * The credible range at nowMs: the marks of the window and the prices of the dissenters
 * (sources dropped for `deviation` whose observation is at most windowMs old). Null before
 * the first mark.
 */
export function credibleRange(
  cfg: ConfirmationConfig,
  st: ConfirmationState,
  markPx8: bigint | null,
  verdicts: readonly SourceVerdict[],
): CredibleRange | null {
  if (markPx8 === null) return null;
  let lowPx8 = markPx8;
  let highPx8 = markPx8;
  for (const b of st.buckets) {
    if (b.lowPx8 < lowPx8) lowPx8 = b.lowPx8;
    if (b.highPx8 > highPx8) highPx8 = b.highPx8;
  }
  const dissenters: string[] = [];
  for (const v of verdicts) {
    if (v.reason !== 'deviation' || v.pricePx8 === null || v.ageMs === null || v.ageMs > cfg.windowMs)
      continue;
    dissenters.push(v.source);
    if (v.pricePx8 < lowPx8) lowPx8 = v.pricePx8;
    if (v.pricePx8 > highPx8) highPx8 = v.pricePx8;
  }
  return { lowPx8, highPx8, dissenters };
}
