/**
 * Order-book depth model for the risk lab: how much base quantity rests within a
 * given distance of the mid, how far a market sale or purchase walks the book,
 * and how the mid recovers afterwards.
 *
 * A *depth curve* is one side of the book as a piecewise-linear cumulative
 * function D(x): base units (BTC) resting between the mid and a relative distance
 * x from it (x = 0.01 is 1 %). Sources:
 * - **banded** (real): Binance `bookDepth` snapshots give cumulative depth within
 *   ±1..5 % of mid every ~30–60 s; the curve goes through (0, 0) and (k %, depth_k).
 *   The snapshot in force at time t is the latest one at or before t (the first one
 *   before the file starts). The 2025-10-10 file is broken from 15:30:42 UTC: a
 *   phantom ~17.65 BTC bid near 121,363 stays in every bid band as the price falls
 *   below it (969 snapshots are crossed). `repairPhantomBids` rebuilds the bid side
 *   of those snapshots from the same snapshot's ask side times the bid/ask ratio per
 *   band over the last clean hour (see its comment); the ask side is kept as published.
 * - **parametric**: depth_k = depthPerPct × k^exponent at k = 1..5 %.
 * - **infinite**: no impact at all (the control for "no cascade").
 * Past the last band the curve continues with the slope of its last segment.
 *
 * On top of the source, the `BookModel` applies (all configurable):
 * - **scale**: the simulated venue is a fraction of the venue the snapshots come
 *   from, so depth is multiplied by `depthScale`;
 * - **thinning**: with σ the realized volatility of the exogenous path over the last
 *   `windowMin` minutes (per √minute) and σ₀ = `refVolPerMin`, depth is multiplied by
 *   clamp((σ₀/σ)^elasticity, minFactor, 1);
 * - **gap**: when σ/σ₀ exceeds `thresholdMultiple`, liquidity near the mid is pulled:
 *   the curve is pushed away from the mid by g = min(maxPct, pctPerMultiple ×
 *   (σ/σ₀ − threshold)) percent (nothing rests within g of the mid);
 * - **impact and resilience**: the model keeps the displacement δ of the book's mid
 *   from the exogenous price (mid = exogenous × (1 + δ)). A sale of q walks the bid
 *   curve from where the earlier, not yet refilled flow left it: with U the flow the
 *   current curve needs to reach δ, the new δ is −X(U + q) and the average fill price
 *   is exogenous × (1 + mean δ over the walk) — X being the inverse of D. Between
 *   trades δ decays toward 0 (the exogenous path) by the factor
 *   (1 − resiliencePerMin)^(Δt / 1 min).
 *
 * Units: fractions are plain numbers (0.01 = 1 %), quantities base units (BTC),
 * prices quote per base. This is float64 on purpose — it is a model of the market,
 * not money; the cascade simulator turns its outputs into exact decimal strings
 * (px8 prices, qty9 sizes) before they reach the engine.
 *
 * @example
 * const book = new BookModel(parametricDepthSource({ depthPerPct: 100 }));
 * book.observe(0, 100_000);
 * book.executionPrice('sell', 50, 100_000); // 99_750: half of the first 1 % on average
 * book.impact('sell', 50, 100_000).mid;     // 99_500
 */
import { readFileSync } from 'node:fs';

/** One side of a book: 'sell' walks the bids down, 'buy' walks the asks up. */
export type TradeSide = 'sell' | 'buy';

/**
 * Cumulative depth of one book side: knots (x[i], q[i]) with x ascending from 0
 * (fraction of mid) and q non-decreasing from 0 (base units). Linear between
 * knots; past the last knot the last segment's slope continues.
 */
export interface DepthCurve {
  readonly x: readonly number[];
  readonly q: readonly number[];
  /** An infinitely deep side: every trade fills at the mid. */
  readonly infinite?: boolean;
}

export interface BookCurves {
  readonly bid: DepthCurve;
  readonly ask: DepthCurve;
}

