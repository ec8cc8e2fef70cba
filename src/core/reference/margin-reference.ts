/**
 * Slow, obviously correct margin calculators (big.js decimals, textbook
 * formulas in whole units), the yardstick for the fast bigint code in
 * ../margin. Used only by tests.
 */
import type Big from 'big.js';
import type { Rounding } from '../num/index.ts';
import { D, dec, floorSqrt, toBigint } from './decimal.ts';

/**
 * |size| × price in quote units: (size / 1e9 base) × (price / 1e8 quote per base) × 10^quoteDecimals.
 *
 * @param sizeQty9 size, qty9 @param px8 price, px8 @param quoteDecimals quote decimals
 */
export function refNotionalQuote(
  sizeQty9: bigint,
  px8: bigint,
  quoteDecimals: number,
  rounding: Rounding,
): bigint {
  const size = dec(sizeQty9 < 0n ? -sizeQty9 : sizeQty9, 9);
  return toBigint(size.times(dec(px8, 8)).times(new D(10).pow(quoteDecimals)), rounding);
}

/** Signed size × price in quote units. */
export function refSignedValueQuote(
  sizeQty9: bigint,
  px8: bigint,
  quoteDecimals: number,
  rounding: Rounding,
): bigint {
  return toBigint(dec(sizeQty9, 9).times(dec(px8, 8)).times(new D(10).pow(quoteDecimals)), rounding);
}

/** A bracket in decimal terms: cap in whole quote (undefined = last), ratios as fractions. */
export interface RefBracket {
  readonly cap: Big | undefined;
  readonly mmr: Big;
  readonly imr: Big;
}

/**
 * Binance's maintenance amounts, textbook form in whole quote:
 * cum_0 = 0, cum_b = cum_{b−1} + cap_{b−1} × (mmr_b − mmr_{b−1}).
 */
export function refMaintenanceAmounts(brackets: readonly RefBracket[]): Big[] {
  const out: Big[] = [];
  brackets.forEach((b, i) => {
    if (i === 0) out.push(new D(0));
    else {
      const prev = brackets[i - 1]!;
      out.push(out[i - 1]!.plus(prev.cap!.times(b.mmr.minus(prev.mmr))));
    }
  });
  return out;
}

/**
 * Bracket MM and IM of a notional (quote units), each rounded up to a quote unit.
 * The bracket is the last one whose floor (previous cap) ≤ notional.
 */
export function refBracketsRequirement(
  brackets: readonly RefBracket[],
  notionalQuote: bigint,
  quoteDecimals: number,
): { initialQuote: bigint; maintenanceQuote: bigint } {
  const n = dec(notionalQuote, quoteDecimals);
  const amounts = refMaintenanceAmounts(brackets);
  let k = 0;
  for (let i = 1; i < brackets.length; i++) if (n.gte(brackets[i - 1]!.cap!)) k = i;
  const b = brackets[k]!;
  const unit = new D(10).pow(quoteDecimals);
  let mm = n.times(b.mmr).minus(amounts[k]!);
  if (mm.lt(0)) mm = new D(0);
  return {
    initialQuote: toBigint(n.times(b.imr).times(unit), 'ceil'),
    maintenanceQuote: toBigint(mm.times(unit), 'ceil'),
  };
}

/**
 * Drift's size-premium ratio, same integer steps as the fast version but each
 * one spelled out on decimals (⌊√⌋ via a decimal square root).
 */
export function refSizePremiumRatio(
  sizeQty9: bigint,
  imfFactorPpm: bigint,
  base: bigint,
  precision: bigint,
): bigint {
  if (imfFactorPpm === 0n) return base;
  const sizeSqrt = floorSqrt(sizeQty9 * 10n + 1n);
  const numerator = dec(base).minus(toBigint(dec(base).div(5), 'floor').toString());
  const divisor = dec(100_000n * 1_000_000n).div(dec(precision));
  const premium = numerator.plus(
    toBigint(dec(sizeSqrt).times(dec(imfFactorPpm)).div(divisor), 'floor').toString(),
  );
  const p = toBigint(premium, 'floor');
  return p > base ? p : base;
}

/**
 * The continuous formula the integer one approximates, in ppm:
 * max(base, 0.8 × base + imf × √(size in whole units)).
 */
export function refSizePremiumContinuousPpm(sizeQty9: bigint, imfFactorPpm: bigint, basePpm: bigint): Big {
  const premium = dec(basePpm)
    .times('0.8')
    .plus(dec(imfFactorPpm).times(dec(sizeQty9, 9).sqrt()));
  return premium.gt(dec(basePpm)) ? premium : dec(basePpm);
}
