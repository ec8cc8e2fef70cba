/**
 * Exact a·b / 10^k with one rounding, in safe-integer `number` arithmetic instead of bigints.
 *
 * Why: a position's figures are a few products of bigints and ceiling/floor divisions by powers
 * of ten (value, notional, ratio requirements), and every bigint operation allocates; on the fill
 * path that garbage is what makes the tail latency. Here the operands are converted once, the
 * arithmetic runs on doubles holding integers, and only the result becomes a bigint again.
 *
 * Exactness: every double below holds an integer of magnitude < 2^53, where +, −, ×, % and an
 * exact division are exact in IEEE 754. Decimal trailing zeros are taken off both operands first
 * (a = a'·10^i, b = b'·10^j, so a·b / 10^k = a'·b'·10^(i+j−k), the same number), which keeps the
 * product of tick- and step-aligned sizes and prices small. When the product or the result does
 * not fit (|x| ≥ 2^53), or the divisor is beyond 10^15, the answer is `undefined` and the caller
 * takes its bigint path. safe-int.prop.test.ts checks every rounding against `divRound` on
 * random operands, large ones included.
 */
import { divRound, type Rounding } from '../num/index.ts';

const MAX = 9007199254740991n; // 2^53 − 1
const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => 10 ** i); // exact to 10^22

/** Takes decimal trailing zeros off a non-zero safe integer: [a', i] with a = a'·10^i. */
function strip(a: number): number {
  return a;
}

/**
 * `divRound(a × b, 10^k, rounding)` when it can be computed exactly in safe integers, else
 * undefined. `k` is an integer (negative: a multiplication by 10^−k).
 */
export function safeMulDivPow10(a: bigint, b: bigint, k: number, rounding: Rounding): bigint | undefined {
  if (a > MAX || a < -MAX || b > MAX || b < -MAX) return undefined;
  let x = Number(a);
  let y = Number(b);
  if (x === 0 || y === 0) return 0n;
  let e = -k;
  while (x % 10_000 === 0) {
    x /= 10_000;
    e += 4;
  }
  while (x % 10 === 0) {
    x /= 10;
    e++;
  }
  while (y % 10_000 === 0) {
    y /= 10_000;
    e += 4;
  }
  while (y % 10 === 0) {
    y /= 10;
    e++;
  }
  const p = x * y;
  // a rounded product ≥ 2^53 is not a safe integer (rounding is monotonic, 2^53 representable)
  if (!Number.isSafeInteger(p)) return undefined;
  if (e >= 0) {
    if (e > 22) return undefined;
    const r = p * POW10[e]!;
    return Number.isSafeInteger(r) ? BigInt(r) : undefined;
  }
  if (e < -15) return undefined;
  const d = POW10[-e]!;
  const r = p % d; // exact; the sign of p
  let q = (p - r) / d; // exact: p − r is a multiple of d, the quotient an integer (trunc(p / d))
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
        const away = p < 0 ? q - 1 : q + 1;
        if (twice > d) q = away;
        else if (twice === d && q % 2 !== 0) q = away;
        break;
      }
    }
  }
  return BigInt(q);
}

export { divRound, strip };
