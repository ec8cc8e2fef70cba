/**
 * Volatility input per underlying: flat, or a surface of points quoted by expiry × strike or
 * expiry × delta, validated with zod.
 *
 * Interpolation (σ is a fraction per √year; T in years, ACT/365, from `nowMs` to an expiry):
 * - Within an expiry (a "slice"): linear in the coordinate (strike, or call delta), or
 *   monotone cubic (Fritsch–Carlson, no new extrema between points), and flat beyond
 *   the first and last points.
 * - Across expiries: linear in total variance w = σ²·T at the same coordinate,
 *       w(T) = w_i + (w_{i+1} − w_i)·(T − T_i)/(T_{i+1} − T_i),   σ = √(w(T)/T),
 *   and flat σ before the first live expiry and after the last. Slices already expired
 *   at `nowMs` are ignored (if all are, the last one is used, flat). σ² at T is then a
 *   convex combination of the neighbouring slices' σ², so σ stays within their range.
 *   Calendar arbitrage (w decreasing in T) is not checked: that needs the valuation time.
 * - Delta surfaces are keyed by the forward (undiscounted) call delta Δ = N(d1) ∈ (0, 1),
 *   Deribit/OKX-style (a 25-delta put is Δ = 0.75). For a strike K the vol solves the
 *   fixed point σ = σ(Δ(K, σ, T), T); the map is continuous and bounded by the nodes'
 *   range, so bisection on σ over that range always converges (to 1e−14 relative).
 *   For T ≤ 0 the delta is the step 1/½/0 (ITM/ATM/OTM call).
 *
 * Float64 throughout, like the rest of pricing/ (see black76.ts).
 */
import { z } from 'zod';
import { InvariantError } from '../num/index.ts';
import { yearFraction } from './black76.ts';
import { normalCdf } from './normal.ts';

const vol = z.number().positive().max(100).finite();

const StrikePointSchema = z.object({ strike: z.number().positive().finite(), vol });
const DeltaPointSchema = z.object({
  /** Forward call delta N(d1), strictly between 0 and 1. */
  delta: z.number().gt(0).lt(1),
  vol,
});

function strictlyIncreasing(values: readonly number[]): boolean {
  for (let i = 1; i < values.length; i++) if (!(values[i]! > values[i - 1]!)) return false;
  return true;
}

function sliceSchema<P extends z.ZodType>(point: P, key: 'strike' | 'delta') {
  return z
    .object({
      /** Expiry, ms since epoch (integer). */
      expiryMs: z.number().int().positive(),
      points: z.array(point).min(1).max(1000),
    })
    .refine(
      (s) => strictlyIncreasing((s.points as Record<typeof key, number>[]).map((p) => p[key])),
      `points must be strictly increasing in ${key}`,
    );
}

const interpolation = z.enum(['linear', 'monotoneCubic']).default('linear');
const slicesIncreasing = (s: { slices: { expiryMs: number }[] }) =>
  strictlyIncreasing(s.slices.map((x) => x.expiryMs));

export const VolInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('flat'), vol }),
  z
    .object({
      kind: z.literal('strikeSurface'),
      interpolation,
      slices: z.array(sliceSchema(StrikePointSchema, 'strike')).min(1).max(500),
    })
    .refine(slicesIncreasing, 'slices must be strictly increasing in expiryMs'),
  z
    .object({
      kind: z.literal('deltaSurface'),
      interpolation,
      slices: z.array(sliceSchema(DeltaPointSchema, 'delta')).min(1).max(500),
    })
    .refine(slicesIncreasing, 'slices must be strictly increasing in expiryMs'),
]);
export type VolInput = z.output<typeof VolInputSchema>;
export type VolInputConfig = z.input<typeof VolInputSchema>;

/** Volatility inputs keyed by underlying id (e.g. "BTC"). */
export const VolByUnderlyingSchema = z.record(z.string().min(1).max(64), VolInputSchema);
export type VolByUnderlying = z.output<typeof VolByUnderlyingSchema>;

export type ParseVolResult = { ok: true; value: VolInput } | { ok: false; issues: string[] };

/** Validate a volatility input; issues are "path: message" strings. */
export function parseVolInput(input: unknown): ParseVolResult {
  const r = VolInputSchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
}

/** Validate or throw (zod's error, listing the issues). */
export function parseVolInputUnsafe(input: unknown): VolInput {
  return VolInputSchema.parse(input);
}

export interface VolQuery {
  /** Valuation time, ms since epoch. */
  nowMs: number;
  /** Option expiry, ms since epoch. */
  expiryMs: number;
  /** Strike, quote currency, > 0. */
  strike: number;
  /** Forward for the expiry, quote currency, > 0 (used by delta surfaces). */
  forward: number;
}

// ---- one slice ----

/** Fritsch–Carlson slopes for a monotone piecewise cubic Hermite interpolant. */
function monotoneSlopes(xs: readonly number[], ys: readonly number[]): number[] {
  const n = xs.length;
  const m = new Array<number>(n).fill(0);
  if (n < 2) return m;
  const d: number[] = [];
  for (let i = 0; i < n - 1; i++) d.push((ys[i + 1]! - ys[i]!) / (xs[i + 1]! - xs[i]!));
  m[0] = d[0]!;
  m[n - 1] = d[n - 2]!;
  for (let i = 1; i < n - 1; i++) m[i] = d[i - 1]! * d[i]! <= 0 ? 0 : (d[i - 1]! + d[i]!) / 2;
  for (let i = 0; i < n - 1; i++) {
    if (d[i] === 0) {
      m[i] = 0;
      m[i + 1] = 0;
      continue;
    }
    const a = m[i]! / d[i]!;
    const b = m[i + 1]! / d[i]!;
    const h = a * a + b * b;
    if (h > 9) {
      const t = 3 / Math.sqrt(h);
      m[i] = t * a * d[i]!;
      m[i + 1] = t * b * d[i]!;
    }
  }
  return m;
}

