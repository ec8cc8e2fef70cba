/**
 * Deribit's portfolio margin (the 2024 model, S:PM and X:PM) as its `private/pme/simulate`
 * reports it: risk vectors per instrument, per settlement-currency book, then the risk-matrix
 * margin and its components, MM and IM. Parameters are Deribit's own `model_params` block
 * (snake_case, as the API returns it), so a simulate response can be replayed here.
 *
 * A book is every position settled in one currency: coin-settled (inverse) books are computed in
 * the coin (BTC, ETH), USDC-settled (linear) books in USD. Scenarios per currency pair, with R
 * its `price_range` and N `buckets_count`:
 *
 *   standard  2N+1 price moves m_b = R·(b − N)/N, b = 0…2N, each on vol up, same, down (in this
 *             order, Deribit's "Volatility Range Up, Same, and Down"): index = 3b + v.
 *   extended  −66%, −33%, +50%, +100%, +200%, +300%, +400%, +500%, vol up.
 *
 * Unit P&L of one contract (one coin of size) in scenario m, vol σ' (Black-76 on the future of
 * the option's expiry, F' = F(1+m)):
 *
 *   delta-one inverse   1 − 1/(1+m)                (coin; = USD P&L / S')
 *   delta-one linear    mark · m                   (USD)
 *   option inverse      B(F', σ')/F' − B(F, σ)/F    (coin premium)
 *   option linear       B(F', σ') − B(F, σ)         (USD)
 *
 * Extended table: a delta-one position is carried at the edge of the standard range on the
 * same side (−66% → −R, +500% → +R); an option's P&L is taken at the full move on vol up and
 * counted at extended_table_factor · min(1, R/|m|).
 *
 * Aggregation of a book (pre = Σ size × unit P&L):
 *
 *   offset(x)   = x < 0 ? x : min(pnl_offset · x, max_offsetable_pnl / index)    positive P&L credit
 *   agg_std[s]  = offset(pre_std[s])
 *   W_std       = max(0, −min_s agg_std[s])
 *   agg_ext[j]  = min(0, offset(pre_ext[j]) + W_std)          the extended loss beyond W_std
 *   worst_case  = W_std + max(0, −min_j agg_ext[j])            = the worst loss of either table
 *   roll_shock  = Σ_{delta-one} |size| · max(annualised_move_risk · T, min_annualised_move) (· mark, linear)
 *   delta_shock = |Δ| · min(max_delta_shock, m_inc · |Δ|) (· index, linear)  when |Δ|·index > delta_total_liq_shock_threshold
 *   RMM         = round₉(worst_case) + roll_shock + delta_shock + correlation_contingency
 *   MM          = mm_factor · RMM;   IM = round₉(RMM + mmp_margin + open_orders_margin)
 *
 * (round₉: to 9 decimals, as both published responses add and state them.)
 *
 * What Deribit's published examples determine and what is inferred (docs/portfolio-margin.md,
 * "Deribit PM"): the delta-one risk vectors, pnl_offset, worst_case and its bucket, the roll
 * shock's floor, mm_factor and IM reproduce the docs.deribit.com and a live response exactly;
 * the option extended fraction, the roll shock's tenor slope (both examples sit on the floor),
 * delta_shock's formula (both examples are 0) and the aggregated extended reading (both
 * examples show 0) are inferences. correlation_contingency is an input (no public formula).
 *
 * Float64 on purpose (risk screening, see model.ts).
 */
import { z } from 'zod';
import { black76Greeks, black76Price, type OptionKind, yearFraction } from '../pricing/black76.ts';
import { PortfolioInputError } from './model.ts';
import { volShockTimeFactor } from './scenarios.ts';

// ---- parameters (Deribit's model_params, verbatim field names) ----

const num = z.number().finite();
const nonNeg = num.min(0);

