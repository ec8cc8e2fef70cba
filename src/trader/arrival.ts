/**
 * Cross-chain collateral: a top-up is not instant. Between sending collateral to a venue and its
 * arrival (a CEX withdrawal, a bridge) the price keeps moving, so what matters is the probability
 * that the venue is liquidated before the money lands — and how much collateral it must hold so
 * that this probability stays below a target.
 *
 * Model. The transfer latency L of the route a venue's top-up waits on — the slowest of the
 * plan's transfers into it, or, when the plan sends it nothing, its fastest incoming route — is
 * lognormal (median m,
 * σ_L of the log; σ_L = 0 is a fixed delay). A position is liquidated before arrival when its mark
 * touches the liquidation price within L: with the first-passage probability p(t) of a GBM with
 * volatility σ (analytics/first-passage.ts, driftless mark), the probability is
 *
 *     P = E[p(L)] = ∫ p(t) dF_L(t) ≈ (1/K) Σ_k p(m · exp(σ_L · Φ⁻¹((k + ½)/K))),  K = 256
 *
 * (midpoint rule in probability space; p is bounded and monotone in t, so the error is below
 * 1/K of the range of p over the tails and far below it in practice). A venue with several
 * positions is taken as the union bound, Σ over positions (conservative: never below the true
 * probability).
 *
 * Collateral to hold. The distance d* at which one position's P equals target/n (n positions) is
 * found by bisection on d (P falls as the liquidation price moves away); the venue's band is the
 * largest d* of its positions, and the collateral it must hold is what puts every liquidation
 * price at that band — the exact band calculation of venue-risk.ts (short of the band: today's
 * collateral plus every scope's top-up; beyond it: today's collateral less the cross scope's
 * least health at the band edges; rounded up). Floats serve only the probability and the band;
 * the amounts are exact.
 */
import { liquidationProbability, MINUTES_PER_YEAR } from '../analytics/first-passage.ts';
import { parseDecimalUnsafe, rescale } from '../core/num/index.ts';
import { normalInv } from '../core/pricing/normal.ts';
import type { Latency, Routes } from './routes.ts';
import { USD_DECIMALS } from './transfer-plan.ts';
import type { VenueBook } from './venue-export.ts';
import { type VenueRisk, venueRisk } from './venue-risk.ts';

const K = 256;

export interface ArrivalOptions {
  /** Largest acceptable probability of liquidation before a top-up arrives (e.g. 0.01). */
  readonly target: number;
  /** Volatility per √year by base asset (e.g. { BTC: 0.6 }). */
  readonly sigmaByBase: Readonly<Record<string, number>>;
  /** Volatility for a base asset without its own (per √year). */
  readonly defaultSigma: number;
}

export interface ArrivalVenue {
  readonly venue: string;
  /** The route the top-up waits on, "from→to" (the plan's slowest into it, else the fastest incoming). */
  readonly route: string;
  readonly medianMinutes: number;
  /** P(some position liquidated before a top-up sent now arrives), at today's collateral. */
  readonly probability: number;
  /** The band that keeps the probability below the target (fraction). */
  readonly band: number;
  /** Collateral the venue must hold, usd6 (rounded up). */
  readonly holdUsd6: bigint;
  /** hold − today's collateral, at least 0, usd6. */
  readonly extraUsd6: bigint;
}

/** A transfer of the plan (from, to), as far as the arrival report needs it. */
export interface PlannedTransfer {
  readonly from: string;
  readonly to: string;
}

export interface ArrivalReport {
  readonly target: number;
  readonly note: string;
  readonly venues: readonly ArrivalVenue[];
}

/** E[p(L)] over the lognormal latency (module header); `hit(tYears)` is p. */
export function expectedOverLatency(latency: Latency, hit: (years: number) => number): number {
  if (latency.sigma === 0) return hit(latency.medianMinutes / MINUTES_PER_YEAR);
  let s = 0;
  for (let k = 0; k < K; k++) {
    const t = latency.medianMinutes * Math.exp(latency.sigma * normalInv((k + 0.5) / K));
    s += hit(t / MINUTES_PER_YEAR);
  }
  return s / K;
}

/** P(liquidated before arrival) of one position whose liquidation price is `distance` away (fraction > 0). */
export function arrivalProbability(
  side: 'long' | 'short',
  distance: number,
  sigma: number,
  latency: Latency,
): number {
  const lp = side === 'long' ? 1 - distance : 1 + distance;
  return expectedOverLatency(latency, (t) => liquidationProbability(side, 1, lp, sigma, t));
}