/** The largest distance a walk may reach (the price never goes to zero). */
export const MAX_FRACTION = 0.95;

export const INFINITE_CURVE: DepthCurve = Object.freeze({ x: [0], q: [0], infinite: true });

/** A curve through (0, 0) and (bandPct[i] / 100, cumulative[i]); validates the knots. */
export function curveFromBands(bandPct: readonly number[], cumulative: readonly number[]): DepthCurve {
  if (bandPct.length !== cumulative.length || bandPct.length === 0)
    throw new RangeError('curveFromBands needs as many cumulative depths as bands (at least one)');
  const x = [0];
  const q = [0];
  for (let i = 0; i < bandPct.length; i++) {
    const xi = bandPct[i]! / 100;
    const qi = cumulative[i]!;
    if (!(xi > x[x.length - 1]!)) throw new RangeError(`bands must increase: ${bandPct.join(',')}`);
    if (!(qi >= 0) || !Number.isFinite(qi)) throw new RangeError(`depth must be finite and >= 0, got ${qi}`);
    x.push(xi);
    // Cumulative depth never decreases; a dip in the data is flattened.
    q.push(Math.max(qi, q[q.length - 1]!));
  }
  return { x, q };
}

/** Slope of the tail (base units per unit of fraction) past the last knot. */
function tailSlope(c: DepthCurve): number {
  const n = c.x.length;
  if (n >= 2) {
    const s = (c.q[n - 1]! - c.q[n - 2]!) / (c.x[n - 1]! - c.x[n - 2]!);
    if (s > 0) return s;
    const xl = c.x[n - 1]!;
    if (xl > 0 && c.q[n - 1]! > 0) return c.q[n - 1]! / xl;
  }
  return 0;
}

/** D(x): base units resting within fraction x of the mid. */
export function depthWithin(c: DepthCurve, x: number): number {
  if (c.infinite) return Number.POSITIVE_INFINITY;
  if (x <= 0) return 0;
  const n = c.x.length;
  for (let i = 1; i < n; i++) {
    if (x <= c.x[i]!) {
      const x0 = c.x[i - 1]!;
      const x1 = c.x[i]!;
      return c.q[i - 1]! + ((c.q[i]! - c.q[i - 1]!) * (x - x0)) / (x1 - x0);
    }
  }
  return c.q[n - 1]! + tailSlope(c) * (x - c.x[n - 1]!);
}

/**
 * X(v): the distance from the mid at which the v-th base unit fills (the inverse of
 * D; flat stretches — gaps — are jumped over), capped at MAX_FRACTION.
 */
export function fractionAt(c: DepthCurve, v: number): number {
  if (c.infinite) return 0;
  const n = c.x.length;
  let lastZero = 0;
  for (let i = 1; i < n; i++) {
    const q0 = c.q[i - 1]!;
    const q1 = c.q[i]!;
    if (q1 <= q0) {
      if (q1 === 0) lastZero = c.x[i]!;
      continue;
    }
    if (v <= q1) {
      if (v <= q0) return Math.min(MAX_FRACTION, q0 === 0 ? lastZero : c.x[i - 1]!);
      return Math.min(MAX_FRACTION, c.x[i - 1]! + ((v - q0) * (c.x[i]! - c.x[i - 1]!)) / (q1 - q0));
    }
  }
  const s = tailSlope(c);
  if (s <= 0) return MAX_FRACTION;
  return Math.min(MAX_FRACTION, c.x[n - 1]! + (v - c.q[n - 1]!) / s);
}

