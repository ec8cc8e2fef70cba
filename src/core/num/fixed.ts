/**
 * Exact fixed-point arithmetic on bigint.
 *
 * Every amount in Plimsoll is an integer count of some smallest unit, with the
 * scale (number of decimals) carried in the name or the type (`usd6`, `qty9`,
 * `px8`, `ppm`). Rounding is always an explicit argument so a reader can check
 * the direction against docs/units-and-rounding.md: requirements round up,
 * collateral value and payouts round down.
 */

export type Rounding = 'floor' | 'ceil' | 'trunc' | 'halfEven';

/** Thrown for broken internal assumptions (a bug, never a user error). */
export class InvariantError extends Error {
  override name = 'InvariantError';
}

/** Thrown by `parseDecimalUnsafe` and friends for malformed numeric input. */
export class DecimalFormatError extends Error {
  override name = 'DecimalFormatError';
  constructor(
    readonly input: unknown,
    readonly reason: string,
  ) {
    super(`invalid decimal ${JSON.stringify(String(input))}: ${reason}`);
  }
}

const TEN = 10n;
const POW10: bigint[] = Array.from({ length: 40 }, (_, i) => TEN ** BigInt(i));

/** 10^n as bigint (cached for n < 40). */
export function pow10(n: number): bigint {
  if (!Number.isInteger(n) || n < 0) throw new InvariantError(`pow10 of ${n}`);
  return POW10[n] ?? TEN ** BigInt(n);
}

/** n / d rounded as asked; d must be non-zero. */
export function divRound(n: bigint, d: bigint, rounding: Rounding): bigint {
  if (d === 0n) throw new InvariantError('division by zero');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const q = n / d; // truncates toward zero
  const r = n % d; // n − q·d (the sign of n), one operation instead of two
  if (r === 0n) return q;
  switch (rounding) {
    case 'trunc':
      return q;
    case 'floor':
      return n < 0n ? q - 1n : q;
    case 'ceil':
      return n > 0n ? q + 1n : q;
    case 'halfEven': {
      const twice = 2n * (r < 0n ? -r : r);
      const away = n < 0n ? q - 1n : q + 1n;
      if (twice > d) return away;
      if (twice < d) return q;
      return q % 2n === 0n ? q : away;
    }
  }
}

/** a × b / d with a single rounding at the end (no intermediate precision loss). */
export function mulDiv(a: bigint, b: bigint, d: bigint, rounding: Rounding): bigint {
  return divRound(a * b, d, rounding);
}

export function abs(a: bigint): bigint {
  return a < 0n ? -a : a;
}
export function sign(a: bigint): -1n | 0n | 1n {
  return a < 0n ? -1n : a > 0n ? 1n : 0n;
}
export function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
export function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
export function clamp(a: bigint, lo: bigint, hi: bigint): bigint {
  return a < lo ? lo : a > hi ? hi : a;
}

/** floor(√n) for n ≥ 0, by Newton's method on integers. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new InvariantError(`isqrt of negative ${n}`);
  if (n < 2n) return n;
  // A float guess when n fits a double, else a power of two above the root.
  const approx = Math.sqrt(Number(n));
  let x = Number.isFinite(approx)
    ? BigInt(Math.floor(approx)) + 1n
    : 1n << BigInt((n.toString(2).length >> 1) + 1);
  // One Newton step from any positive x lands at or above floor(√n) (AM–GM);
  // from there the iteration decreases monotonically to floor(√n).
  x = (x + n / x) >> 1n;
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** ceil(√n) for n ≥ 0. */
export function isqrtCeil(n: bigint): bigint {
  const r = isqrt(n);
  return r * r === n ? r : r + 1n;
}

/** Round `a` to a multiple of `step` (> 0). */
export function roundToStep(a: bigint, step: bigint, rounding: Rounding): bigint {
  return divRound(a, step, rounding) * step;
}

