/**
 * Portfolio instruments, accounts and market snapshots as plain data, and their valuation.
 *
 * Float64 on purpose. Everything in src/core/portfolio is risk *screening and valuation*:
 * scenario revaluation of option books, requirements, rankings. Money never moves here —
 * balances, fills, fees and liquidation transfers stay exact (bigint, DESIGN §3) in the
 * engine, which will confirm any decision taken from these figures with exact arithmetic
 * and round requirements up at that boundary. Sizes and prices may arrive as decimal
 * strings (the API convention); they are converted to float64 once, by the parsers here.
 *
 * Instruments (sizes signed: + long, − short; prices in the quote currency, e.g. USD):
 *
 *   perpetual  {underlying, size, entryPrice}            value = size × (S − entry)
 *   future     {underlying, size, entryPrice, expiryMs}  value = size × (F(T) − entry)
 *   option     {underlying, kind, strike, expiryMs, size, settlement}
 *              linear:  value = size × Black76(F(T), K, T, σ, r)
 *              inverse: value = size × Black76(F(T), K, T, σ, r) / F(T) × S
 *                       (the premium is held in coin, P_coin = V/F as Deribit and OKX quote it,
 *                       and valued in quote at the spot S)
 *
 * with the forward F(T) = S·e^{b·T} (b the underlying's annualised basis, T in years ACT/365)
 * and σ = volAt(surface, strike, expiry) from pricing/vol-surface.ts. Values are mark-to-market
 * amounts in quote: a future's unrealised PnL, an option's market value (its premium left the
 * cash balance when it was bought, as on every options venue). So
 *
 *   equity = collateral + Σ value.
 *
 * Deltas (exposure in underlying units): perpetual and future = size (contracts, as venues
 * report them); option = size × ∂V/∂F, the Black-76 forward delta. A coin-margined book is
 * measured in quote by holding its coin balance as a perpetual with entryPrice 0 (value =
 * coins × S, delta = coins), so the coin collateral's own price risk is in the scenarios.
 */
import { z } from 'zod';
import { InvariantError } from '../num/index.ts';
import { black76Greeks, black76Price, type OptionKind, yearFraction } from '../pricing/black76.ts';
import { type VolInput, VolInputSchema, volAt } from '../pricing/vol-surface.ts';

export type { OptionKind } from '../pricing/black76.ts';
export type OptionSettlement = 'linear' | 'inverse';

// ---- schemas (decimal strings or numbers in; float64 out) ----

/** A plain decimal: no exponent (1e5 is refused, as everywhere in the API's decimal strings). */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * Bad portfolio input, with a stable code: an expired option or future (`expired`), an
 * underlying the snapshot does not price (`unknown_underlying`), a volatility that is negative
 * or not finite (`bad_vol`), a price that is not (`bad_price`), an unknown instrument
 * name (`unknown_instrument`), malformed parameters or input (`bad_params`, `bad_input`).
 * Raised before any figure is computed, so nothing is half-valued.
 */
export type PortfolioInputErrorCode =
  | 'expired'
  | 'unknown_underlying'
  | 'bad_vol'
  | 'bad_price'
  | 'unknown_instrument'
  | 'bad_params'
  | 'bad_input';
export class PortfolioInputError extends Error {
  override name = 'PortfolioInputError';
  constructor(
    readonly code: PortfolioInputErrorCode,
    message: string,
  ) {
    super(`portfolio: ${message}`);
  }
}

/** A finite number, or a decimal string converted once to float64. */
const numeric = z
  .union([z.number(), z.string().regex(DECIMAL, 'must be a decimal string')])
  .transform((v) => (typeof v === 'number' ? v : Number(v)))
  .refine((v) => Number.isFinite(v), 'must be finite');
const positiveNumeric = numeric.refine((v) => v > 0, 'must be > 0');
const nonNegativeNumeric = numeric.refine((v) => v >= 0, 'must be ≥ 0');
const underlyingId = z.string().min(1).max(64);
const epochMs = z.number().int().positive();

const base = {
  /** Caller's label, echoed in every breakdown (default `#index`). */
  id: z.string().min(1).max(128).optional(),
  underlying: underlyingId,
  /** Signed size in underlying units (+ long, − short). */
  size: numeric,
};