/** ∫₀^v X(w) dw: the walk's distance summed over the units it fills (see `fractionAt`). */
export function walkIntegral(c: DepthCurve, v: number): number {
  if (c.infinite || v <= 0) return 0;
  let acc = 0;
  const n = c.x.length;
  // Integrate X piecewise over the rising segments (flat ones have zero width in v).
  for (let i = 1; i < n; i++) {
    const q0 = c.q[i - 1]!;
    const q1 = c.q[i]!;
    if (q1 <= q0) continue;
    const hi = Math.min(v, q1);
    if (hi <= q0) break;
    const xa = Math.min(MAX_FRACTION, c.x[i - 1]!);
    const xb = Math.min(MAX_FRACTION, c.x[i - 1]! + ((hi - q0) * (c.x[i]! - c.x[i - 1]!)) / (q1 - q0));
    acc += ((xa + xb) / 2) * (hi - q0);
    if (v <= q1) return acc;
  }
  // Tail: X rises linearly from the last knot until it reaches MAX_FRACTION, then stays.
  const ql = c.q[n - 1]!;
  const xl = Math.min(MAX_FRACTION, c.x[n - 1]!);
  const w = v - ql;
  if (w <= 0) return acc;
  const s = tailSlope(c);
  if (s <= 0) return acc + MAX_FRACTION * w;
  const toCap = Math.max(0, (MAX_FRACTION - xl) * s);
  const rising = Math.min(w, toCap);
  acc += (xl + (xl + rising / s)) * 0.5 * rising;
  if (w > rising) acc += MAX_FRACTION * (w - rising);
  return acc;
}

/** Scales every depth by `factor` and pushes the curve `gap` (fraction) away from the mid. */
export function transformCurve(c: DepthCurve, factor: number, gap: number): DepthCurve {
  if (c.infinite) return c;
  const x: number[] = [0];
  const q: number[] = [0];
  if (gap > 0) {
    x.push(gap);
    q.push(0);
  }
  for (let i = 1; i < c.x.length; i++) {
    x.push(c.x[i]! + gap);
    q.push(c.q[i]! * factor);
  }
  return { x, q };
}

// --- sources -------------------------------------------------------------------------

/** Base curves (before scale, thinning and gap) in force at a time. */
export interface DepthSource {
  readonly kind: 'banded' | 'parametric' | 'infinite';
  at(timeMs: number): BookCurves & { readonly snapshotMs?: number; readonly repaired?: boolean };
}

/** One Binance bookDepth band: cumulative depth within `pct` % of mid (negative = bids). */
export interface DepthBand {
  readonly pct: number;
  /** Cumulative base quantity (BTC) within the band. */
  readonly depth: number;
  /** Cumulative quote notional within the band (NaN in a rebuilt band). */
  readonly notional: number;
}

/** One snapshot, bands ordered by distance from mid (bids: −1, −2, …; asks: 1, 2, …). */
export interface DepthSnapshot {
  readonly timeMs: number;
  readonly bids: readonly DepthBand[];
  readonly asks: readonly DepthBand[];
  /** Set by `repairPhantomBids` when the bid side was rebuilt. */
  readonly repaired?: 'phantom-bid';
}

export const BOOK_DEPTH_HEADER = 'timestamp,percentage,depth,notional,weighted_avg_price';

/** Reads every band of a Binance `bookDepth` CSV (see src/sim/feeds/book-depth.ts for the layout). */
export function readBookDepthSnapshots(path: string): DepthSnapshot[] {
  return parseBookDepthSnapshots(readFileSync(path, 'utf8'), path);
}

