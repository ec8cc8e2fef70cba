/**
 * Move confirmation: a colluding majority of sources is slowed, not trusted.
 *
 * The index is a median, so a majority of sources that agree can set it to any price. No
 * rule can tell a colluding majority from a real move at the instant it happens; two
 * independent checks can refuse to *act* on a move nothing confirms:
 *
 * - **time**: a move must persist. The oracle keeps the range of the guarded mark over the
 *   last `windowMs` (in buckets of `bucketMs`, plus the bucket in progress, so a price stays
 *   in the range for at least windowMs and at most windowMs + bucketMs after it was last
 *   the mark);
 * - **dissent**: a move must not be contradicted. A source that is fresh (observed within
 *   the window) but dropped because it disagrees with the others by more than maxDeviation
 *   has *dissented* since the first evaluation it was so dropped; once it has dissented for
 *   `windowMs` without a break its price joins the range, for as long as it keeps dissenting.
 *   (A disagreement shorter than the window is noise — a late print, a thin book, a wick on
 *   one venue; one that outlasts it is evidence.)
 *
 * The result is a *credible range* [lowPx8, highPx8] that always contains the mark. The
 * engine liquidates a scope only when it is liquidatable with each market's mark replaced
 * by the end of that market's range most favourable to the scope's position there (a long
 * at the high end, a short at the low end): a liquidation caused by an unconfirmed move
 * waits; one that every credible price agrees with proceeds at once.
 *
 * Why there is no gap: a colluding majority moves the index away from an honest source at
 * some time s, and the mark follows at t0 ≥ s (at once, or when a tripped breaker releases).
 * The time check holds the move until at least t0 + windowMs; the honest source dissents
 * from s and counts from s + windowMs ≤ t0 + windowMs. When every source agrees there is no
 * dissenter and a move that persists is acted on at most windowMs + bucketMs after the mark
 * made it. A lone source that is stuck but fresh holds liquidations for as long as it
 * dissents — docs/oracle.md, "Move confirmation", lists this and the other limits.
 * Pure and deterministic: part of the oracle step, so replay re-runs it exactly.
 */
import type { ConfirmationConfig, OracleConfig } from './config.ts';
import type { SourceVerdict } from './index-price.ts';
import type { ConfirmationBucket, ConfirmationState, Dissent } from './state.ts';

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
export const DEFAULT_CONFIRMATION: ConfirmationConfig = { windowMs: 30_000, bucketMs: 1_000 };

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
 * Records the marks in force at nowMs (the one held until now and the new one), drops the
 * buckets that left the window, and updates since when each source has been dissenting.
 * @param prevMarkPx8 the guarded mark in force up to nowMs (px8), null before the first
 * @param markPx8 the guarded mark from nowMs on (px8), null before the first
 * @param verdicts this evaluation's source verdicts, in config order
 */
export function stepConfirmation(
  cfg: ConfirmationConfig,
  st: ConfirmationState,
  prevMarkPx8: bigint | null,
  markPx8: bigint | null,
  verdicts: readonly SourceVerdict[],
  nowMs: number,
): ConfirmationState {
  const current = Math.floor(nowMs / cfg.bucketMs);
  // windowMs / bucketMs whole buckets before the current one: a price stays ≥ windowMs.
  const oldest = current - cfg.windowMs / cfg.bucketMs;
  const buckets = st.buckets.filter((b) => b.bucket >= oldest);
  let last = buckets[buckets.length - 1];
  const had = last !== undefined && last.bucket === current;
  for (const px of [prevMarkPx8, markPx8]) if (px !== null) last = widen(last, current, px);
  if (last !== undefined && last.bucket === current) {
    if (had) buckets[buckets.length - 1] = last;
    else buckets.push(last);
  }
  const dissent: Dissent[] = [];
  for (const v of verdicts) {
    if (v.reason !== 'deviation') continue;
    const since = st.dissent.find((d) => d.source === v.source)?.sinceMs ?? nowMs;
    dissent.push({ source: v.source, sinceMs: since });
  }
  return { buckets, dissent };
}

/**
 * The credible range at nowMs: the marks of the window, and the prices of the sources that
 * have dissented for at least windowMs and whose observation is at most windowMs old.
 * Null before the first mark.
 */
export function credibleRange(
  cfg: ConfirmationConfig,
  st: ConfirmationState,
  markPx8: bigint | null,
  verdicts: readonly SourceVerdict[],
  nowMs: number,
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
    const d = st.dissent.find((x) => x.source === v.source);
    if (d === undefined || nowMs - d.sinceMs < cfg.windowMs) continue;
    if (v.pricePx8 === null || v.ageMs === null || v.ageMs > cfg.windowMs) continue;
    dissenters.push(v.source);
    if (v.pricePx8 < lowPx8) lowPx8 = v.pricePx8;
    if (v.pricePx8 > highPx8) highPx8 = v.pricePx8;
  }
  return { lowPx8, highPx8, dissenters };
}