export const PerpetualPositionSchema = z.object({
  type: z.literal('perpetual'),
  ...base,
  /** Entry price, quote per unit (0 for a coin balance held as a position). */
  entryPrice: nonNegativeNumeric,
});
export const FuturePositionSchema = z.object({
  type: z.literal('future'),
  ...base,
  entryPrice: nonNegativeNumeric,
  /** Expiry, ms since epoch: the future is priced at the forward F(T). */
  expiryMs: epochMs,
});
export const OptionPositionSchema = z.object({
  type: z.literal('option'),
  ...base,
  kind: z.enum(['call', 'put']),
  /** Strike, quote per unit, > 0. */
  strike: positiveNumeric,
  expiryMs: epochMs,
  /** Premium and settlement currency: quote (linear) or the underlying coin (inverse). */
  settlement: z.enum(['linear', 'inverse']).default('linear'),
  /**
   * σ of this option, instead of reading it off the underlying's surface (the engine passes the
   * vol the option's own mark implies). ≥ 0; 0 values the option at intrinsic.
   */
  vol: z.number().min(0).max(100).optional(),
});
export const PositionSchema = z.discriminatedUnion('type', [
  PerpetualPositionSchema,
  FuturePositionSchema,
  OptionPositionSchema,
]);
export type PerpetualPosition = z.output<typeof PerpetualPositionSchema>;
export type FuturePosition = z.output<typeof FuturePositionSchema>;
export type OptionPosition = z.output<typeof OptionPositionSchema>;
export type PortfolioPosition = z.output<typeof PositionSchema>;
export type PortfolioPositionInput = z.input<typeof PositionSchema>;

export const PortfolioAccountSchema = z.object({
  id: z.string().min(1).max(128).optional(),
  /** Cash collateral in quote (after premiums paid/received), float64 screening value. */
  collateral: numeric.default(0),
  positions: z.array(PositionSchema).max(100_000),
});
export type PortfolioAccount = z.output<typeof PortfolioAccountSchema>;
export type PortfolioAccountInput = z.input<typeof PortfolioAccountSchema>;

export const UnderlyingMarketSchema = z.object({
  /** Spot (index) price, quote per unit, > 0. */
  spot: positiveNumeric,
  /** Annualised basis b (continuous): F(T) = S·e^{b·T}; default 0 (every forward = spot). */
  basisRate: numeric.default(0),
  /** Implied volatility input (flat or a surface), see pricing/vol-surface.ts. */
  vol: VolInputSchema,
});
export const MarketSnapshotSchema = z.object({
  /** Valuation time, ms since epoch. */
  nowMs: epochMs,
  /** Continuously compounded discount rate for option premiums; default 0 (crypto venues). */
  rate: numeric.default(0),
  underlyings: z.record(underlyingId, UnderlyingMarketSchema),
});
export type UnderlyingMarket = z.output<typeof UnderlyingMarketSchema>;
export type MarketSnapshot = z.output<typeof MarketSnapshotSchema>;
export type MarketSnapshotInput = z.input<typeof MarketSnapshotSchema>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: string[] };
const issuesOf = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);

/** Validate an account (sizes and prices may be decimal strings); issues are "path: message". */
export function parsePortfolioAccount(input: unknown): Parsed<PortfolioAccount> {
  const r = PortfolioAccountSchema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: issuesOf(r.error) };
}
/** Validate an account or throw zod's error. */
export function parsePortfolioAccountUnsafe(input: unknown): PortfolioAccount {
  return PortfolioAccountSchema.parse(input);
}
/** Validate a market snapshot; issues are "path: message". */
export function parseMarketSnapshot(input: unknown): Parsed<MarketSnapshot> {
  const r = MarketSnapshotSchema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, issues: issuesOf(r.error) };
}
/** Validate a market snapshot or throw zod's error. */
export function parseMarketSnapshotUnsafe(input: unknown): MarketSnapshot {
  return MarketSnapshotSchema.parse(input);
}

// ---- valuation ----

/** Position label: its `id`, or `#index`. */
export function positionLabel(p: PortfolioPosition, index: number): string {
  return p.id ?? `#${index}`;
}

/** The market of a position's underlying, or an InvariantError naming what is missing. */
export function marketOf(snapshot: MarketSnapshot, underlying: string): UnderlyingMarket {
  const m = snapshot.underlyings[underlying];
  if (!m)
    throw new PortfolioInputError(
      'unknown_underlying',
      `no market for underlying ${JSON.stringify(underlying)}`,
    );
  if (!(m.spot > 0) || !Number.isFinite(m.spot))
    throw new PortfolioInputError(
      'bad_price',
      `spot of ${JSON.stringify(underlying)} must be a positive finite number`,
    );
  return m;
}

/** Forward F(T) = S·e^{b·T} for an expiry (T ≤ 0, or no expiry: the spot). */
export function forwardPrice(market: UnderlyingMarket, nowMs: number, expiryMs?: number): number {
  if (expiryMs === undefined) return market.spot;
  const T = yearFraction(nowMs, expiryMs);
  return T > 0 ? market.spot * Math.exp(market.basisRate * T) : market.spot;
}

