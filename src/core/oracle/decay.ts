/**
 * Exact, deterministic exponential decay for EMAs, in integers only.
 *
 * An EMA with half-life H sampled every I ms keeps, per interval, the fraction
 * d = 2^(−I/H) of its old value. d is irrational in general, so it is computed
 * once (at config validation) at 18 decimals with integer operations only:
 *
 *   2^(−I/H) = 2^(−q) · Π_{bits b_k of the binary fraction r/H} 2^(−1/2^k),
 *   where I = q·H + r, and 2^(−1/2^k) = √(2^(−1/2^(k−1))) by repeated isqrt.
 *
 * Every product and root is floored, so the result is at most ~64 units of
 * 1e-18 below the true value (it never exceeds it). The same inputs give the same
 * bits on every machine: no floating point takes part in a result.
 */
import { InvariantError, isqrt } from '../num/index.ts';

/** 1.0 at 18 decimals. */
export const ONE18 = 10n ** 18n;

/**
 * 2^(−num/den) at 18 decimals (floor).
 * @param num exponent numerator (≥ 0), e.g. the sampling interval in ms
 * @param den exponent denominator (> 0), e.g. the half-life in ms
 * @example pow2neg18(1n, 1n) === 500000000000000000n // one half-life halves
 */
export function pow2neg18(num: bigint, den: bigint): bigint {
  if (den <= 0n || num < 0n) throw new InvariantError(`pow2neg18(${num}, ${den})`);
  const q = num / den;
  if (q >= 64n) return 0n;
  let r = num % den;
  let result = ONE18;
  let root = isqrt((ONE18 * ONE18) / 2n); // 2^(−1/2) at 1e18
  for (let k = 1; k <= 62 && r !== 0n; k++) {
    r *= 2n;
    if (r >= den) {
      r -= den;
      result = (result * root) / ONE18;
    }
    root = isqrt(root * ONE18);
  }
  return result >> q;
}

/**
 * x^n for a fraction x at 18 decimals (0 ≤ x ≤ 1e18), by squaring; floors each product.
 * @param x18 the base at 18 decimals
 * @param n whole number of intervals (≥ 0)
 */
export function powFrac18(x18: bigint, n: number): bigint {
  if (!Number.isSafeInteger(n) || n < 0 || x18 < 0n || x18 > ONE18) {
    throw new InvariantError(`powFrac18(${x18}, ${n})`);
  }
  let result = ONE18;
  let base = x18;
  let e = n;
  while (e > 0 && result > 0n) {
    if (e % 2 === 1) result = (result * base) / ONE18;
    base = (base * base) / ONE18;
    e = Math.floor(e / 2);
  }
  return result;
}
