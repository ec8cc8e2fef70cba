/**
 * Exact rationals on bigint, for the venues' closed-form formulas (a published
 * liquidation price is a quotient; evaluating it exactly and rounding once at the
 * end is what lets a test say "to the cent" without a float in the way).
 *
 * A rational is { n, d } with d > 0, not necessarily reduced.
 */
import { divRound, InvariantError, parseDecimalUnsafe, pow10, type Rounding } from '../num/index.ts';

export interface Rational {
  readonly n: bigint;
  readonly d: bigint;
}

export function rat(n: bigint, d: bigint = 1n): Rational {
  if (d === 0n) throw new InvariantError('rational with zero denominator');
  return d < 0n ? { n: -n, d: -d } : { n, d };
}

/** A decimal string ("-12.5") as an exact rational. */
export function ratOf(text: string): Rational {
  const dot = text.indexOf('.');
  const places = dot < 0 ? 0 : text.length - dot - 1;
  return rat(parseDecimalUnsafe(text, places), pow10(places));
}

/** An integer at `decimals` scale as a rational. */
export function ratScaled(value: bigint, decimals: number): Rational {
  return rat(value, pow10(decimals));
}

export const ZERO: Rational = { n: 0n, d: 1n };
export const ONE: Rational = { n: 1n, d: 1n };

export const add = (a: Rational, b: Rational): Rational => rat(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Rational, b: Rational): Rational => rat(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Rational, b: Rational): Rational => rat(a.n * b.n, a.d * b.d);
export const neg = (a: Rational): Rational => ({ n: -a.n, d: a.d });
export function div(a: Rational, b: Rational): Rational {
  if (b.n === 0n) throw new InvariantError('rational division by zero');
  return rat(a.n * b.d, a.d * b.n);
}
/** −1, 0 or 1 as a compares to b. */
export function cmp(a: Rational, b: Rational): -1 | 0 | 1 {
  const x = a.n * b.d - b.n * a.d;
  return x < 0n ? -1 : x > 0n ? 1 : 0;
}
export const isZero = (a: Rational): boolean => a.n === 0n;
export const sign = (a: Rational): -1 | 0 | 1 => (a.n < 0n ? -1 : a.n > 0n ? 1 : 0);
export const min = (a: Rational, b: Rational): Rational => (cmp(a, b) <= 0 ? a : b);
export const max = (a: Rational, b: Rational): Rational => (cmp(a, b) >= 0 ? a : b);
export const clamp = (a: Rational, lo: Rational, hi: Rational): Rational => min(max(a, lo), hi);

/** The rational as an integer at `decimals` scale, rounded as asked. */
export function toScaled(a: Rational, decimals: number, rounding: Rounding): bigint {
  return divRound(a.n * pow10(decimals), a.d, rounding);
}

/** Lowest terms (for display and for comparing with a venue's printed fraction). */
export function reduce(a: Rational): Rational {
  let x = a.n < 0n ? -a.n : a.n;
  let y = a.d;
  while (y !== 0n) [x, y] = [y, x % y];
  const g = x === 0n ? 1n : x;
  return { n: a.n / g, d: a.d / g };
}

/** "n/d" in lowest terms. */
export function ratToString(a: Rational): string {
  const r = reduce(a);
  return `${r.n}/${r.d}`;
}
