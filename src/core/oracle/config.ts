/**
 * Oracle configuration per market (zod; decimal strings in, fixed-point out).
 *
 * Units: every duration is in milliseconds (`…Ms`, integers); every ratio is a
 * decimal fraction in the input ("0.05" = 5%) and parts per million in the output
 * (`ratioPpm`); weights are decimals → ppm. The EMA decay per sampling interval is
 * derived here once, exactly (decay.ts), so evaluation never touches a float.
 *
 * @example
 * const cfg = parseOracleConfigUnsafe({
 *   market: 'BTC-PERP',
 *   sources: [
 *     { id: 'binance', maxAgeMs: 90_000 },
 *     { id: 'gemini', maxAgeMs: 60_000, weight: '0.5' },
 *     { id: 'pyth', maxAgeMs: 5_000, maxConfidenceRatio: '0.002' },
 *   ],
 *   minSources: 2,
 *   maxDeviation: '0.02',
 *   mark: { kind: 'index_plus_basis', emaHalfLifeMs: 300_000, emaIntervalMs: 1_000 },
 *   breaker: { maxMovePerInterval: '0.1', intervalMs: 60_000 },
 *   recovery: { minHealthyMs: 30_000 },
 * });
 */
import { z } from 'zod';
import { id, ratioPpm } from '../num/schema.ts';
import { pow2neg18 } from './decay.ts';

const ms = (what: string) =>
  z
    .number({ error: `${what} must be a number of ms` })
    .int()
    .min(0);
const positiveMs = (what: string) => ms(what).refine((v) => v > 0, `${what} must be > 0`);

export const OracleSourceConfigSchema = z.object({
  id,
  /** Weight in the weighted median (decimal > 0, default "1") → ppm. */
  weight: ratioPpm('weight', 1_000_000_000_000n)
    .refine((v) => v > 0n, 'weight must be > 0')
    .prefault('1'),
  /** An observation older than this at evaluation time is stale: the source is dropped (ms). */
  maxAgeMs: positiveMs('maxAgeMs'),
  /** Drop the source while confidence half-width / price exceeds this (fraction → ppm); absent = no check. */
  maxConfidenceRatio: ratioPpm('maxConfidenceRatio').optional(),
});
export type OracleSourceConfig = z.output<typeof OracleSourceConfigSchema>;

/** EMA of the premium, shared by the basis estimators. */
const emaFields = {
  /** Half-life of the premium EMA (ms): after it, an old premium weighs one half. */
  emaHalfLifeMs: positiveMs('emaHalfLifeMs'),
  /** The EMA takes one sample per interval (ms). */
  emaIntervalMs: positiveMs('emaIntervalMs').default(1_000),
  /** Book snapshots and last trades older than this (ms) are ignored by the mark. */
  maxInputAgeMs: positiveMs('maxInputAgeMs').default(10_000),
};
const withDecay = <T extends { emaHalfLifeMs: number; emaIntervalMs: number }>(m: T) => ({
  ...m,
  /** Fraction of the old EMA kept per interval, 2^(−interval/halfLife), at 18 decimals (floor). */
  emaDecay18: pow2neg18(BigInt(m.emaIntervalMs), BigInt(m.emaHalfLifeMs)),
});

export const MarkConfigSchema = z.discriminatedUnion('kind', [
  /** mark = index. */
  z.object({ kind: z.literal('index') }),
  /** mark = index × (1 + EMA(premium)); premium from the book's impact prices, else the last trade. */
  z.object({ kind: z.literal('index_plus_basis'), ...emaFields }).transform(withDecay),
  /** mark = median(index × (1 + EMA(premium)), impact mid of the book, last trade), of those fresh. */
  z.object({ kind: z.literal('median'), ...emaFields }).transform(withDecay),
]);
export type MarkConfig = z.output<typeof MarkConfigSchema>;

export const TwapConfigSchema = z
  .object({
    /** TWAP window (ms), a whole number of buckets; default 1 h. */
    windowMs: positiveMs('windowMs').default(3_600_000),
    /** Accumulation bucket (ms): the window slides bucket by bucket; default 1 min. */
    bucketMs: positiveMs('bucketMs').default(60_000),
  })
  .refine((t) => t.windowMs % t.bucketMs === 0, 'twap.windowMs must be a multiple of twap.bucketMs')
  .refine((t) => t.windowMs / t.bucketMs <= 10_000, 'twap window holds at most 10 000 buckets');
export type TwapConfig = z.output<typeof TwapConfigSchema>;

export const BreakerConfigSchema = z.object({
  /** Largest move of the mark within one interval before the breaker trips (fraction → ppm). */
  maxMovePerInterval: ratioPpm('maxMovePerInterval').refine((v) => v > 0n, 'must be > 0'),
  /** Interval length (ms); intervals are aligned to multiples of it since the epoch. */
  intervalMs: positiveMs('intervalMs'),
});
export type BreakerConfig = z.output<typeof BreakerConfigSchema>;

