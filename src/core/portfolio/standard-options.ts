/**
 * Standard (per-position) options margin, as the large crypto options venues publish it.
 *
 * Each position is margined on its own; the account's requirement is the sum. With S the
 * underlying price (Deribit: the underlying future's mark for the expiry; Bybit and Aevo: the
 * index), M the option's mark price and OTM the out-of-the-money amount
 * (call: max(K − S, 0), put: max(S − K, 0)), per unit of a SHORT option, in quote:
 *
 *   IM = max(base·S − OTM, floor·S + floorMark·M) + M          (put: also ≥ MM, when configured)
 *   MM = max(a·S, b·M) + M + liquidationFee·S
 *
 * and a LONG option needs its premium only (IM = MM = M: the mark is part of equity, so the
 * requirement keeps a long option from adding free collateral), or nothing ('none').
 *
 * Deribit publishes its rule in coin for inverse options — short call IM = max(0.15 − OTM/S, 0.1)
 * + mark (BTC), MM = 0.075 + mark; short put IM = max(max(0.15 − OTM/S, 0.1) + mark, MM),
 * MM = max(0.075, 0.075·mark) + mark. Multiplying by S gives the quote form above with
 * base 0.15, floor 0.1, a = 0.075, b = 0 (call) or 0.075 (put); `inCoin` divides back.
 *
 * Linear futures and perpetuals (for the standard side of a comparison): IM = |q|·P·(r₀ + s·|q|),
 * MM = |q|·P·(m₀ + s·|q|) (Deribit's linear perpetuals: 2% / 1% + 0.005% per BTC).
 *
 * Float64 throughout (screening, see model.ts). Sources and worked examples:
 * test/vectors/options_standard_margin.json.
 */
import { z } from 'zod';
import { InvariantError } from '../num/index.ts';
import {
  type MarketSnapshot,
  type OptionKind,
  type PortfolioAccount,
  positionLabel,
  valuePosition,
} from './model.ts';

const rate = z.number().min(0).max(10);

export const StandardOptionRuleSchema = z.object({
  name: z.string().min(1).max(64),
  initial: z.object({
    /** IM = max(base·S − OTM, floor·S + floorMark·M) + M. */
    base: rate,
    floor: rate,
    floorMarkCall: rate.default(0),
    floorMarkPut: rate.default(0),
    /** Short put IM is at least its MM (Deribit, Aevo). */
    putAtLeastMaintenance: z.boolean().default(true),
  }),
  maintenance: z.object({
    /** MM = max(underlying·S, mark·M) + M + liquidationFee·S. */
    call: z.object({ underlying: rate, mark: rate.default(0) }),
    put: z.object({ underlying: rate, mark: rate.default(0) }),
    liquidationFee: rate.default(0),
  }),
  /** Long options: 'premium' (IM = MM = mark) or 'none'. */
  long: z.enum(['premium', 'none']).default('premium'),
});
export type StandardOptionRule = z.output<typeof StandardOptionRuleSchema>;

export const LinearStandardRuleSchema = z.object({
  /** IM = |q|·P·(initialRate + sizeSlope·|q|). */
  initialRate: rate,
  /** MM = |q|·P·(maintenanceRate + sizeSlope·|q|). */
  maintenanceRate: rate,
  /** Added per unit of |q| (Deribit: 0.005% per BTC, 0.0005% per SOL). */
  sizeSlope: rate.default(0),
});
export type LinearStandardRule = z.output<typeof LinearStandardRuleSchema>;

/** Deribit inverse (coin-settled) options: support.deribit.com; formulas as quoted in the header. */
export const DERIBIT_OPTIONS: StandardOptionRule = StandardOptionRuleSchema.parse({
  name: 'deribit-options',
  initial: { base: 0.15, floor: 0.1 },
  maintenance: { call: { underlying: 0.075 }, put: { underlying: 0.075, mark: 0.075 } },
});

/** Aevo standard margin: api-docs.aevo.xyz/docs/standard-margin (MM 10% of spot). */
export const AEVO_OPTIONS: StandardOptionRule = StandardOptionRuleSchema.parse({
  name: 'aevo-options',
  initial: { base: 0.15, floor: 0.1 },
  maintenance: { call: { underlying: 0.1 }, put: { underlying: 0.1, mark: 0.1 } },
});

/**
 * Bybit USDC options (cross margin): Help Center "Initial and Maintenance Margin Calculation
 * (Options)": MM = [max(3%·index, 3%·mark) + mark + 0.2%·index] × |size|; IM 15% / 10%.
 */
export const BYBIT_OPTIONS: StandardOptionRule = StandardOptionRuleSchema.parse({
  name: 'bybit-options',
  initial: { base: 0.15, floor: 0.1, putAtLeastMaintenance: false },
  maintenance: {
    call: { underlying: 0.03, mark: 0.03 },
    put: { underlying: 0.03, mark: 0.03 },
    liquidationFee: 0.002,
  },
});

/** Deribit BTC_USDC linear perpetual: IM 2% + 0.005%·|q|, MM 1% + 0.005%·|q| (support.deribit.com). */
export const DERIBIT_BTC_LINEAR: LinearStandardRule = {
  initialRate: 0.02,
  maintenanceRate: 0.01,
  sizeSlope: 0.00005,
};
/** Deribit SOL_USDC linear perpetual: IM 4% + 0.0005%·|q|, MM 2% + 0.0005%·|q|. */
export const DERIBIT_SOL_LINEAR: LinearStandardRule = {
  initialRate: 0.04,
  maintenanceRate: 0.02,
  sizeSlope: 0.000005,
};