/** Interpolate ys over strictly increasing xs at x, flat outside [xs₀, xsₙ]. */
function interpolate(xs: readonly number[], ys: readonly number[], x: number, cubic: boolean): number {
  const n = xs.length;
  if (x <= xs[0]!) return ys[0]!;
  if (x >= xs[n - 1]!) return ys[n - 1]!;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  const x0 = xs[lo]!;
  const x1 = xs[hi]!;
  const y0 = ys[lo]!;
  const y1 = ys[hi]!;
  const h = x1 - x0;
  const t = (x - x0) / h;
  if (!cubic) return y0 + (y1 - y0) * t;
  const m = monotoneSlopes(xs, ys);
  const t2 = t * t;
  const t3 = t2 * t;
  return (
    (2 * t3 - 3 * t2 + 1) * y0 +
    (t3 - 2 * t2 + t) * h * m[lo]! +
    (-2 * t3 + 3 * t2) * y1 +
    (t3 - t2) * h * m[hi]!
  );
}

interface Slice {
  expiryMs: number;
  xs: number[];
  vols: number[];
}

function slicesOf(input: Exclude<VolInput, { kind: 'flat' }>): Slice[] {
  if (input.kind === 'strikeSurface') {
    return input.slices.map((s) => ({
      expiryMs: s.expiryMs,
      xs: s.points.map((p) => p.strike),
      vols: s.points.map((p) => p.vol),
    }));
  }
  return input.slices.map((s) => ({
    expiryMs: s.expiryMs,
    xs: s.points.map((p) => p.delta),
    vols: s.points.map((p) => p.vol),
  }));
}

/**
 * σ at coordinate c (strike or delta) and time T: flat in time outside the live slices,
 * linear in total variance between them.
 */
function volInTime(slices: readonly Slice[], nowMs: number, T: number, c: number, cubic: boolean): number {
  const live = slices.filter((s) => s.expiryMs > nowMs);
  const at = (s: Slice) => interpolate(s.xs, s.vols, c, cubic);
  if (live.length === 0) return at(slices[slices.length - 1]!);
  const first = live[0]!;
  const last = live[live.length - 1]!;
  const T0 = yearFraction(nowMs, first.expiryMs);
  if (T <= T0) return at(first);
  if (T >= yearFraction(nowMs, last.expiryMs)) return at(last);
  let i = 0;
  while (yearFraction(nowMs, live[i + 1]!.expiryMs) < T) i++;
  const a = live[i]!;
  const b = live[i + 1]!;
  const Ta = yearFraction(nowMs, a.expiryMs);
  const Tb = yearFraction(nowMs, b.expiryMs);
  const sa = at(a);
  const sb = at(b);
  const wa = sa * sa * Ta;
  const wb = sb * sb * Tb;
  const w = wa + ((wb - wa) * (T - Ta)) / (Tb - Ta);
  return Math.sqrt(w / T);
}

/** Forward call delta N(d1) of strike K at vol σ, time T (T ≤ 0: the step 1/½/0). */
export function forwardCallDelta(forward: number, strike: number, vol: number, timeYears: number): number {
  const s = vol * Math.sqrt(Math.max(timeYears, 0));
  if (s === 0) return forward > strike ? 1 : forward < strike ? 0 : 0.5;
  return normalCdf(Math.log(forward / strike) / s + s / 2);
}

/**
 * Volatility for an option from a validated input.
 * @example volAt({ kind: 'flat', vol: 0.6 }, { nowMs: 0, expiryMs: 86_400_000, strike: 1, forward: 1 }) // 0.6
 */
export function volAt(input: VolInput, q: VolQuery): number {
  if (input.kind === 'flat') return input.vol;
  if (!(Number.isFinite(q.strike) && q.strike > 0 && Number.isFinite(q.forward) && q.forward > 0)) {
    throw new InvariantError(`volAt: strike and forward must be positive (${q.strike}, ${q.forward})`);
  }
  if (!(Number.isFinite(q.nowMs) && Number.isFinite(q.expiryMs))) {
    throw new InvariantError(`volAt: times must be finite (${q.nowMs}, ${q.expiryMs})`);
  }
  const slices = slicesOf(input);
  const cubic = input.interpolation === 'monotoneCubic';
  const T = yearFraction(q.nowMs, q.expiryMs);
  if (input.kind === 'strikeSurface') return volInTime(slices, q.nowMs, T, q.strike, cubic);
  // Delta surface: solve σ = σ(Δ(K, σ, T), T) by bisection on σ within the nodes' range.
  const volOfDelta = (d: number) => volInTime(slices, q.nowMs, T, d, cubic);
  const g = (v: number) => v - volOfDelta(forwardCallDelta(q.forward, q.strike, v, T));
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const s of slices) {
    for (const v of s.vols) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (g(lo) >= 0) return lo;
  if (g(hi) <= 0) return hi;
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (g(mid) < 0) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}