export const DeribitPairParamsSchema = z.object({
  price_range: num.gt(0).lt(1),
  volatility_range_up: nonNeg,
  volatility_range_down: nonNeg.max(1),
  min_volatility_for_shock_up: nonNeg,
  short_term_vega_power: nonNeg.max(2),
  long_term_vega_power: nonNeg.max(2),
  extended_table_factor: nonNeg.default(1),
  max_delta_shock: nonNeg.max(1).default(0),
  delta_total_liq_shock_threshold: nonNeg.default(0),
  m_inc: nonNeg.default(0),
});
export const DeribitCurrencyParamsSchema = z.object({
  pnl_offset: nonNeg.max(1),
  max_offsetable_pnl: nonNeg,
  annualised_move_risk: nonNeg,
  min_annualised_move: nonNeg,
  extended_dampener: nonNeg.default(0),
  haircut: nonNeg.max(1).default(0),
  equity_side_impact: z.string().default('none'),
  correlation_set: z.boolean().default(false),
});
export const DeribitModelParamsSchema = z.object({
  currency_pair: z.record(z.string().regex(/^[a-z0-9]+_[a-z0-9]+$/), DeribitPairParamsSchema),
  currency: z.record(z.string().regex(/^[a-z0-9]+$/), DeribitCurrencyParamsSchema),
  general: z.object({
    mm_factor: num.gt(0).max(1),
    buckets_count: z.number().int().min(1).max(50),
    vol_scenarios_count: z.literal(3).default(3),
    timestamp: z.number().int().positive().optional(),
  }),
});
export type DeribitPairParams = z.output<typeof DeribitPairParamsSchema>;
export type DeribitCurrencyParams = z.output<typeof DeribitCurrencyParamsSchema>;
export type DeribitModelParams = z.output<typeof DeribitModelParamsSchema>;

/**
 * Deribit's published parameters: BTC from the docs.deribit.com private/pme/simulate example
 * (btc_usd, btc), ETH and USD from the live response of 15 Feb 2026 (eth_usd, eth, usd), both in
 * test/vectors/deribit_pm_published.json. What the engine's 'deribit-pm' model uses by default.
 */
export function deribitPublishedParams(): DeribitModelParams {
  return parseDeribitModelParams({
    currency_pair: {
      btc_usd: {
        extended_table_factor: 1,
        m_inc: 5e-5,
        min_volatility_for_shock_up: 0.5,
        max_delta_shock: 0.1,
        delta_total_liq_shock_threshold: 20_000_000,
        volatility_range_down: 0.25,
        volatility_range_up: 0.5,
        long_term_vega_power: 0.13,
        short_term_vega_power: 0.3,
        price_range: 0.16,
      },
      eth_usd: {
        price_range: 0.18,
        m_inc: 4e-6,
        delta_total_liq_shock_threshold: 20_000_000,
        max_delta_shock: 0.1,
        min_volatility_for_shock_up: 0.5,
        volatility_range_up: 0.4,
        volatility_range_down: 0.25,
        extended_table_factor: 1,
        short_term_vega_power: 0.3,
        long_term_vega_power: 0.13,
      },
    },
    currency: {
      btc: {
        max_offsetable_pnl: 0,
        annualised_move_risk: 0.075,
        min_annualised_move: 0.01,
        pnl_offset: 0,
      },
      eth: {
        min_annualised_move: 0.005,
        annualised_move_risk: 0.05,
        pnl_offset: 0.6,
        max_offsetable_pnl: 20_000_000,
      },
      usd: {
        min_annualised_move: 0.01,
        annualised_move_risk: 0.1,
        pnl_offset: 0.4,
        max_offsetable_pnl: 1_000_000,
      },
    },
    general: { mm_factor: 0.8, buckets_count: 4 },
  });
}

/** Deribit's published extended-table moves (support.deribit.com, "Portfolio Margin"). */
export const DERIBIT_EXTENDED_MOVES = [-0.66, -0.33, 0.5, 1, 2, 3, 4, 5] as const;

/** Validate Deribit's `model_params` block (typed error on anything malformed). */
export function parseDeribitModelParams(input: unknown): DeribitModelParams {
  const r = DeribitModelParamsSchema.safeParse(input);
  if (!r.success)
    throw new PortfolioInputError(
      'bad_params',
      r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    );
  return r.data;
}

// ---- instruments ----