export const RecoveryConfigSchema = z.object({
  /**
   * Continuous health required before leaving an unhealthy state (ms): the index must
   * have been reliable this long before safe mode ends, and a tripped breaker's new
   * price must have been stable this long before the mark follows it.
   */
  minHealthyMs: ms('minHealthyMs').default(0),
  /** A source must pass every check this long (ms) before its price counts (again). */
  sourceProbationMs: ms('sourceProbationMs').default(0),
});
export type RecoveryConfig = z.output<typeof RecoveryConfigSchema>;

export const ConfirmationConfigSchema = z
  .object({
    /**
     * A move causes liquidations only once it has persisted this long (ms); a source that
     * has disagreed with the others this long holds them while it disagrees. Default 30 s.
     */
    windowMs: positiveMs('confirmation.windowMs').default(30_000),
    /** The mark's range over the window is kept in buckets of this length (ms); default 1 s. */
    bucketMs: positiveMs('confirmation.bucketMs').default(1_000),
  })
  .refine((c) => c.windowMs % c.bucketMs === 0, 'confirmation.windowMs must be a multiple of bucketMs')
  .refine((c) => c.windowMs / c.bucketMs <= 10_000, 'the confirmation window holds at most 10 000 buckets');
export type ConfirmationConfig = z.output<typeof ConfirmationConfigSchema>;

export const OracleConfigSchema = z
  .object({
    /** The market this oracle prices. */
    market: id,
    sources: z.array(OracleSourceConfigSchema).min(1).max(64),
    /** Fewer valid sources than this → the index is unreliable. */
    minSources: z.number().int().min(1).default(1),
    /** A source further than this from the median of the others is dropped (fraction → ppm). */
    maxDeviation: ratioPpm('maxDeviation').prefault('0.05'),
    /**
     * A print further than this from the current majority-backed index is rejected as
     * ORACLE_IMPLAUSIBLE_PRICE and never applied (fraction → ppm); null disables.
     */
    maxPrintDeviation: ratioPpm('maxPrintDeviation').nullable().prefault('0.5'),
    /** Observations stamped later than now + this (ms) are rejected (ORACLE_FUTURE_TIMESTAMP). */
    maxFutureSkewMs: ms('maxFutureSkewMs').default(1_000),
    mark: MarkConfigSchema.prefault({ kind: 'index' }),
    twap: TwapConfigSchema.prefault({}),
    /** Circuit breaker on the mark; absent = none. */
    breaker: BreakerConfigSchema.optional(),
    recovery: RecoveryConfigSchema.prefault({}),
    /**
     * Move confirmation (confirmation.ts): liquidations caused by a move wait until it has
     * persisted for windowMs, and for as long as a fresh source has disagreed with it for
     * windowMs or more. Absent: on with the defaults when there are two or more sources, off
     * with one; null: off.
     */
    confirmation: ConfirmationConfigSchema.nullable().optional(),
  })
  .superRefine((c, ctx) => {
    const ids = new Set(c.sources.map((s) => s.id));
    if (ids.size !== c.sources.length) ctx.addIssue({ code: 'custom', message: 'duplicate source id' });
    if (c.minSources > c.sources.length) {
      ctx.addIssue({ code: 'custom', message: `minSources ${c.minSources} > ${c.sources.length} sources` });
    }
    if (c.maxPrintDeviation !== null && c.maxPrintDeviation < 2n * c.maxDeviation) {
      // The band must leave honest prints room: see "lock-out" in docs/oracle.md.
      ctx.addIssue({ code: 'custom', message: 'maxPrintDeviation must be at least 2 × maxDeviation' });
    }
  });
export type OracleConfigInput = z.input<typeof OracleConfigSchema>;
export type OracleConfig = z.output<typeof OracleConfigSchema>;

/** Thrown by parseOracleConfigUnsafe with zod's readable message. */
export class OracleConfigError extends Error {
  override name = 'OracleConfigError';
}

export type OracleConfigParse =
  | { ok: true; value: OracleConfig }
  | { ok: false; issues: readonly { path: string; message: string }[] };

/** Validates an oracle config; returns the issues instead of throwing. */
export function parseOracleConfig(input: unknown): OracleConfigParse {
  const r = OracleConfigSchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    issues: r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  };
}

/** Validates an oracle config; throws OracleConfigError listing every issue. */
export function parseOracleConfigUnsafe(input: unknown): OracleConfig {
  const r = OracleConfigSchema.safeParse(input);
  if (!r.success) throw new OracleConfigError(`invalid oracle config: ${z.prettifyError(r.error)}`);
  return r.data;
}
