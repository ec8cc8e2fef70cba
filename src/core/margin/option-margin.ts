/**
 * Standard options margin, exact: the engine's requirement for an option position.
 *
 * The rule (model/config.ts StandardOptionMarginSchema; the published venue rules and the
 * float64 reference are in portfolio/standard-options.ts) per unit of a SHORT option, with S
 * the underlying market's mark, M the option's mark and OTM its out-of-the-money amount:
 *
 *   IM = max(base·S − OTM, floor·S + floorMark·M) + M        (put: ≥ MM if putAtLeastMaintenance)
 *   MM = max(underlying·S, mark·M) + M + liquidationFee·S
 *
 * and a LONG option IM = MM = M (premium) or 0 ('none'). Every term is linear in prices with
 * ppm rates, so the per-unit amounts are exact integers at px8 × ppm; the position's requirement
 * is |size| × that, rounded UP once to quote units (a requirement is never understated).
 *
 * Coin-settled (inverse) options (Deribit, OKX: `settlement: 'inverse'`) state the same rule in
 * the coin, with M the premium in coin: short call IM = max(base − OTM/S, floor + floorMark·M) + M,
 * MM = max(underlying, mark·M) + M + liquidationFee (Deribit: max(0.15 − OTM/S, 0.1) + M and
 * 0.075 + M). That is the quote rule at the mark M·S divided by S, and the quote rule is
 * homogeneous of degree one in (S, K, M), so with every price scaled by 1e8
 *
 *   unit_coin · S = f(S·1e8, K·1e8, M·S)          (f: the quote rule above, exact integers)
 *
 * and a position's coin requirement is |size| · f(…) / S, still one exact product and a single
 * rounding up. At expiry a coin-settled option pays max(S − K, 0)/S coin per unit (a put
 * max(K − S, 0)/S), rounded down to the price grid so the payer is never asked for more.
 *
 * Why the mark is added although equity already holds the option at −M per short unit: that is
 * how the venues define it (equity includes the option's value and the requirement adds the mark
 * again), so the seller keeps cash to buy the option back on top of the risk amount.
 */

import type { OptionTerms, StandardOptionMargin } from '../model/config.ts';
import { divRound, InvariantError, PPM } from '../num/index.ts';
import { valueDivisor } from './notional.ts';

export interface OptionRequirement {
  readonly initialQuote: bigint;
  readonly maintenanceQuote: bigint;
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);

/** Out-of-the-money amount per unit, px8: call max(K − S, 0), put max(S − K, 0). */
export function outOfTheMoneyPx8(terms: OptionTerms, underlyingPx8: bigint): bigint {
  const otm = terms.right === 'call' ? terms.strike - underlyingPx8 : underlyingPx8 - terms.strike;
  return otm > 0n ? otm : 0n;
}

/** Intrinsic value per unit at an underlying price, px8 of quote (USD per coin). */
export function intrinsicPx8(terms: OptionTerms, underlyingPx8: bigint): bigint {
  const v = terms.right === 'call' ? underlyingPx8 - terms.strike : terms.strike - underlyingPx8;
  return v > 0n ? v : 0n;
}

export function isCoinSettled(terms: OptionTerms): boolean {
  return terms.settlement === 'inverse';
}

const COIN_ONE = 100_000_000n; // one coin at px8

/**
 * What the option pays per unit at expiry, in its own price unit (px8): the intrinsic value in
 * quote (linear), or intrinsic/S in coin (coin-settled, rounded down: Deribit's max(S − K, 0)/S).
 */
export function expiryPayoffPx8(terms: OptionTerms, underlyingPx8: bigint): bigint {
  const v = intrinsicPx8(terms, underlyingPx8);
  if (!isCoinSettled(terms) || v === 0n) return v;
  return divRound(v * COIN_ONE, underlyingPx8, 'floor');
}

/**
 * The no-arbitrage ceiling of an option's price (px8, in its own unit): a call is worth at most
 * S (linear) or 1 coin (coin-settled); a put at most K, or K/S coin (rounded up, a bound).
 */
export function optionPriceBoundPx8(terms: OptionTerms, underlyingPx8: bigint): bigint {
  const call = terms.right === 'call';
  if (!isCoinSettled(terms)) return call ? underlyingPx8 : terms.strike;
  return call ? COIN_ONE : divRound(terms.strike * COIN_ONE, underlyingPx8, 'ceil');
}

