/**
 * Exact a·b / 10^k with one rounding, in safe-integer `number` arithmetic instead of bigints.
 *
 * Why: a position's figures are a few products and ceiling/floor divisions by powers of ten
 * (value, notional, ratio requirements), and every bigint operation allocates; on the fill path
 * that garbage is what the collector's scavenges, and the tail latency, are made of. Here the
 * operands are plain doubles holding integers and nothing is allocated.
 *
 * Exactness: every double below holds an integer of magnitude < 2^53, where +, −, ×, % and a
 * division with an integer quotient are exact in IEEE 754. Decimal trailing zeros are taken off
 * both operands first (a = a'·10^i, b = b'·10^j, so a·b / 10^k = a'·b'·10^(i+j−k), the same
 * number), which keeps the product of tick- and step-aligned sizes and prices small. When an
 * operand, the product or the result does not fit (|x| ≥ 2^52 for operands, 2^53 for the rest),
 * or the divisor is beyond 10^15, the answer is NaN and the caller takes its bigint path.
 * safe-int.prop.test.ts checks every rounding against `divRound` on random operands, large
 * ones included.
 */
import type { Rounding } from '../num/index.ts';

/** Operands up to 2^52: there `x / 10^j` is an integer exactly when 10^j divides x (strip). */
export const SAFE_OPERAND = 2 ** 52;
const P: readonly number[] = Array.from({ length: 23 }, (_, i) => 10 ** i); // exact to 10^22

let zeros = 0;
/**
 * `x` without up to 15 decimal trailing zeros; their count in `zeros`. For 0 < |x| < 2^52 the
 * test is exact: fl(x / 10^j) is an integer iff 10^j divides x, since a non-integer quotient is
 * at least 10^−j from every integer and its rounding error is below half that.
 */
function strip(x: number): number {
  let n = 0;
  let t = x / 1e8;
  if (Number.isInteger(t)) {
    x = t;
    n = 8;
  }
  t = x / 1e4;
  if (Number.isInteger(t)) {
    x = t;
    n += 4;
  }
  t = x / 100;
  if (Number.isInteger(t)) {
    x = t;
    n += 2;
  }
  t = x / 10;
  if (Number.isInteger(t)) {
    x = t;
    n += 1;
  }
  zeros = n;
  return x;
}

/**
 * `divRound(a × b, 10^k, rounding)` for integers |a|, |b| < 2^52, exactly, when it fits in safe
 * integers; NaN when it does not (the caller computes it in bigints). `k` is an integer ≥ 0.
 */
export function mulDivPow10(a: number, b: number, k: number, rounding: Rounding): number {
  if (!(a > -SAFE_OPERAND && a < SAFE_OPERAND && b > -SAFE_OPERAND && b < SAFE_OPERAND)) return Number.NaN;
  if (a === 0 || b === 0) return 0;
  const x = strip(a);
  let e = zeros - k;
  const y = strip(b);
  e += zeros;
  const p = x * y;
  // a product ≥ 2^53 rounds to ≥ 2^53 (rounding is monotonic, 2^53 representable): not safe
  if (!Number.isSafeInteger(p)) return Number.NaN;
  if (e >= 0) {
    if (e > 15) return Number.NaN;
    const r = p * P[e]!;
    return Number.isSafeInteger(r) ? r : Number.NaN;
  }
  if (e < -15) return Number.NaN;
  const d = P[-e]!;
  const r = p % d; // exact, the sign of p
  let q = (p - r) / d; // exact: p − r is a multiple of d and the quotient trunc(p / d) an integer
  if (r !== 0) {
    switch (rounding) {
      case 'trunc':
        break;
      case 'floor':
        if (p < 0) q -= 1;
        break;
      case 'ceil':
        if (p > 0) q += 1;
        break;
      case 'halfEven': {
        const twice = 2 * (r < 0 ? -r : r);
        if (twice > d || (twice === d && q % 2 !== 0)) q = p < 0 ? q - 1 : q + 1;
        break;
      }
    }
  }
  return q === 0 ? 0 : q; // no −0
}

/**
 * n·r split at 10^6 — n·r = 10^6·q + rem with 0 ≤ rem < 10^6 — for integers 0 ≤ n < 2^53 and
 * 0 ≤ r ≤ 9·10^9 (a ppm ratio), without forming n·r, which is often beyond 2^53 when n·r/10^6 is
 * not: n = 10^6·h + l gives q = h·r + ⌊l·r / 10^6⌋ and rem = l·r mod 10^6 (l·r < 9·10^15). The
 * parts are written to `PPM_PARTS`; false (parts untouched) when q would not be a safe integer.
 * Any rounding of n·r / 10^6, and the bracket model's ⌈(n·r − amount) / 10^6⌉, follow exactly.
 */
export const PPM_PARTS = { q: 0, rem: 0 };

export function ppmParts(n: number, r: number): boolean {
  if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && r >= 0 && r <= 9e9)) return false;
  const l = n % 1e6;
  const h = (n - l) / 1e6; // exact: n − l is a multiple of 10^6
  const lr = l * r; // < 10^6 · 9·10^9, exact
  const rem = lr % 1e6;
  const q = h * r + (lr - rem) / 1e6;
  if (!Number.isSafeInteger(q) || !Number.isSafeInteger(h * r)) return false;
  PPM_PARTS.q = q;
  PPM_PARTS.rem = rem;
  return true;
}

/**
 * ⌊√x⌋ for an integer 0 ≤ x < 2^52, or NaN beyond. Math.sqrt is correctly rounded, so its floor
 * is within one of the root; the squares compared (≤ (2^26 + 1)^2 < 2^53) are exact.
 */
export function isqrtSafe(x: number): number {
  if (!(x >= 0 && x < SAFE_OPERAND)) return Number.NaN;
  let s = Math.floor(Math.sqrt(x));
  if (s * s > x) s -= 1;
  else if ((s + 1) * (s + 1) <= x) s += 1;
  return s;
}