export function parseBookDepthSnapshots(text: string, source = '<input>'): DepthSnapshot[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if ((lines[0] ?? '').trim() !== BOOK_DEPTH_HEADER)
    throw new RangeError(`${source}:1: expected header ${BOOK_DEPTH_HEADER}`);
  const byTime = new Map<number, { bids: DepthBand[]; asks: DepthBand[] }>();
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.split(',').map((s) => s.trim());
    if (f.length !== 5) throw new RangeError(`${source}:${i + 1}: expected 5 columns, found ${f.length}`);
    const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(f[0]!);
    if (m === null) throw new RangeError(`${source}:${i + 1}: timestamp ${JSON.stringify(f[0])}`);
    const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
    const timeMs = Date.UTC(y, mo - 1, d, h, mi, s);
    const pct = Number(f[1]);
    const depth = Number(f[2]);
    const notional = Number(f[3]);
    if (!Number.isInteger(pct) || pct === 0 || !(depth >= 0) || !(notional >= 0))
      throw new RangeError(`${source}:${i + 1}: bad band ${lines[i]}`);
    let snap = byTime.get(timeMs);
    if (!snap) byTime.set(timeMs, (snap = { bids: [], asks: [] }));
    (pct < 0 ? snap.bids : snap.asks).push({ pct: Math.abs(pct), depth, notional });
  }
  const out: DepthSnapshot[] = [];
  for (const [timeMs, s] of [...byTime].sort((a, b) => a[0] - b[0])) {
    s.bids.sort((a, b) => a.pct - b.pct);
    s.asks.sort((a, b) => a.pct - b.pct);
    if (s.bids.length === 0 || s.asks.length === 0) continue;
    out.push({ timeMs, bids: s.bids, asks: s.asks });
  }
  return out;
}

const avgPrice = (b: DepthBand) => (b.depth > 0 ? b.notional / b.depth : Number.NaN);

/** A snapshot whose nearest bid band is priced at or above its nearest ask band. */
export function isCrossed(s: DepthSnapshot): boolean {
  const b = s.bids[0];
  const a = s.asks[0];
  return b !== undefined && a !== undefined && avgPrice(b) >= avgPrice(a);
}

export interface RepairStats {
  readonly snapshots: number;
  /** Snapshots whose bid side was rebuilt. */
  readonly repaired: number;
  /** Of which crossed as published. */
  readonly crossed: number;
  /** The first crossed snapshot (the phantom appears), ms; undefined if none. */
  readonly firstCorruptMs: number | undefined;
  /** The phantom level learned from it: base quantity and average price. */
  readonly phantom: { readonly depth: number; readonly price: number } | undefined;
}

/**
 * Rebuilds the bid side of snapshots that carry a phantom bid.
 *
 * Detection: the first crossed snapshot (nearest bid band priced at or above the
 * nearest ask band) reveals the phantom — its nearest bid band is the phantom alone
 * (2025-10-10 15:30:42 UTC: 17.652 BTC at 121,363.66). From then on, a snapshot is
 * treated as carrying it while the phantom's price may be above the mid (≥ the +1 %
 * band's average price / 1.01; a bid above the mid sits inside every bid band) and
 * the nearest bid band holds at least the phantom's quantity and notional. Once the
 * price is back above the phantom it is an ordinary bid and nothing is repaired.
 * Crossed snapshots are always repaired.
 *
 * Why not just subtract it: with a bid above the ask, the exchange's band edges are
 * measured from a wrong mid, so the bands that remain after removing the phantom are
 * mislabelled (e.g. at 18:00:07, with the market calm, nothing real would be left
 * within 1 %). Instead the bid side is rebuilt as this snapshot's ask side times the
 * per-band median bid/ask ratio of the last `windowSnapshots` clean snapshots (about
 * an hour), kept non-decreasing. It keeps the book's usual asymmetry and follows the
 * thinning that the (sound) ask side shows during the crash. With no clean snapshot
 * before, the ratio is 1 (a mirrored book).
 */
