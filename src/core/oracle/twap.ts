/**
 * Time-weighted average of the (guarded) mark, for funding.
 *
 * The mark is a step function of time. Its integral Σ price × ms is accumulated in
 * buckets of bucketMs; the TWAP at `now` is Σ pxMs / Σ ms over the current bucket and
 * the windowMs / bucketMs − 1 before it (so the window slides a bucket at a time),
 * rounded half-even. Only time with a mark counts; with none yet, the TWAP is the mark.
 * State stays bounded: at most windowMs / bucketMs buckets.
 */
import { divRound } from '../num/index.ts';
import type { TwapConfig } from './config.ts';
import type { TwapBucket, TwapState } from './state.ts';

/** Integrates the held mark up to nowMs and drops buckets that left the window. */
export function advanceTwap(cfg: TwapConfig, st: TwapState, nowMs: number): TwapState {
  const n = cfg.windowMs / cfg.bucketMs;
  const current = Math.floor(nowMs / cfg.bucketMs);
  const oldest = current - n + 1;
  let buckets: TwapBucket[] = st.buckets.filter((b) => b.bucket >= oldest);
  if (st.lastPx8 !== null && st.sinceMs !== null && nowMs > st.sinceMs) {
    // Only the part of [sinceMs, nowMs) inside the window matters.
    let t = Math.max(st.sinceMs, oldest * cfg.bucketMs);
    while (t < nowMs) {
      const b = Math.floor(t / cfg.bucketMs);
      const end = Math.min(nowMs, (b + 1) * cfg.bucketMs);
      const dt = end - t;
      const lastB = buckets[buckets.length - 1];
      if (lastB !== undefined && lastB.bucket === b) {
        buckets[buckets.length - 1] = {
          bucket: b,
          pxMs: lastB.pxMs + st.lastPx8 * BigInt(dt),
          ms: lastB.ms + dt,
        };
      } else {
        buckets = [...buckets, { bucket: b, pxMs: st.lastPx8 * BigInt(dt), ms: dt }];
      }
      t = end;
    }
  }
  return { buckets, lastPx8: st.lastPx8, sinceMs: st.sinceMs === null ? null : Math.max(st.sinceMs, nowMs) };
}

/** Records that the mark is `markPx8` from nowMs on (call after advanceTwap to nowMs). */
export function setTwapMark(st: TwapState, markPx8: bigint | null, nowMs: number): TwapState {
  if (markPx8 === null) return st;
  return { buckets: st.buckets, lastPx8: markPx8, sinceMs: nowMs };
}

/**
 * The TWAP (px8) at nowMs, or null before any mark.
 * @example twapAt(cfg, st, now) // mark 100 for 30 s then 110 for 30 s → 105
 */
export function twapAt(cfg: TwapConfig, st: TwapState, nowMs: number): bigint | null {
  const s = advanceTwap(cfg, st, nowMs);
  let pxMs = 0n;
  let ms = 0;
  for (const b of s.buckets) {
    pxMs += b.pxMs;
    ms += b.ms;
  }
  if (ms === 0) return s.lastPx8;
  return divRound(pxMs, BigInt(ms), 'halfEven');
}