/** Everything needed to value one position at the snapshot, and to shock it. */
export interface PositionValuation {
  /** Spot S of the underlying. */
  spot: number;
  /** Price the position is valued on: S (perpetual) or F(T) (future, option). */
  underlyingPrice: number;
  /** Years to expiry (0 for a perpetual). */
  timeYears: number;
  /** σ at the option's strike and expiry (0 for linear positions). */
  vol: number;
  /** Mark of one unit in quote: F − entry (linear); the premium in quote (option). */
  unitValue: number;
  /** value = size × unitValue (quote). */
  value: number;
  /** Exposure in underlying units: size (linear), size × ∂V/∂F (option). */
  delta: number;
}

/** Value, vol and delta of one position at a snapshot (see the module header). */
export function valuePosition(p: PortfolioPosition, snapshot: MarketSnapshot): PositionValuation {
  const m = marketOf(snapshot, p.underlying);
  if (p.type === 'perpetual') {
    const unitValue = m.spot - p.entryPrice;
    return {
      spot: m.spot,
      underlyingPrice: m.spot,
      timeYears: 0,
      vol: 0,
      unitValue,
      value: p.size * unitValue,
      delta: p.size,
    };
  }
  if (!(p.expiryMs > snapshot.nowMs))
    throw new PortfolioInputError(
      'expired',
      `${p.type} ${p.id ?? ''} on ${p.underlying} expired at ${new Date(p.expiryMs).toISOString()} (valuation time ${new Date(snapshot.nowMs).toISOString()})`,
    );
  const F = forwardPrice(m, snapshot.nowMs, p.expiryMs);
  const T = yearFraction(snapshot.nowMs, p.expiryMs);
  if (p.type === 'future') {
    const unitValue = F - p.entryPrice;
    return {
      spot: m.spot,
      underlyingPrice: F,
      timeYears: T,
      vol: 0,
      unitValue,
      value: p.size * unitValue,
      delta: p.size,
    };
  }
  const vol = optionVol(m.vol, snapshot.nowMs, p, F);
  // σ = 0 is a valid (intrinsic) valuation, e.g. a mark at intrinsic; negative or NaN is not
  if (!(vol >= 0) || !Number.isFinite(vol))
    throw new PortfolioInputError(
      'bad_vol',
      `volatility ${vol} of ${p.id ?? 'an option'} on ${p.underlying} must be a finite number ≥ 0`,
    );
  const g = black76Greeks({
    kind: p.kind,
    forward: F,
    strike: p.strike,
    timeYears: T,
    vol,
    rate: snapshot.rate,
  });
  const unitValue = p.settlement === 'inverse' ? (g.price / F) * m.spot : g.price;
  const unitDelta = p.settlement === 'inverse' ? (g.delta * m.spot) / F : g.delta;
  return {
    spot: m.spot,
    underlyingPrice: F,
    timeYears: T,
    vol,
    unitValue,
    value: p.size * unitValue,
    delta: p.size * unitDelta,
  };
}

/** σ for an option from its underlying's vol input (sticky strike at the given forward). */
export function optionVol(vol: VolInput, nowMs: number, p: OptionPosition, forward: number): number {
  if (p.vol !== undefined) return p.vol;
  return volAt(vol, { nowMs, expiryMs: p.expiryMs, strike: p.strike, forward });
}

/**
 * Premium of one option unit in quote at forward F, spot S (inverse: coin premium × S).
 * The inner loop of scenario revaluation.
 */
export function optionUnitValue(
  kind: OptionKind,
  settlement: OptionSettlement,
  forward: number,
  spot: number,
  strike: number,
  timeYears: number,
  vol: number,
  rate: number,
): number {
  const v = black76Price({ kind, forward, strike, timeYears, vol, rate });
  return settlement === 'inverse' ? (v / forward) * spot : v;
}

/** Account equity in quote: collateral + Σ mark-to-market values. */
export function accountEquity(account: PortfolioAccount, snapshot: MarketSnapshot): number {
  let equity = account.collateral;
  for (const p of account.positions) equity += valuePosition(p, snapshot).value;
  return equity;
}

/** The same snapshot with some spots multiplied by (1 + move); vols and basis unchanged. */
export function movedSnapshot(
  snapshot: MarketSnapshot,
  moves: Readonly<Record<string, number>>,
): MarketSnapshot {
  const underlyings: Record<string, UnderlyingMarket> = {};
  for (const [id, m] of Object.entries(snapshot.underlyings)) {
    const move = moves[id] ?? 0;
    if (!(move > -1)) throw new InvariantError(`portfolio: move ${move} of ${id} must be > −100%`);
    underlyings[id] = move === 0 ? m : { ...m, spot: m.spot * (1 + move) };
  }
  return { ...snapshot, underlyings };
}
