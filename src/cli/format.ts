/**
 * Display helpers for the terminal reports. Inputs are exact decimal strings;
 * rounding here is for reading only (half-even to the shown places) and never
 * feeds back into a computation. JSON output keeps the exact strings.
 */
import { divRound, formatDecimal, parseDecimalUnsafe, pow10 } from '../core/num/index.ts';

const PARSE_SCALE = 18;

/** "1234567.891" → "1,234,567.89" (places = 2), with a true minus sign for negatives. */
export function fmtDecimal(text: string, places = 2): string {
  const v = parseDecimalUnsafe(text, PARSE_SCALE);
  const rounded = divRound(v, pow10(PARSE_SCALE - places), 'halfEven');
  const s = formatDecimal(rounded < 0n ? -rounded : rounded, places, { minFraction: places });
  const [int, frac] = s.split('.') as [string, string | undefined];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (rounded < 0n ? '−' : '') + grouped + (frac === undefined ? '' : `.${frac}`);
}

/** Integer with thousands separators. */
export function fmtInt(n: number): string {
  return fmtDecimal(String(n), 0);
}

/** a / b as a percentage with `places` decimals (display only). */
export function fmtPercent(a: number, b: number, places = 1): string {
  return b === 0 ? '—' : `${((100 * a) / b).toFixed(places)}%`;
}

/** Relative change from → to of two decimal strings, as a signed percentage (display only). */
export function fmtChange(from: string, to: string, places = 2): string {
  const a = parseDecimalUnsafe(from, PARSE_SCALE);
  const b = parseDecimalUnsafe(to, PARSE_SCALE);
  const bp = divRound((b - a) * pow10(places + 2), a, 'halfEven');
  const text = formatDecimal(bp < 0n ? -bp : bp, places, { minFraction: places });
  return `${bp < 0n ? '−' : '+'}${text}%`;
}

/** A decimal fraction as a signed percentage: "0.0001" → "+0.0100%". */
export function fmtRate(fraction: string, places = 4): string {
  const v = parseDecimalUnsafe(fraction, PARSE_SCALE);
  const pct = divRound(v * 100n, pow10(PARSE_SCALE - places), 'halfEven');
  const text = formatDecimal(pct < 0n ? -pct : pct, places, { minFraction: places });
  return `${pct < 0n ? '−' : '+'}${text}%`;
}

/** Milliseconds as seconds with one decimal. */
export function fmtSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