export function repairPhantomBids(
  snapshots: readonly DepthSnapshot[],
  opts: { windowSnapshots?: number } = {},
): { snapshots: DepthSnapshot[]; stats: RepairStats } {
  const window = opts.windowSnapshots ?? 120;
  const history: number[][] = []; // per clean snapshot: bid_k / ask_k
  let phantom: { depth: number; notional: number } | undefined;
  let firstCorruptMs: number | undefined;
  let repaired = 0;
  let crossed = 0;
  const out: DepthSnapshot[] = [];
  for (const s of snapshots) {
    const isX = isCrossed(s);
    if (isX && phantom === undefined) {
      phantom = { depth: s.bids[0]!.depth, notional: s.bids[0]!.notional };
      firstCorruptMs = s.timeMs;
    }
    // Above the mid the phantom sits inside every bid band; the mid is at least the +1 % band's
    // average price / 1.01, so a phantom priced above that may be above the mid.
    const phantomPx = phantom === undefined ? Number.NaN : phantom.notional / phantom.depth;
    const carries =
      phantom !== undefined &&
      phantomPx >= avgPrice(s.asks[0]!) / 1.01 &&
      s.bids[0]!.depth >= phantom.depth * 0.999 &&
      s.bids[0]!.notional >= phantom.notional * 0.999;
    if (!isX && !carries) {
      if (s.bids.length === s.asks.length) {
        history.push(s.bids.map((b, i) => (s.asks[i]!.depth > 0 ? b.depth / s.asks[i]!.depth : 1)));
        if (history.length > window) history.shift();
      }
      out.push(s);
      continue;
    }
    if (isX) crossed++;
    repaired++;
    let prev = 0;
    const bids = s.asks.map((a, i) => {
      const ratios = history.map((h) => h[i] ?? 1).sort((x, y) => x - y);
      const r = ratios.length === 0 ? 1 : ratios[Math.floor((ratios.length - 1) / 2)]!;
      const depth = Math.max(prev, a.depth * r);
      prev = depth;
      return { pct: a.pct, depth, notional: Number.NaN };
    });
    out.push({ timeMs: s.timeMs, bids, asks: s.asks, repaired: 'phantom-bid' });
  }
  return {
    snapshots: out,
    stats: {
      snapshots: snapshots.length,
      repaired,
      crossed,
      firstCorruptMs,
      phantom:
        phantom === undefined ? undefined : { depth: phantom.depth, price: phantom.notional / phantom.depth },
    },
  };
}

/** Curves of one snapshot (cumulative depth at its band points). */
export function snapshotCurves(s: DepthSnapshot): BookCurves {
  return {
    bid: curveFromBands(
      s.bids.map((b) => b.pct),
      s.bids.map((b) => b.depth),
    ),
    ask: curveFromBands(
      s.asks.map((b) => b.pct),
      s.asks.map((b) => b.depth),
    ),
  };
}

/** Real banded depth: the latest snapshot at or before t (the first one before the data starts). */
export function bandedDepthSource(snapshots: readonly DepthSnapshot[]): DepthSource {
  if (snapshots.length === 0) throw new RangeError('bandedDepthSource needs at least one snapshot');
  const curves = snapshots.map(snapshotCurves);
  const times = snapshots.map((s) => s.timeMs);
  return {
    kind: 'banded',
    at(timeMs) {
      let lo = 0;
      let hi = times.length - 1;
      if (timeMs < times[0]!) hi = 0;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (times[mid]! <= timeMs) lo = mid;
        else hi = mid - 1;
      }
      const s = snapshots[lo]!;
      return { ...curves[lo]!, snapshotMs: s.timeMs, repaired: s.repaired !== undefined };
    },
  };
}

export interface ParametricDepthOptions {
  /** Base units within 1 % of the mid on the bid side (before scale and thinning). */
  readonly depthPerPct: number;
  /** depth_k = depthPerPct × k^exponent (1 = evenly spread; < 1 = concentrated near the mid). */
  readonly exponent?: number;
  /** Ask depth relative to bid depth (default 1). */
  readonly askRatio?: number;
  /** Band points, % (default 1..5). */
  readonly bandsPct?: readonly number[];
}

/** Parametric depth: the same curve at every time. */
export function parametricDepthSource(opts: ParametricDepthOptions): DepthSource {
  const bands = opts.bandsPct ?? [1, 2, 3, 4, 5];
  const e = opts.exponent ?? 1;
  const bidDepths = bands.map((k) => opts.depthPerPct * k ** e);
  const curves: BookCurves = {
    bid: curveFromBands(bands, bidDepths),
    ask: curveFromBands(
      bands,
      bidDepths.map((d) => d * (opts.askRatio ?? 1)),
    ),
  };
  return { kind: 'parametric', at: () => curves };
}