export interface StandardMargin {
  /** Quote. */
  initial: number;
  maintenance: number;
}

export interface OptionMarginInput {
  kind: OptionKind;
  /** Strike, quote. */
  strike: number;
  /** Signed size (+ long, − short), underlying units. */
  size: number;
  /** S: the underlying (future or index) price the rule is quoted on, quote. */
  underlyingPrice: number;
  /** M: the option's mark price per unit, quote (an inverse option's coin mark × S). */
  markPrice: number;
}

/** Out-of-the-money amount per unit: call max(K − S, 0), put max(S − K, 0). */
export function outOfTheMoney(kind: OptionKind, strike: number, underlyingPrice: number): number {
  return Math.max(kind === 'call' ? strike - underlyingPrice : underlyingPrice - strike, 0);
}

/**
 * Standard IM and MM of one option position (quote), by the rule in the header.
 * @example standardOptionMargin(DERIBIT_OPTIONS, { kind: 'put', strike: 9000, size: -1, underlyingPrice: 10000, markPrice: 250 })
 * // { initial: 1250, maintenance: 1000 }  (0.125 BTC and 0.1 BTC at 10,000)
 */
export function standardOptionMargin(rule: StandardOptionRule, o: OptionMarginInput): StandardMargin {
  const { underlyingPrice: S, markPrice: M } = o;
  if (!(S > 0 && Number.isFinite(S)))
    throw new InvariantError(`standard margin: underlying price ${S} must be > 0`);
  if (!(M >= 0 && Number.isFinite(M))) throw new InvariantError(`standard margin: mark ${M} must be ≥ 0`);
  const q = Math.abs(o.size);
  if (o.size >= 0) {
    const premium = rule.long === 'premium' ? M * q : 0;
    return { initial: premium, maintenance: premium };
  }
  const call = o.kind === 'call';
  const mmTerms = call ? rule.maintenance.call : rule.maintenance.put;
  const mm = Math.max(mmTerms.underlying * S, mmTerms.mark * M) + M + rule.maintenance.liquidationFee * S;
  const otm = outOfTheMoney(o.kind, o.strike, S);
  const floorMark = call ? rule.initial.floorMarkCall : rule.initial.floorMarkPut;
  let im = Math.max(rule.initial.base * S - otm, rule.initial.floor * S + floorMark * M) + M;
  if (!call && rule.initial.putAtLeastMaintenance) im = Math.max(im, mm);
  return { initial: im * q, maintenance: mm * q };
}

/**
 * Standard IM and MM of a linear future or perpetual position (quote).
 * @example standardLinearMargin(DERIBIT_BTC_LINEAR, 25, 100_000) // { initial: 53125, maintenance: 28125 }
 */
export function standardLinearMargin(rule: LinearStandardRule, size: number, price: number): StandardMargin {
  const q = Math.abs(size);
  const notional = q * price;
  return {
    initial: notional * (rule.initialRate + rule.sizeSlope * q),
    maintenance: notional * (rule.maintenanceRate + rule.sizeSlope * q),
  };
}

/** A quote amount in coin at the underlying price (Deribit states inverse requirements in coin). */
export function inCoin(amountQuote: number, underlyingPrice: number): number {
  return amountQuote / underlyingPrice;
}

export interface StandardAccountMargin {
  positions: { label: string; initial: number; maintenance: number }[];
  initialMargin: number;
  maintenanceMargin: number;
}

/**
 * Standard margin of a whole account: options by `option` (marks from Black-76 on the snapshot,
 * S = the forward of the option's expiry, or the spot), linear positions by `linear`
 * (one rule, or one per underlying). The sum is what a standard-margin account would need.
 */
export function standardMargin(
  account: PortfolioAccount,
  snapshot: MarketSnapshot,
  rules: {
    option: StandardOptionRule;
    linear: LinearStandardRule | Readonly<Record<string, LinearStandardRule>>;
  },
  opts: { underlyingPrice?: 'forward' | 'spot' } = {},
): StandardAccountMargin {
  const useSpot = opts.underlyingPrice === 'spot';
  const positions = account.positions.map((p, i) => {
    const v = valuePosition(p, snapshot);
    let m: StandardMargin;
    if (p.type === 'option') {
      m = standardOptionMargin(rules.option, {
        kind: p.kind,
        strike: p.strike,
        size: p.size,
        underlyingPrice: useSpot ? v.spot : v.underlyingPrice,
        markPrice: v.unitValue,
      });
    } else {
      const rule: LinearStandardRule | undefined =
        'initialRate' in rules.linear
          ? (rules.linear as LinearStandardRule)
          : (rules.linear as Readonly<Record<string, LinearStandardRule>>)[p.underlying];
      if (!rule) throw new InvariantError(`standard margin: no linear rule for ${p.underlying}`);
      m = standardLinearMargin(rule, p.size, v.underlyingPrice);
    }
    return { label: positionLabel(p, i), ...m };
  });
  return {
    positions,
    initialMargin: positions.reduce((a, p) => a + p.initial, 0),
    maintenanceMargin: positions.reduce((a, p) => a + p.maintenance, 0),
  };
}