/** The distance whose arrival probability is `target` (bisection to 1e-7). */
export function distanceForTarget(
  side: 'long' | 'short',
  target: number,
  sigma: number,
  latency: Latency,
): number {
  if (!(target > 0 && target < 1)) throw new RangeError('arrival target must be in (0, 1)');
  let lo = 0;
  let hi = side === 'long' ? 0.999999 : 50;
  if (arrivalProbability(side, hi, sigma, latency) > target) return hi;
  while (hi - lo > 1e-7) {
    const mid = (lo + hi) / 2;
    if (arrivalProbability(side, mid, sigma, latency) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The route whose latency a venue's top-up waits on: when the plan sends it money, the slowest
 * of those routes (the top-up is complete when the last transfer lands); otherwise its fastest
 * incoming route.
 */
function routeInto(
  venue: string,
  nodes: readonly string[],
  routes: Routes,
  planned: readonly PlannedTransfer[],
) {
  let slowest: { route: string; latency: Latency } | null = null;
  for (const t of planned) {
    if (t.to !== venue) continue;
    const r = routes.between(t.from, venue);
    if (r?.latency && (slowest === null || r.latency.medianMinutes > slowest.latency.medianMinutes))
      slowest = { route: `${t.from}→${venue}`, latency: r.latency };
  }
  if (slowest !== null) return slowest;
  let best: { route: string; latency: Latency } | null = null;
  for (const from of nodes) {
    const r = routes.between(from, venue);
    if (r?.latency && (best === null || r.latency.medianMinutes < best.latency.medianMinutes))
      best = { route: `${from}→${venue}`, latency: r.latency };
  }
  return best;
}

/** Arrival probabilities and the collateral to hold, per venue (module header). */
export function arrivalReport(
  books: readonly VenueBook[],
  risks: readonly VenueRisk[],
  routes: Routes,
  options: ArrivalOptions,
  planned: readonly PlannedTransfer[] = [],
): ArrivalReport {
  const nodes = [...books.map((b) => b.venue), ...(routes.reserve ? [routes.reserve.id] : [])];
  const venues: ArrivalVenue[] = [];
  books.forEach((book, i) => {
    const risk = risks[i]!;
    const into = routeInto(book.venue, nodes, routes, planned);
    if (into === null || risk.positions.length === 0) return;
    const sigmaOf = (base: string) => options.sigmaByBase[base] ?? options.defaultSigma;
    let probability = 0;
    let band = 0;
    const n = risk.positions.length;
    for (const p of risk.positions) {
      const dist = p.distance === null ? null : Math.abs(Number(p.distance));
      const sigma = sigmaOf(p.base);
      probability += dist === null ? 0 : arrivalProbability(p.side, dist, sigma, into.latency);
      band = Math.max(band, distanceForTarget(p.side, options.target / n, sigma, into.latency));
    }
    const bandPpm = BigInt(Math.min(999_999, Math.ceil(band * 1e6)));
    const atBand = venueRisk(book, bandPpm);
    const qd = atBand.settlementDecimals;
    const collateral = parseDecimalUnsafe(atBand.collateral, qd);
    // Short of the band: hold what it has plus every scope's top-up. Beyond it: the cross scope
    // could give up its least health at the band edges (isolated margins stay where they are).
    const needs = atBand.needs.reduce((s, x) => s + x.topUp, 0n);
    let leastCross: bigint | null = null;
    for (const p of atBand.positions) {
      if (p.scope !== 'cross') continue;
      const h = parseDecimalUnsafe(p.healthAtBandEdge, qd);
      if (leastCross === null || h < leastCross) leastCross = h;
    }
    const holdQ =
      needs > 0n
        ? collateral + needs
        : collateral - (leastCross !== null && leastCross > 0n ? leastCross : 0n);
    const holdUsd6 = rescale(holdQ < 0n ? 0n : holdQ, qd, USD_DECIMALS, 'ceil');
    const nowUsd6 = rescale(collateral, qd, USD_DECIMALS, 'floor');
    venues.push({
      venue: book.venue,
      route: into.route,
      medianMinutes: into.latency.medianMinutes,
      probability: Math.min(1, probability),
      band: Number(bandPpm) / 1e6,
      holdUsd6,
      extraUsd6: holdUsd6 > nowUsd6 ? holdUsd6 - nowUsd6 : 0n,
    });
  });
  return {
    target: options.target,
    note: `Probability that a venue is liquidated before a top-up arrives (on the plan's slowest route into it, else its fastest incoming route) (lognormal latency, driftless GBM marks, union bound over positions); hold = the collateral that keeps it at or below ${options.target}.`,
    venues,
  };
}