/** An infinitely deep book: no trade moves the price. */
export function infiniteDepthSource(): DepthSource {
  const curves: BookCurves = { bid: INFINITE_CURVE, ask: INFINITE_CURVE };
  return { kind: 'infinite', at: () => curves };
}

// --- the book model ------------------------------------------------------------------

export interface ThinningOptions {
  /** Exponent of (σ₀/σ) (0 disables thinning). */
  readonly elasticity: number;
  /** σ₀: calm realized volatility per √minute (0.0006 ≈ 43 % a year). */
  readonly refVolPerMin: number;
  /** Trailing window of the realized volatility, minutes. */
  readonly windowMin: number;
  /** Depth never thins below this share. */
  readonly minFactor: number;
}

export interface GapOptions {
  /** No gap until σ/σ₀ exceeds this. */
  readonly thresholdMultiple: number;
  /** Gap width in % per unit of σ/σ₀ above the threshold (0 disables gaps). */
  readonly pctPerMultiple: number;
  /** Widest gap, %. */
  readonly maxPct: number;
}

export interface BookModelOptions {
  /** Multiplies every depth (the simulated venue's share of the source venue). Default 1. */
  readonly depthScale?: number;
  readonly thinning?: Partial<ThinningOptions>;
  readonly gap?: Partial<GapOptions>;
  /** Share of the displacement from the exogenous path that recovers per minute, in [0, 1]. Default 0.5. */
  readonly resiliencePerMin?: number;
}

export const DEFAULT_THINNING: ThinningOptions = {
  elasticity: 0.5,
  refVolPerMin: 0.0006,
  windowMin: 5,
  minFactor: 0.1,
};
export const DEFAULT_GAP: GapOptions = { thresholdMultiple: 5, pctPerMultiple: 0.05, maxPct: 1 };
/** Thinning and gaps off (e.g. real snapshots, which already show them). */
export const NO_THINNING: Partial<ThinningOptions> = { elasticity: 0 };
export const NO_GAP: Partial<GapOptions> = { pctPerMultiple: 0 };

export interface ImpactResult {
  /** Average fill price of the walk (quote per base). */
  readonly avgPrice: number;
  /** The book's mid after the walk. */
  readonly mid: number;
  /** New displacement from the exogenous price (fraction, < 0 below it). */
  readonly displacement: number;
}

export interface BookState {
  readonly timeMs: number;
  readonly displacement: number;
  readonly realizedVolPerMin: number;
  readonly thinFactor: number;
  /** Current gap, fraction. */
  readonly gap: number;
  readonly snapshotMs: number | undefined;
  readonly repaired: boolean;
}

/**
 * The stateful book: curves in force (source × scale × thinning, shifted by the gap),
 * the realized-volatility estimator and the displacement of the mid from the
 * exogenous path. See the module header.
 */
export class BookModel {
  private readonly scale: number;
  private readonly thin: ThinningOptions;
  private readonly gapOpts: GapOptions;
  private readonly resilience: number;
  private delta = 0;
  private tMs = Number.NEGATIVE_INFINITY;
  private lastPx: number | undefined;
  /** (time, squared log return) of the exogenous points in the trailing window. */
  private readonly returns: { t: number; r2: number }[] = [];
  private sumR2 = 0;
  private current: BookCurves;
  private info: {
    snapshotMs: number | undefined;
    repaired: boolean;
    factor: number;
    gap: number;
    vol: number;
  };

