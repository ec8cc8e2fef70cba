/**
 * Index price: the weighted median of the sources that pass every check.
 *
 * At evaluation time `now`, each configured source's last accepted observation
 * goes through, in order:
 * 1. `no_data`    — the source never reported;
 * 2. `stale`      — now − timestamp > the source's maxAgeMs;
 * 3. `confidence` — confidence × 1e6 > maxConfidenceRatio(ppm) × price (no division);
 * 4. `deviation`  — among the sources that passed 1–3 (the candidates), each is compared
 *    with the weighted median of the *other* candidates. When those others' weight
 *    splits exactly in half the median is an interval [lower, upper] (median.ts), and the
 *    reference is the end of that interval nearest to the price (zero distance inside it):
 *    with three sources, one of them bad, an honest source's "others" are one honest and
 *    one bad price, and taking their midpoint would wrongly drop the honest source. Dropped
 *    when |price − ref| × 1e6 > maxDeviation(ppm) × ref. A lone candidate is not checked.
 * 5. `probation`  — passed 1–4 but has not yet been healthy for recovery.sourceProbationMs.
 * The rest are `used`. With fewer than minSources used, the index is unreliable (null).
 *
 * If the honest sources carry a strict weight majority of the candidates, agree within
 * maxDeviation, and every source has an equal weight, then all honest sources are used and
 * the index lies within the honest sources' range (INV-ORC-2, docs/oracle.md).
 */
import { abs, clamp, divRound, PPM } from '../num/index.ts';
import type { OracleConfig } from './config.ts';
import { medianInterval, type Weighted, weightedMedian } from './median.ts';
import type { SourceState } from './state.ts';

export type DropReason = 'no_data' | 'stale' | 'confidence' | 'deviation' | 'probation';

/** What happened to one source at one evaluation. */
export interface SourceVerdict {
  readonly source: string;
  readonly used: boolean;
  /** Why the source was dropped; null when used. */
  readonly reason: DropReason | null;
  /** Its last price (px8), null without data. */
  readonly pricePx8: bigint | null;
  /** now − its timestamp (ms), null without data. */
  readonly ageMs: number | null;
  /** Confidence / price in ppm (rounded up), null when the source gives no confidence. */
  readonly confidencePpm: bigint | null;
  /** The median of the other candidates it was compared with (px8); null when not compared. */
  readonly referencePx8: bigint | null;
  /** |price − reference| / reference in ppm (rounded up); null when not compared. */
  readonly deviationPpm: bigint | null;
}

export interface IndexComputation {
  /** Weighted median of the used sources (px8); null when unreliable. */
  readonly pricePx8: bigint | null;
  readonly reliable: boolean;
  /** One verdict per configured source, in config order. */
  readonly verdicts: readonly SourceVerdict[];
  readonly usedCount: number;
  /** Σ weights of used sources and of all configured sources (ppm). */
  readonly usedWeightPpm: bigint;
  readonly totalWeightPpm: bigint;
}

/**
 * Evaluates every source at `nowMs` and returns the index.
 * @param nowMs evaluation time, ms since the epoch
 */
export function computeIndex(
  config: OracleConfig,
  sources: ReadonlyMap<string, SourceState>,
  nowMs: number,
): IndexComputation {
  type Row = {
    source: string;
    weight: bigint;
    price: bigint | null;
    age: number | null;
    confPpm: bigint | null;
    reason: DropReason | null;
    ref: bigint | null;
    devPpm: bigint | null;
  };
  const rows: Row[] = config.sources.map((cfg) => {
    const last = sources.get(cfg.id)?.last ?? null;
    const row: Row = {
      source: cfg.id,
      weight: cfg.weight,
      price: last?.pricePx8 ?? null,
      age: last === null ? null : nowMs - last.timeMs,
      confPpm: last?.confidencePx8 == null ? null : divRound(last.confidencePx8 * PPM, last.pricePx8, 'ceil'),
      reason: null,
      ref: null,
      devPpm: null,
    };
    if (last === null) row.reason = 'no_data';
    else if (nowMs - last.timeMs > cfg.maxAgeMs) row.reason = 'stale';
    else if (
      cfg.maxConfidenceRatio !== undefined &&
      last.confidencePx8 !== null &&
      last.confidencePx8 * PPM > cfg.maxConfidenceRatio * last.pricePx8
    ) {
      row.reason = 'confidence';
    }
    return row;
  });

  // Deviation: every candidate against the others, all at once (no order dependence).
  const candidates = rows.filter((r) => r.reason === null);
  if (candidates.length >= 2) {
    const verdicts = candidates.map((r) => {
      const others: Weighted[] = candidates
        .filter((o) => o !== r)
        .map((o) => ({ value: o.price as bigint, weight: o.weight }));
      const [lo, hi] = medianInterval(others);
      const p = r.price as bigint;
      const ref = clamp(p, lo, hi);
      const dist = abs(p - ref);
      return {
        r,
        ref,
        devPpm: divRound(dist * PPM, ref, 'ceil'),
        drop: dist * PPM > config.maxDeviation * ref,
      };
    });
    for (const v of verdicts) {
      v.r.ref = v.ref;
      v.r.devPpm = v.devPpm;
      if (v.drop) v.r.reason = 'deviation';
    }
  }

  // Probation: a source counts only after being healthy for sourceProbationMs.
  const probationMs = config.recovery.sourceProbationMs;
  if (probationMs > 0) {
    for (const r of rows) {
      if (r.reason !== null) continue;
      const since = sources.get(r.source)?.healthySinceMs ?? null;
      if (since === null || nowMs - since < probationMs) r.reason = 'probation';
    }
  }

  const used = rows.filter((r) => r.reason === null);
  const usedWeightPpm = used.reduce((s, r) => s + r.weight, 0n);
  const totalWeightPpm = rows.reduce((s, r) => s + r.weight, 0n);
  const reliable = used.length >= config.minSources && used.length > 0;
  const pricePx8 = reliable
    ? weightedMedian(used.map((r) => ({ value: r.price as bigint, weight: r.weight })))
    : null;
  return {
    pricePx8,
    reliable,
    usedCount: used.length,
    usedWeightPpm,
    totalWeightPpm,
    verdicts: rows.map((r) => ({
      source: r.source,
      used: r.reason === null,
      reason: r.reason,
      pricePx8: r.price,
      ageMs: r.age,
      confidencePpm: r.confPpm,
      referencePx8: r.ref,
      deviationPpm: r.devPpm,
    })),
  };
}

/** True when a verdict means the source passed its own checks (only probation may still hold it back). */
export function isHealthy(v: SourceVerdict): boolean {
  return v.reason === null || v.reason === 'probation';
}
