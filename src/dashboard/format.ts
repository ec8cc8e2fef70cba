/**
 * Number formatting with units for the console. The API sends exact decimal strings; the page
 * shows them rounded for reading (the exact string stays in the cell's title), with thousands
 * separators and the unit after the number.
 */
const group = (digits: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** A decimal string (or number) rounded to `dp` places, grouped: "1,234.57". */
export function num(v: string | number | null | undefined, dp = 2): string {
  if (v === null || v === undefined || v === '') return '—';
  const x = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(x)) return x > 0 ? '∞' : x < 0 ? '−∞' : '—';
  const fixed = Math.abs(x).toFixed(dp);
  const [int, frac] = fixed.split('.');
  const sign = x < 0 && Number(fixed) !== 0 ? '−' : '';
  return sign + group(int ?? '0') + (frac ? `.${frac}` : '');
}

/** Amount with its asset: "12,345.68 USDT". */
export const money = (v: string | number | null | undefined, asset: string, dp = 2) =>
  v === null || v === undefined ? '—' : `${num(v, dp)} ${asset}`;

/** Compact amount: 1.23 M, 45.6 k. */
export function compact(v: string | number | null | undefined, unit = ''): string {
  if (v === null || v === undefined) return '—';
  const x = typeof v === 'number' ? v : Number(v);
  const a = Math.abs(x);
  const [d, s] = a >= 1e9 ? [1e9, ' bn'] : a >= 1e6 ? [1e6, ' M'] : a >= 1e3 ? [1e3, ' k'] : [1, ''];
  return `${num(x / d, d === 1 ? 2 : 2)}${s}${unit ? ` ${unit}` : ''}`;
}

/** A price: more decimals for small prices. */
export function price(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  const x = Number(v);
  return num(x, x >= 1000 ? 2 : x >= 1 ? 4 : 8);
}

/** A fraction as percent: 0.1234 → "12.34 %". */
export const pct = (fraction: number | string | null | undefined, dp = 2) =>
  fraction === null || fraction === undefined ? '—' : `${num(Number(fraction) * 100, dp)} %`;

/** A probability: small ones in scientific-ish readable form. */
export function prob(p: number): string {
  if (p >= 0.9995) return '100 %';
  if (p >= 0.001) return `${num(p * 100, p >= 0.1 ? 1 : 2)} %`;
  if (p <= 0) return '0 %';
  return `${(p * 100).toExponential(1)} %`;
}

/** Engine time (ms) as UTC "HH:MM:SS". */
export function clock(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms === 0) return '—';
  return new Date(ms).toISOString().slice(11, 19);
}

/** Engine time as UTC date and time. */
export function dateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms === 0) return '—';
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