  constructor(
    readonly source: DepthSource,
    opts: BookModelOptions = {},
  ) {
    this.scale = opts.depthScale ?? 1;
    if (!(this.scale > 0)) throw new RangeError(`depthScale must be > 0, got ${this.scale}`);
    this.thin = { ...DEFAULT_THINNING, ...opts.thinning };
    this.gapOpts = { ...DEFAULT_GAP, ...opts.gap };
    this.resilience = opts.resiliencePerMin ?? 0.5;
    if (!(this.resilience >= 0 && this.resilience <= 1))
      throw new RangeError(`resiliencePerMin must be in [0, 1], got ${this.resilience}`);
    this.current = source.at(0);
    this.info = { snapshotMs: undefined, repaired: false, factor: 1, gap: 0, vol: 0 };
    this.refresh(0);
  }

  /**
   * Moves the clock to `timeMs` (decaying the displacement), records the exogenous
   * price for the volatility estimate, and refreshes the curves in force.
   */
  observe(timeMs: number, exogenousPx: number): void {
    this.advance(timeMs);
    if (this.lastPx !== undefined && exogenousPx > 0 && this.lastPx > 0) {
      const r = Math.log(exogenousPx / this.lastPx);
      this.returns.push({ t: timeMs, r2: r * r });
      this.sumR2 += r * r;
    }
    this.lastPx = exogenousPx;
    const cutoff = timeMs - this.thin.windowMin * 60_000;
    while (this.returns.length > 0 && this.returns[0]!.t <= cutoff) this.sumR2 -= this.returns.shift()!.r2;
    this.refresh(timeMs);
  }

  /** Decays the displacement to `timeMs` (no new price). */
  advance(timeMs: number): void {
    if (timeMs > this.tMs) {
      if (Number.isFinite(this.tMs) && this.delta !== 0) {
        this.delta *= (1 - this.resilience) ** ((timeMs - this.tMs) / 60_000);
        if (Math.abs(this.delta) < 1e-12) this.delta = 0;
      }
      this.tMs = timeMs;
    }
  }

  private refresh(timeMs: number): void {
    const base = this.source.at(timeMs);
    const vol = Math.sqrt(Math.max(0, this.sumR2) / Math.max(1e-9, this.thin.windowMin));
    const ratio = this.thin.refVolPerMin > 0 ? vol / this.thin.refVolPerMin : 0;
    let factor = 1;
    if (this.thin.elasticity > 0 && ratio > 1)
      factor = Math.max(this.thin.minFactor, Math.min(1, ratio ** -this.thin.elasticity));
    let gap = 0;
    if (this.gapOpts.pctPerMultiple > 0 && ratio > this.gapOpts.thresholdMultiple)
      gap =
        Math.min(
          this.gapOpts.maxPct,
          this.gapOpts.pctPerMultiple * (ratio - this.gapOpts.thresholdMultiple),
        ) / 100;
    const f = factor * this.scale;
    this.current = { bid: transformCurve(base.bid, f, gap), ask: transformCurve(base.ask, f, gap) };
    this.info = { snapshotMs: base.snapshotMs, repaired: base.repaired === true, factor, gap, vol };
  }

  /** The curves in force (after scale, thinning and gap). */
  curves(): BookCurves {
    return this.current;
  }

  get displacement(): number {
    return this.delta;
  }

  state(): BookState {
    return {
      timeMs: this.tMs,
      displacement: this.delta,
      realizedVolPerMin: this.info.vol,
      thinFactor: this.info.factor,
      gap: this.info.gap,
      snapshotMs: this.info.snapshotMs,
      repaired: this.info.repaired,
    };
  }

  /** The book's mid for an exogenous price: exogenous × (1 + displacement). */
  mid(exogenousPx: number): number {
    return exogenousPx * (1 + this.delta);
  }

  /**
   * Average fill price of a market order of `qtyBase` walking a fresh book (the
   * curves in force, nothing consumed yet) from `mid`. Sells fill at or below the
   * mid, buys at or above; the further the walk, the worse the average.
   */
  executionPrice(side: TradeSide, qtyBase: number, mid: number): number {
    if (!(qtyBase > 0)) return mid;
    const c = side === 'sell' ? this.current.bid : this.current.ask;
    const meanX = walkIntegral(c, qtyBase) / qtyBase;
    return side === 'sell' ? mid * (1 - meanX) : mid * (1 + meanX);
  }

