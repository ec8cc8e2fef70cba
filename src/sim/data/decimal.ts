/**
 * Exact helpers for the unsigned decimal strings found in market-data files.
 *
 * Prices are kept as the strings the exchange published ("121662", "102497.48513403") so
 * nothing is rounded through a float. When the replay must compare or subtract them, both
 * sides are scaled to the same number of decimals as bigints: "1.5" at scale 8 is
 * 150000000n. Only plain notation is accepted: no sign, no exponent, no leading zeros
 * (other than a single "0" before the point), no bare "." at either end.
 */

const UNSIGNED_DECIMAL = /^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

/** True for plain unsigned decimals such as "0", "121662", "3621.81"; false for "1e5", "-1", "01", "1.". */
export function isUnsignedDecimal(s: string): boolean {
  return UNSIGNED_DECIMAL.test(s);
}

/** Number of digits after the point ("3621.81" → 2, "121662" → 0). */
export function fractionDigits(s: string): number {
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/**
 * The decimal `s` as an integer count of 10^-scale units; throws if `s` is malformed or
 * has more than `scale` fraction digits (that would need rounding, which we never do here).
 *
 * @example toScaled('3621.81', 8) === 362181000000n
 */
export function toScaled(s: string, scale: number): bigint {
  if (!isUnsignedDecimal(s)) throw new RangeError(`not an unsigned decimal: ${JSON.stringify(s)}`);
  const digits = fractionDigits(s);
  if (!Number.isInteger(scale) || scale < digits) {
    throw new RangeError(`${s} has ${digits} fraction digits, more than scale ${scale}`);
  }
  const dot = s.indexOf('.');
  const intPart = dot < 0 ? s : s.slice(0, dot);
  const fracPart = dot < 0 ? '' : s.slice(dot + 1);
  return BigInt(intPart + fracPart.padEnd(scale, '0'));
}

/** Exact comparison of two unsigned decimal strings: -1 if a < b, 0 if equal, 1 if a > b. */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const scale = Math.max(fractionDigits(a), fractionDigits(b));
  const x = toScaled(a, scale);
  const y = toScaled(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}