/**
 * Canonical decimal text: an optional '-', an integer part without leading zeros ('0' or
 * 1-9 then digits), an optional '.' and at least one digit. No whitespace, no '+', no
 * exponent, no '.5' or '5.'. Trailing fractional zeros are allowed ('1.50' = 1.5); a
 * negative zero ('-0', '-0.00') is refused.
 */
const DECIMAL_RE = /^(-)?(0|[1-9]\d*)(?:\.(\d+))?$/;

export type ParseIssue = { input: unknown; reason: string };
export type ParseResult<T> = { ok: true; value: T } | { ok: false; issue: ParseIssue };

/**
 * Parses a decimal string ("-12.345") into an integer at `decimals` scale.
 * Refuses (never rounds) more fractional digits than the scale holds, exponents,
 * NaN/Infinity, numbers (money never passes through a JS number), and blanks.
 */
export function parseDecimal(input: unknown, decimals: number): ParseResult<bigint> {
  if (typeof input === 'bigint') return { ok: true, value: input * pow10(decimals) };
  if (typeof input !== 'string') {
    return { ok: false, issue: { input, reason: 'must be a decimal string, not ' + typeof input } };
  }
  if (input.length > 80) return { ok: false, issue: { input: `${input.slice(0, 40)}…`, reason: 'too long' } };
  const m = DECIMAL_RE.exec(input);
  if (m === null) {
    return {
      ok: false,
      issue: {
        input,
        reason: 'not a canonical decimal (digits, one optional -, no spaces/+/exponent/leading zeros)',
      },
    };
  }
  const [, signChar, intPart = '0', fracRaw = ''] = m;
  const frac = fracRaw.replace(/0+$/, '');
  if (signChar === '-' && /^0+$/.test(intPart + frac)) {
    return { ok: false, issue: { input, reason: 'negative zero' } };
  }
  if (frac.length > decimals) {
    return { ok: false, issue: { input, reason: `more than ${decimals} decimal places` } };
  }
  if (intPart.length > 36) return { ok: false, issue: { input, reason: 'absurdly large' } };
  const scaled = BigInt(intPart) * pow10(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
  return { ok: true, value: signChar === '-' ? -scaled : scaled };
}

export function parseDecimalUnsafe(input: unknown, decimals: number): bigint {
  const r = parseDecimal(input, decimals);
  if (!r.ok) throw new DecimalFormatError(r.issue.input, r.issue.reason);
  return r.value;
}

/** Formats an integer at `decimals` scale as a plain decimal string, trimming trailing zeros. */
export function formatDecimal(value: bigint, decimals: number, opts?: { minFraction?: number }): string {
  const neg = value < 0n;
  let digits = (neg ? -value : value).toString();
  // Index arithmetic rather than pad/slice/regex: the pre-trade check formats its answer on
  // every call, so each intermediate string counts.
  if (digits.length <= decimals) digits = '0'.repeat(decimals + 1 - digits.length) + digits;
  const intEnd = digits.length - decimals;
  let end = digits.length;
  while (end > intEnd && digits.charCodeAt(end - 1) === 48) end--;
  const minFraction = opts?.minFraction ?? 0;
  let text = end === digits.length ? digits : digits.slice(0, end);
  if (end - intEnd < minFraction) text += '0'.repeat(minFraction - (end - intEnd));
  if (text.length > intEnd) text = `${text.slice(0, intEnd)}.${text.slice(intEnd)}`;
  return neg ? `-${text}` : text;
}

/** Converts an integer between scales with explicit rounding. */
export function rescale(value: bigint, fromDecimals: number, toDecimals: number, rounding: Rounding): bigint {
  if (toDecimals >= fromDecimals) return value * pow10(toDecimals - fromDecimals);
  return divRound(value, pow10(fromDecimals - toDecimals), rounding);
}

/** Lossy conversion for float risk screening and display only — never for money. */
export function toNumber(value: bigint, decimals: number): number {
  return Number(value) / 10 ** decimals;
}