  /** What `impact` would do, without changing the book. */
  previewImpact(side: TradeSide, qtyBase: number, exogenousPx: number): ImpactResult {
    if (!(qtyBase > 0)) {
      const mid = this.mid(exogenousPx);
      return { avgPrice: mid, mid, displacement: this.delta };
    }
    // Signed flow coordinate u (sells > 0): δ(u) = −X_bid(u) for u > 0, +X_ask(−u) for u < 0.
    const u0 = this.flowFor(this.delta);
    const u1 = side === 'sell' ? u0 + qtyBase : u0 - qtyBase;
    const meanDelta = (this.flowIntegral(u1) - this.flowIntegral(u0)) / (u1 - u0);
    const d1 = this.deltaAt(u1);
    return {
      avgPrice: exogenousPx * (1 + meanDelta),
      mid: exogenousPx * (1 + d1),
      displacement: d1,
    };
  }

  /**
   * A market order of `qtyBase` against the book, on top of the flow not yet refilled:
   * returns its average price and the new mid, and keeps the new displacement (which
   * then decays at `resiliencePerMin` toward the exogenous path).
   */
  impact(side: TradeSide, qtyBase: number, exogenousPx: number): ImpactResult {
    const r = this.previewImpact(side, qtyBase, exogenousPx);
    this.delta = r.displacement;
    return r;
  }

  /**
   * The largest quantity whose average fill stays within `maxDeviation` (fraction) of
   * `referencePx` (e.g. the engine's fill-price guard around the mark), at most `upTo`.
   */
  maxQtyWithin(
    side: TradeSide,
    exogenousPx: number,
    referencePx: number,
    maxDeviation: number,
    upTo: number,
  ) {
    const ok = (q: number) =>
      Math.abs(this.previewImpact(side, q, exogenousPx).avgPrice - referencePx) <= referencePx * maxDeviation;
    if (ok(upTo)) return upTo;
    let lo = 0;
    let hi = upTo;
    for (let i = 0; i < 60; i++) {
      const m = (lo + hi) / 2;
      if (ok(m)) lo = m;
      else hi = m;
    }
    return lo;
  }

  /**
   * Base quantity a `side` order can take before the mid is more than `limit` (fraction)
   * away from the exogenous price — on top of what is already consumed (0 if it is already there).
   */
  roomTo(side: TradeSide, limit: number): number {
    const u0 = this.flowFor(this.delta);
    if (side === 'sell') {
      if (this.current.bid.infinite) return Number.POSITIVE_INFINITY;
      return Math.max(0, this.flowFor(-limit) - u0);
    }
    if (this.current.ask.infinite) return Number.POSITIVE_INFINITY;
    return Math.max(0, u0 - this.flowFor(limit));
  }

  /** δ(u). */
  private deltaAt(u: number): number {
    if (u > 0) return 0 - fractionAt(this.current.bid, u);
    if (u < 0) return fractionAt(this.current.ask, -u);
    return 0;
  }

  /** ∫₀^u δ(v) dv = −∫₀^|u| X_side. */
  private flowIntegral(u: number): number {
    if (u > 0) return 0 - walkIntegral(this.current.bid, u);
    if (u < 0) return 0 - walkIntegral(this.current.ask, -u);
    return 0;
  }

  /** The flow the current curves need to move the mid by δ (inside a gap: 0). */
  private flowFor(delta: number): number {
    if (delta < 0) {
      const x = -delta;
      return this.current.bid.infinite ? 0 : depthWithin(this.current.bid, x);
    }
    if (delta > 0) return this.current.ask.infinite ? 0 : -depthWithin(this.current.ask, delta);
    return 0;
  }
}