/**
 * The scale of an option's price relative to its underlying's: a price move is guarded against
 * S (linear) or 1 coin (coin-settled: a premium in coin moves by at most |delta| ≤ 1 coin per
 * coin-relative move of S, plus what a volatility change adds).
 */
export function optionGuardScalePx8(terms: OptionTerms, underlyingPx8: bigint): bigint {
  return isCoinSettled(terms) ? COIN_ONE : underlyingPx8;
}

/**
 * Per-unit IM and MM of a short option at px8 × ppm scale (exact).
 * @example shortUnitRequirement(deribit, put K 9,000, S 10,000, M 250) → IM 1,250, MM 1,000 (× 1e8 × 1e6)
 */
export function shortUnitRequirement(
  rule: StandardOptionMargin,
  terms: OptionTerms,
  underlyingPx8: bigint,
  optionMarkPx8: bigint,
): { initial: bigint; maintenance: bigint } {
  const S = underlyingPx8;
  const M = optionMarkPx8;
  const call = terms.right === 'call';
  const mmTerms = call ? rule.maintenance.call : rule.maintenance.put;
  const mm = max(mmTerms.underlying * S, mmTerms.mark * M) + M * PPM + rule.maintenance.liquidationFee * S;
  const floorMark = call ? rule.initial.floorMarkCall : rule.initial.floorMarkPut;
  const otm = outOfTheMoneyPx8(terms, S);
  let im = max(rule.initial.base * S - otm * PPM, rule.initial.floor * S + floorMark * M) + M * PPM;
  if (!call && rule.initial.putAtLeastMaintenance) im = max(im, mm);
  return { initial: im, maintenance: mm };
}

/**
 * IM and MM of an option position (signed size, qty9) in settlement units, rounded up: quote for a
 * linear option, the coin for a coin-settled one (its mark then in coin, S in quote).
 */
export function optionPositionRequirement(
  rule: StandardOptionMargin,
  terms: OptionTerms,
  sizeQty9: bigint,
  underlyingPx8: bigint,
  optionMarkPx8: bigint,
  quoteDecimals: number,
): OptionRequirement {
  if (sizeQty9 === 0n) return { initialQuote: 0n, maintenanceQuote: 0n };
  const divisor = valueDivisor(quoteDecimals) * PPM;
  if (sizeQty9 > 0n) {
    if (rule.long === 'none') return { initialQuote: 0n, maintenanceQuote: 0n };
    const premium = divRound(sizeQty9 * optionMarkPx8 * PPM, divisor, 'ceil');
    return { initialQuote: premium, maintenanceQuote: premium };
  }
  const q = -sizeQty9;
  if (isCoinSettled(terms)) {
    const unitTimesS = coinUnitRequirementTimesS(rule, terms, underlyingPx8, optionMarkPx8);
    const d = divisor * underlyingPx8;
    return {
      initialQuote: divRound(q * unitTimesS.initial, d, 'ceil'),
      maintenanceQuote: divRound(q * unitTimesS.maintenance, d, 'ceil'),
    };
  }
  const unit = shortUnitRequirement(rule, terms, underlyingPx8, optionMarkPx8);
  return {
    initialQuote: divRound(q * unit.initial, divisor, 'ceil'),
    maintenanceQuote: divRound(q * unit.maintenance, divisor, 'ceil'),
  };
}

/**
 * A coin-settled short option's per-unit IM and MM times S (coin px8 × ppm × S px8, exact): the
 * quote rule with every price scaled by 1e8 and the mark in quote M·S (module header).
 * @example Deribit, short call K 9,000, S 10,000, M 0.025 BTC: IM 0.175 BTC, MM 0.1 BTC
 */
export function coinUnitRequirementTimesS(
  rule: StandardOptionMargin,
  terms: OptionTerms,
  underlyingPx8: bigint,
  optionMarkCoinPx8: bigint,
): { initial: bigint; maintenance: bigint } {
  if (underlyingPx8 <= 0n)
    throw new InvariantError('a coin-settled option needs a positive underlying price');
  return shortUnitRequirement(
    rule,
    { ...terms, strike: terms.strike * COIN_ONE },
    underlyingPx8 * COIN_ONE,
    optionMarkCoinPx8 * underlyingPx8,
  );
}
