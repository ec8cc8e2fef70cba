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
 * Why the mark is added although equity already holds the option at −M per short unit: that is
 * how the venues define it (equity includes the option's value and the requirement adds the mark
 * again), so the seller keeps cash to buy the option back on top of the risk amount.
 */

import type { OptionTerms, StandardOptionMargin } from '../model/config.ts';
import { divRound, PPM } from '../num/index.ts';
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

/** Intrinsic value per unit at an underlying price, px8: what the option pays at expiry. */
export function intrinsicPx8(terms: OptionTerms, underlyingPx8: bigint): bigint {
  const v = terms.right === 'call' ? underlyingPx8 - terms.strike : terms.strike - underlyingPx8;
  return v > 0n ? v : 0n;
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

/** IM and MM of an option position (signed size, qty9) in quote units, rounded up. */
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
  const unit = shortUnitRequirement(rule, terms, underlyingPx8, optionMarkPx8);
  return {
    initialQuote: divRound(q * unit.initial, divisor, 'ceil'),
    maintenanceQuote: divRound(q * unit.maintenance, divisor, 'ceil'),
  };
}
