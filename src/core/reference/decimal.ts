/**
 * Decimal helpers for the reference calculators: big.js numbers with enough
 * places that every division used here is exact or far finer than one unit.
 * Used only by tests (see DESIGN §7: two implementations of the hard parts).
 */
import Big from 'big.js';
import type { Rounding } from '../num/index.ts';

/** A private big.js constructor: 80 decimal places, truncating (no silent rounding up). */
export const D = Big();
D.DP = 80;
D.RM = Big.roundDown;

/** An integer at `decimals` scale as a decimal number (12345n, 2 → 123.45). */
export function dec(value: bigint, decimals = 0): Big {
  return new D(value.toString()).div(new D(10).pow(decimals));
}

/** A decimal rounded to an integer as asked, returned as bigint. */
export function toBigint(x: Big, rounding: Rounding): bigint {
  const positive = x.gte(0);
  let rm: Big.RoundingMode;
  switch (rounding) {
    case 'trunc':
      rm = Big.roundDown;
      break;
    case 'floor':
      rm = positive ? Big.roundDown : Big.roundUp;
      break;
    case 'ceil':
      rm = positive ? Big.roundUp : Big.roundDown;
      break;
    case 'halfEven':
      rm = Big.roundHalfEven;
      break;
  }
  return BigInt(x.round(0, rm).toFixed(0));
}

/** A decimal scaled to an integer at `decimals` places (123.456, 2, 'floor' → 12345n). */
export function scaled(x: Big, decimals: number, rounding: Rounding): bigint {
  return toBigint(x.times(new D(10).pow(decimals)), rounding);
}

/** ⌊√n⌋ of a non-negative integer, through a decimal square root. */
export function floorSqrt(n: bigint): bigint {
  return toBigint(dec(n).sqrt(), 'floor');
}