export interface DeribitInstrument {
  name: string;
  /** e.g. btc_usd. */
  pair: string;
  /** Settlement currency, lower case: the coin (inverse) or usdc (linear). */
  settlement: string;
  linear: boolean;
  kind: 'perpetual' | 'future' | 'option';
  expiryMs?: number;
  strike?: number;
  optionKind?: OptionKind;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** Deribit expiry code (28JUN24) → 08:00 UTC of that day. */
function expiryOf(code: string, name: string): number {
  const m = /^(\d{1,2})([A-Z]{3})(\d{2})$/.exec(code);
  const month = m ? MONTHS.indexOf(m[2]!) : -1;
  if (!m || month < 0) throw new PortfolioInputError('unknown_instrument', `${name}: bad expiry ${code}`);
  return Date.UTC(2000 + Number(m[3]), month, Number(m[1]), 8);
}

/**
 * Parse a Deribit instrument name: BTC-PERPETUAL, BTC-28JUN24, BTC-28JUN24-70000-C (inverse,
 * settled in the coin), BTC_USDC-PERPETUAL, SOL_USDC-28JUN24-150d5-P (linear, settled in USDC).
 */
export function parseDeribitInstrument(name: string): DeribitInstrument {
  const parts = name.split('-');
  const head = parts[0] ?? '';
  const hm = /^([A-Z0-9]+)(?:_(USDC|USDT))?$/.exec(head);
  if (!hm || parts.length < 2 || parts.length > 4)
    throw new PortfolioInputError('unknown_instrument', `${name}: not a Deribit instrument name`);
  const coin = hm[1]!.toLowerCase();
  const linear = hm[2] !== undefined;
  const base = {
    name,
    pair: `${coin}_usd`,
    settlement: linear ? hm[2]!.toLowerCase() : coin,
    linear,
  };
  if (parts.length === 2) {
    if (parts[1] === 'PERPETUAL') return { ...base, kind: 'perpetual' };
    return { ...base, kind: 'future', expiryMs: expiryOf(parts[1]!, name) };
  }
  if (parts.length !== 4 || !/^\d+(d\d+)?$/.test(parts[2]!) || !/^[CP]$/.test(parts[3]!))
    throw new PortfolioInputError('unknown_instrument', `${name}: not a Deribit instrument name`);
  return {
    ...base,
    kind: 'option',
    expiryMs: expiryOf(parts[1]!, name),
    strike: Number(parts[2]!.replace('d', '.')),
    optionKind: parts[3] === 'C' ? 'call' : 'put',
  };
}

// ---- inputs ----

const decimal = z
  .union([
    z.number(),
    z.string().regex(/^[+-]?(\d+(\.\d*)?|\.\d+)$/, 'must be a plain decimal (no exponent)'),
  ])
  .transform(Number)
  .refine(Number.isFinite, 'must be finite');

export const DeribitBookInputSchema = z.object({
  nowMs: z.number().int().positive(),
  /** Index price per currency pair, e.g. {btc_usd: 65666.19}. */
  index: z.record(
    z.string(),
    decimal.refine((v) => v > 0, 'must be > 0'),
  ),
  /** Position per instrument, in base currency (Deribit's `portfolio.position`). */
  positions: z.record(z.string(), decimal),
  /**
   * Per instrument: mark price (USD for futures; options need `underlying_price`, the forward of
   * its expiry, and `mark_iv`, as a fraction or in percent ≥ 3 as Deribit quotes it).
   */
  ticker: z
    .record(
      z.string(),
      z.object({
        mark_price: decimal.optional(),
        underlying_price: decimal.optional(),
        mark_iv: decimal.optional(),
      }),
    )
    .default({}),
  /** IM add-ons Deribit reports beside the risk matrix, per settlement currency (book units). */
  mmp_margin: z.record(z.string(), decimal).default({}),
  open_orders_margin: z.record(z.string(), decimal).default({}),
  correlation_contingency: z.record(z.string(), decimal).default({}),
});
export type DeribitBookInput = z.input<typeof DeribitBookInputSchema>;

// ---- risk vectors ----

export interface RiskVector {
  standard: number[];
  extended: number[];
}

/** One instrument's column of a book: its size and unit risk vector (deribitUnitVector). */
export interface Valued {
  instrument: DeribitInstrument;
  size: number;
  /** Unit risk vector (per contract of size 1). */
  unit: RiskVector;
  /** Years to expiry (0 for a perpetual). */
  timeYears: number;
  /** Coin delta per unit (inverse) or base delta per unit (linear). */
  delta: number;
  mark: number;
}

/** Standard-table price moves for a pair: R·(b − N)/N, b = 0…2N. */
export function standardMoves(range: number, buckets: number): number[] {
  return Array.from({ length: 2 * buckets + 1 }, (_, b) => (range * (b - buckets)) / buckets);
}

function shockedVol(p: DeribitPairParams, vol: number, v: 1 | 0 | -1, days: number): number {
  if (v === 0) return vol;
  const k = volShockTimeFactor(
    {
      kind: 'power',
      referenceDays: 30,
      shortPower: p.short_term_vega_power,
      longPower: p.long_term_vega_power,
      minDays: 1,
    },
    days,
  );
  if (v > 0) return Math.max(vol * (1 + p.volatility_range_up * k), p.min_volatility_for_shock_up);
  return Math.max(vol * (1 - p.volatility_range_down * k), 0);
}

const VOLS = [1, 0, -1] as const; // Deribit's order: up, same, down

/**
 * One contract's risk vector (see the header), its time to expiry (clamped at 0: an option past
 * its expiry but not yet settled is valued at its intrinsic value) and its delta.
 */
export function deribitUnitVector(
  inst: DeribitInstrument,
  pair: DeribitPairParams,
  buckets: number,
  nowMs: number,
  mark: number,
  forward: number,
  vol: number,
): { unit: RiskVector; timeYears: number; delta: number } {
  const moves = standardMoves(pair.price_range, buckets);
  const T = inst.expiryMs === undefined ? 0 : Math.max(0, yearFraction(nowMs, inst.expiryMs));
  if (inst.kind !== 'option') {
    const pnl = (m: number) => (inst.linear ? mark * m : 1 - 1 / (1 + m));
    const standard = moves.flatMap((m) => VOLS.map(() => pnl(m)));
    const lo = pnl(-pair.price_range);
    const hi = pnl(pair.price_range);
    const extended = DERIBIT_EXTENDED_MOVES.map((m) => (m < 0 ? lo : hi));
    return { unit: { standard, extended }, timeYears: T, delta: 1 };
  }
  const K = inst.strike!;
  const kind = inst.optionKind!;
  const days = T * 365;
  const value = (F: number, sigma: number) => {
    const b = black76Price({ kind, forward: F, strike: K, timeYears: T, vol: sigma });
    return inst.linear ? b : b / F;
  };
  const v0 = value(forward, vol);
  const standard = moves.flatMap((m) =>
    VOLS.map((v) => value(forward * (1 + m), shockedVol(pair, vol, v, days)) - v0),
  );
  const volUp = shockedVol(pair, vol, 1, days);
  const extended = DERIBIT_EXTENDED_MOVES.map(
    (m) =>
      pair.extended_table_factor *
      Math.min(1, pair.price_range / Math.abs(m)) *
      (value(forward * (1 + m), volUp) - v0),
  );
  const g = black76Greeks({ kind, forward, strike: K, timeYears: T, vol });
  // inverse: coin delta = ∂(B/F)/∂F · F = Δ − B/F (Deribit's delta net of the premium)
  const delta = inst.linear ? g.delta : g.delta - v0;
  return { unit: { standard, extended }, timeYears: T, delta };
}

// ---- the margin of one book ----

export interface WorstCaseBucket {
  index: number;
  source: 'standard' | 'extended';
  /** 1-based price bucket (standard) or extended row. */
  bucket: number;
  side: 'left' | 'right' | 'center';
}

/** The same book inputs for a caller that values its own instruments (the engine's scopes). */
export type DeribitBookContext = z.output<typeof DeribitBookInputSchema>;

export interface DeribitBookMargin {
  /** Settlement currency (btc, eth, usdc): every amount below is in it. */
  currency: string;
  pairs: string[];
  initialRiskVectors: Record<string, RiskVector>;
  preAggregated: RiskVector;
  aggregated: RiskVector;
  /** Extended entries after pnl_offset, before the "beyond the standard worst" reading. */
  offsetExtended: number[];
  /** worst_case minus the worst case with every gain credited in full: what pnl_offset costs. */
  pnlOffsetEffect: number;
  worstCase: number;
  worstCaseBucket: WorstCaseBucket | null;
  rollShock: number;
  deltaShock: number;
  deltaTotal: number;
  correlationContingency: number;
  riskMatrixMargin: number;
  mmpMargin: number;
  openOrdersMargin: number;
  initialMargin: number;
  maintenanceMargin: number;
  /** Book units per USD-equivalent: 1/index (inverse) or 1 (linear). */
  usdRate: number;
}

/**
 * Cross-collateral (X:PM), in USD: every book's aggregated vectors (after its pnl_offset) summed
 * scenario by scenario, so a gain in one book offsets a loss in another only by its pnl_offset
 * share; the contingencies add.
 */
export interface DeribitCrossMargin {
  aggregated: RiskVector;
  worstCase: number;
  worstCaseBucket: WorstCaseBucket | null;
  /** What the same books would need with every gain credited in full, minus nothing: worst_case − that. */
  pnlOffsetEffect: number;
  rollShock: number;
  deltaShock: number;
  correlationContingency: number;
  riskMatrixMargin: number;
  initialMargin: number;
  maintenanceMargin: number;
}

export interface DeribitPmResult {
  /** Segregated (S:PM): one book per settlement currency, amounts in that currency. */
  books: DeribitBookMargin[];
  /** Cross-collateral (X:PM) of all the books, in USD. */
  cross: DeribitCrossMargin;
  /** Σ of the segregated books' IM and MM, in USD at each book's index. */
  totalInitialMarginUsd: number;
  totalMaintenanceMarginUsd: number;
}

/** Parse and value every position: the instrument columns that make up a book. */
export function deribitColumns(
  params: DeribitModelParams,
  input: z.output<typeof DeribitBookInputSchema>,
): Valued[] {
  const out: Valued[] = [];
  for (const [name, size] of Object.entries(input.positions)) {
    if (size === 0) continue;
    const inst = parseDeribitInstrument(name);
    const pair = params.currency_pair[inst.pair];
    if (!pair)
      throw new PortfolioInputError('unknown_underlying', `${name}: no model_params for ${inst.pair}`);
    const index = input.index[inst.pair];
    if (index === undefined)
      throw new PortfolioInputError('unknown_underlying', `${name}: no index price for ${inst.pair}`);
    if (inst.expiryMs !== undefined && inst.expiryMs <= input.nowMs)
      throw new PortfolioInputError(
        'expired',
        `${name}: expired at ${new Date(inst.expiryMs).toISOString()}`,
      );
    const t = input.ticker[name] ?? {};
    const mark = t.mark_price ?? index;
    if (!(mark > 0)) throw new PortfolioInputError('bad_price', `${name}: mark price must be > 0`);
    let forward = index;
    let vol = 0;
    if (inst.kind === 'option') {
      forward = t.underlying_price ?? index;
      const iv = t.mark_iv;
      if (iv === undefined)
        throw new PortfolioInputError('bad_vol', `${name}: mark_iv is required for an option`);
      vol = iv >= 3 ? iv / 100 : iv;
      if (!(vol > 0)) throw new PortfolioInputError('bad_vol', `${name}: mark_iv must be > 0 (got ${iv})`);
      if (!(forward > 0)) throw new PortfolioInputError('bad_price', `${name}: underlying_price must be > 0`);
    }
    const u = deribitUnitVector(inst, pair, params.general.buckets_count, input.nowMs, mark, forward, vol);
    out.push({ instrument: inst, size, unit: u.unit, timeYears: u.timeYears, delta: u.delta, mark });
  }
  return out;
}

/**
 * The worst case of a pre-aggregated vector pair: positive P&L credited through `offset`, the
 * extended entries as the loss beyond the standard worst (see the header).
 */
function worstOf(
  pre: RiskVector,
  offset: (x: number) => number,
  buckets: number,
): { aggregated: RiskVector; worstCase: number; bucket: WorstCaseBucket | null } {
  const aggStd = pre.standard.map(offset);
  const sIdx = argmin(aggStd, (i) => (i % 3 === 1 ? 0 : 1)); // ties: vol same, as Deribit reports
  const wStd = Math.max(0, -(aggStd[sIdx] ?? 0));
  const aggExt = pre.extended.map((x) => Math.min(0, offset(x) + wStd));
  const eIdx = argmin(aggExt);
  const extra = Math.max(0, -(aggExt[eIdx] ?? 0));
  let bucket: WorstCaseBucket | null = null;
  if (extra > 0) {
    const m = DERIBIT_EXTENDED_MOVES[eIdx]!;
    bucket = { index: eIdx, source: 'extended', bucket: eIdx + 1, side: m < 0 ? 'left' : 'right' };
  } else if (wStd > 0) {
    const b = Math.floor(sIdx / 3);
    bucket = {
      index: sIdx,
      source: 'standard',
      bucket: b + 1,
      side: b < buckets ? 'left' : b > buckets ? 'right' : 'center',
    };
  }
  return { aggregated: { standard: aggStd, extended: aggExt }, worstCase: wStd + extra, bucket };
}

/** Half-up to 9 decimals: the precision Deribit states coin amounts in. */
const round9 = (x: number) => Math.round(x * 1e9) / 1e9;

const argmin = (xs: number[], prefer?: (i: number) => number): number => {
  let best = -1;
  for (let i = 0; i < xs.length; i++) {
    if (best < 0 || xs[i]! < xs[best]! || (xs[i] === xs[best] && prefer && prefer(i) < prefer(best)))
      best = i;
  }
  return best;
};

/** The margin of one settlement-currency book from its instrument columns (sizes may be scaled). */
export function deribitBookMargin(
  params: DeribitModelParams,
  input: z.output<typeof DeribitBookInputSchema>,
  currency: string,
  columns: Valued[],
): DeribitBookMargin {
  const linear = columns.some((c) => c.instrument.linear);
  // USDC/USDT-settled books use Deribit's `usd` currency parameters
  const cp = params.currency[currency] ?? (linear ? params.currency.usd : undefined);
  if (!cp) throw new PortfolioInputError('unknown_underlying', `no model_params.currency for ${currency}`);
  const pairs = [...new Set(columns.map((c) => c.instrument.pair))];
  const pairParams = pairs.map((p) => params.currency_pair[p]!);
  const nStd = (2 * params.general.buckets_count + 1) * 3;
  const nExt = DERIBIT_EXTENDED_MOVES.length;
  const pre: RiskVector = { standard: new Array(nStd).fill(0), extended: new Array(nExt).fill(0) };
  const initialRiskVectors: Record<string, RiskVector> = {};
  let roll = 0;
  let deltaTotal = 0;
  for (const c of columns) {
    const vec = {
      standard: c.unit.standard.map((x) => c.size * x),
      extended: c.unit.extended.map((x) => c.size * x),
    };
    initialRiskVectors[c.instrument.name] = vec;
    for (let s = 0; s < nStd; s++) pre.standard[s]! += vec.standard[s]!;
    for (let j = 0; j < nExt; j++) pre.extended[j]! += vec.extended[j]!;
    deltaTotal += c.size * c.delta;
    if (c.instrument.kind !== 'option') {
      const rate = Math.max(cp.annualised_move_risk * c.timeYears, cp.min_annualised_move);
      roll += Math.abs(c.size) * rate * (c.instrument.linear ? c.mark : 1);
    }
  }
  // One pair per coin-settled book; a USDC book may span pairs (its vectors sum pair by pair in
  // the same scenario index, as Deribit's single usdc vector does).
  const index0 = input.index[pairs[0] ?? ''] ?? 1;
  const usdRate = linear ? 1 : 1 / index0;
  const cap = cp.max_offsetable_pnl * usdRate;
  const offset = (x: number) => (x < 0 ? x : Math.min(cp.pnl_offset * x, cap));
  const w = worstOf(pre, offset, params.general.buckets_count);
  const full = worstOf(pre, (x) => x, params.general.buckets_count);
  const { worstCase, bucket } = w;
  // delta shock (inferred, see the header): only past the liquidity threshold
  let deltaShock = 0;
  const pp = pairParams[0];
  if (pp && pairs.length === 1) {
    const usd = Math.abs(deltaTotal) * index0;
    if (pp.delta_total_liq_shock_threshold > 0 && usd > pp.delta_total_liq_shock_threshold) {
      const frac = Math.min(pp.max_delta_shock, pp.m_inc * Math.abs(deltaTotal));
      deltaShock = Math.abs(deltaTotal) * frac * (linear ? index0 : 1);
    }
  }
  const correlationContingency = input.correlation_contingency[currency] ?? 0;
  // Deribit adds worst_case rounded to 9 decimals, and states IM to 9 decimals (both examples)
  const rmm = round9(worstCase) + roll + deltaShock + correlationContingency;
  const mmpMargin = input.mmp_margin[currency] ?? 0;
  const openOrdersMargin = input.open_orders_margin[currency] ?? 0;
  return {
    currency,
    pairs,
    initialRiskVectors,
    preAggregated: pre,
    aggregated: w.aggregated,
    offsetExtended: pre.extended.map(offset),
    pnlOffsetEffect: worstCase - full.worstCase,
    worstCase,
    worstCaseBucket: bucket,
    rollShock: roll,
    deltaShock,
    deltaTotal,
    correlationContingency,
    riskMatrixMargin: rmm,
    mmpMargin,
    openOrdersMargin,
    initialMargin: round9(rmm + mmpMargin + openOrdersMargin),
    maintenanceMargin: params.general.mm_factor * rmm,
    usdRate,
  };
}

/** A book's currency parameters as `deribitBookMargin` picks them (a USDC/USDT book: `usd`). */
export function deribitCurrencyParamsOf(
  params: DeribitModelParams,
  currency: string,
  linear: boolean,
): DeribitCurrencyParams {
  const cp = params.currency[currency] ?? (linear ? params.currency.usd : undefined);
  if (!cp) throw new PortfolioInputError('unknown_underlying', `no model_params.currency for ${currency}`);
  return cp;
}

/**
 * What `deribitBookMargin` needs beyond the pre-aggregated vector to state IM and MM: for a
 * caller that keeps the vector itself (the engine's kept book, account/portfolio-deribit-book.ts).
 */
export interface DeribitBookSums {
  /** Σ size × unit P&L, the standard entries (3(2N+1)) then the extended ones, summed in book order. */
  pre: Float64Array;
  /** Σ |size| · max(annualised_move_risk · T, min_annualised_move) (· mark, linear), in book order. */
  roll: number;
  /** Σ size × delta, in book order. */
  deltaTotal: number;
  /** The book has a linear instrument. */
  linear: boolean;
  /** Index of the book's first instrument's pair. */
  index0: number;
  /** The parameters of the book's pair when it has exactly one, else undefined. */
  singlePair: DeribitPairParams | undefined;
}

/**
 * IM and MM of one book (`out[0]`, `out[1]`) from its sums, equal to the bit to
 * `deribitBookMargin`'s `initialMargin` and `maintenanceMargin` on the same columns (the property
 * test compares them): the same offset, the same worst-case reading, the same contingencies, in
 * the same order, without the breakdown and without allocating (no per-instrument vector, no
 * aggregated arrays), so a margin check does not feed the collector.
 */
export function deribitBookFigures(
  params: DeribitModelParams,
  cp: DeribitCurrencyParams,
  b: DeribitBookSums,
  adds: { correlationContingency: number; mmpMargin: number; openOrdersMargin: number },
  out: Float64Array,
): void {
  const nStd = (2 * params.general.buckets_count + 1) * 3;
  const nExt = DERIBIT_EXTENDED_MOVES.length;
  const pre = b.pre;
  const usdRate = b.linear ? 1 : 1 / b.index0;
  const cap = cp.max_offsetable_pnl * usdRate;
  const k = cp.pnl_offset;
  // worstOf: the first minimum of the offset standard entries (argmin's tie preference picks
  // among equal values, which leaves the value unchanged), then the extended loss beyond it
  let best = 0;
  for (let s = 0; s < nStd; s++) {
    const x = pre[s]!;
    const v = x < 0 ? x : Math.min(k * x, cap);
    if (s === 0 || v < best) best = v;
  }
  const wStd = Math.max(0, -(nStd > 0 ? best : 0));
  let bestExt = 0;
  for (let j = 0; j < nExt; j++) {
    const x = pre[nStd + j]!;
    const v = Math.min(0, (x < 0 ? x : Math.min(k * x, cap)) + wStd);
    if (j === 0 || v < bestExt) bestExt = v;
  }
  const worstCase = wStd + Math.max(0, -(nExt > 0 ? bestExt : 0));
  let deltaShock = 0;
  const pp = b.singlePair;
  if (pp) {
    const usd = Math.abs(b.deltaTotal) * b.index0;
    if (pp.delta_total_liq_shock_threshold > 0 && usd > pp.delta_total_liq_shock_threshold) {
      const frac = Math.min(pp.max_delta_shock, pp.m_inc * Math.abs(b.deltaTotal));
      deltaShock = Math.abs(b.deltaTotal) * frac * (b.linear ? b.index0 : 1);
    }
  }
  const rmm = round9(worstCase) + b.roll + deltaShock + adds.correlationContingency;
  out[0] = round9(rmm + adds.mmpMargin + adds.openOrdersMargin);
  out[1] = params.general.mm_factor * rmm;
}

function crossMargin(params: DeribitModelParams, books: DeribitBookMargin[]): DeribitCrossMargin {
  const nStd = (2 * params.general.buckets_count + 1) * 3;
  const nExt = DERIBIT_EXTENDED_MOVES.length;
  const sum = (pick: (b: DeribitBookMargin) => RiskVector): RiskVector => {
    const v: RiskVector = { standard: new Array(nStd).fill(0), extended: new Array(nExt).fill(0) };
    for (const b of books) {
      const r = pick(b);
      for (let s = 0; s < nStd; s++) v.standard[s]! += r.standard[s]! / b.usdRate;
      for (let j = 0; j < nExt; j++) v.extended[j]! += r.extended[j]! / b.usdRate;
    }
    return v;
  };
  // the books' standard vectors after offset, and their extended vectors after offset (undo the
  // book-level "beyond the standard worst" reading: it is re-applied on the sum)
  const offsetExt = (b: DeribitBookMargin) => ({
    standard: b.aggregated.standard,
    extended: b.offsetExtended,
  });
  const w = worstOf(sum(offsetExt), (x) => x, params.general.buckets_count);
  const full = worstOf(
    sum((b) => b.preAggregated),
    (x) => x,
    params.general.buckets_count,
  );
  const add = (f: (b: DeribitBookMargin) => number) => books.reduce((a, b) => a + f(b) / b.usdRate, 0);
  const rollShock = add((b) => b.rollShock);
  const deltaShock = add((b) => b.deltaShock);
  const correlationContingency = add((b) => b.correlationContingency);
  const rmm = w.worstCase + rollShock + deltaShock + correlationContingency;
  return {
    aggregated: w.aggregated,
    worstCase: w.worstCase,
    worstCaseBucket: w.bucket,
    pnlOffsetEffect: w.worstCase - full.worstCase,
    rollShock,
    deltaShock,
    correlationContingency,
    riskMatrixMargin: rmm,
    initialMargin: rmm + add((b) => b.mmpMargin + b.openOrdersMargin),
    maintenanceMargin: params.general.mm_factor * rmm,
  };
}

/**
 * Deribit portfolio margin of an account: one book per settlement currency (S:PM), and the
 * cross-collateral totals in USD (X:PM adds the books' requirements at their index; Deribit then
 * states the total in any currency as total_usd / index of that currency).
 */
export function deribitPortfolioMargin(modelParams: unknown, bookInput: unknown): DeribitPmResult {
  const params = parseDeribitModelParams(modelParams);
  const r = DeribitBookInputSchema.safeParse(bookInput);
  if (!r.success)
    throw new PortfolioInputError(
      'bad_input',
      r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    );
  const input = r.data;
  const columns = deribitColumns(params, input);
  const byCurrency = new Map<string, Valued[]>();
  for (const c of columns) {
    const list = byCurrency.get(c.instrument.settlement) ?? [];
    list.push(c);
    byCurrency.set(c.instrument.settlement, list);
  }
  const books = [...byCurrency].map(([cur, cols]) => deribitBookMargin(params, input, cur, cols));
  return {
    books,
    cross: crossMargin(params, books),
    totalInitialMarginUsd: books.reduce((a, b) => a + b.initialMargin / b.usdRate, 0),
    totalMaintenanceMarginUsd: books.reduce((a, b) => a + b.maintenanceMargin / b.usdRate, 0),
  };
}
