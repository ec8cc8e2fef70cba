/**
 * Liquidation of portfolio-margined accounts: which positions to close first, and how far the
 * main underlying can move before the account becomes liquidatable.
 *
 * Ordering (`liquidationOrder`) is greedy by marginal requirement per unit of cost. With R(P) the
 * portfolio IM of a set of positions P (risk-matrix.ts) and c_i the cost of closing position i
 * (a `CostModel`, e.g. half-spread × notional):
 *
 *   pick i* = argmax_{i ∈ P, R(P) − R(P∖i) > 0}  (R(P) − R(P∖i)) / c_i,   P ← P∖i*,   repeat
 *
 * recomputing every marginal requirement after each choice, because closing one leg changes what
 * the others hedge. Positions whose removal would not lower the requirement (hedges, riskless
 * legs) are never picked: they are reported as `kept`. MM = fraction × IM, so ranking by released
 * IM or released MM is the same; both are reported. Each step is O(scenarios) per candidate: the
 * scenario P&L of every position is computed once and the per-underlying sums are updated in place.
 *
 * Distance to liquidation (`distanceToLiquidation`) generalises the liquidation price: the
 * smallest move x of the main underlying's price, searched downwards and upwards, at which
 *
 *   equity(x) = MM(x)
 *
 * with every position fully repriced (options by Black-76 at the moved forward) and the
 * requirement recomputed on the moved market; underlyings paired with the main one in
 * `config.correlations` move by beta·x, the others stay. The search walks a grid (1% steps to 20%,
 * 2.5% to 100%, 10% beyond) and bisects the first bracket where health = equity − MM changes
 * sign; a dip narrower than the grid step could be missed.
 */
import { InvariantError } from '../num/index.ts';
import { type MarketSnapshot, movedSnapshot, type PortfolioAccount } from './model.ts';
import {
  addPosition,
  aggregateRiskMatrix,
  aggregationState,
  buildRiskMatrix,
  groupInitialMargin,
  type PositionRiskInfo,
} from './risk-matrix.ts';
import type { PortfolioMarginConfig } from './scenarios.ts';

/** Cost (quote, ≥ 0) of closing a whole position. */
export type CostModel = (p: PositionRiskInfo) => number;

/**
 * Half-spread cost model: rate × |size| × price, with the price the position is valued on
 * (linear) or the spot (options, as venues quote option spreads against the underlying);
 * `optionBasis: 'premium'` charges rate × |size| × option premium instead.
 */
export function halfSpreadCost(rates: {
  linear: number;
  option: number;
  optionBasis?: 'underlying' | 'premium';
}): CostModel {
  return (p) => {
    const q = Math.abs(p.size);
    if (p.type !== 'option') return rates.linear * q * p.underlyingPrice;
    return rates.option * q * (rates.optionBasis === 'premium' ? p.unitPremium : p.spot);
  };
}

export interface LiquidationStep {
  /** 1-based rank. */
  rank: number;
  position: string;
  index: number;
  cost: number;
  releasedInitial: number;
  releasedMaintenance: number;
  /** Released MM per unit of cost (∞ when the cost is 0). */
  ratio: number;
  initialMarginAfter: number;
  maintenanceMarginAfter: number;
  /** Equity less the closing costs so far. */
  equityAfter: number;
  /** equityAfter − the target requirement after the step. */
  healthAfter: number;
}

export interface LiquidationPlan {
  equity: number;
  initialMargin: number;
  maintenanceMargin: number;
  /** equity − target requirement before any step. */
  health: number;
  target: 'maintenance' | 'initial';
  steps: LiquidationStep[];
  /** Positions never picked: closing any of them alone would not lower the requirement, or `keep` held them. */
  kept: string[];
  /** Index in `steps` after which health ≥ 0 again; null when never (or already healthy). */
  restoredAfter: number | null;
}

/**
 * Rank the positions of an account for liquidation (greedy by released requirement per unit cost).
 * @example liquidationOrder(account, snapshot, cryptoPmPreset(), { cost: halfSpreadCost({ linear: 0.0005, option: 0.0003 }) })
 */
export function liquidationOrder(
  account: PortfolioAccount,
  snapshot: MarketSnapshot,
  config: PortfolioMarginConfig,
  opts: {
    cost?: CostModel;
    target?: 'maintenance' | 'initial';
    /** Positions never to close (e.g. a coin balance held as a perpetual): they stay in `kept`. */
    keep?: (p: PositionRiskInfo) => boolean;
  } = {},
): LiquidationPlan {
  const cost = opts.cost ?? halfSpreadCost({ linear: 0.0005, option: 0.0005 });
  const target = opts.target ?? 'maintenance';
  const mmf = config.maintenanceFraction;
  const need = (im: number) => (target === 'initial' ? im : mmf * im);
  const matrix = buildRiskMatrix(account, snapshot, config);
  const st = aggregationState(matrix);
  const groupIm = matrix.groups.map((_, g) => groupInitialMargin(st, g));
  const total = () => groupIm.reduce((a, b) => a + b, 0);
  const im0 = total();
  const costs = matrix.positions.map((p) => {
    const c = cost(p);
    if (!(c >= 0) || !Number.isFinite(c))
      throw new InvariantError(`liquidation: cost ${c} of ${p.label} must be ≥ 0`);
    return c;
  });
  const remaining = new Set(matrix.positions.map((p) => p.index));
  const closable = (i: number) => !opts.keep?.(matrix.positions[i]!);
  const steps: LiquidationStep[] = [];
  let equity = matrix.equity;
  const health0 = equity - need(im0);
  let restoredAfter: number | null = null;

  for (;;) {
    const eps = 1e-12 * Math.max(1, total());
    let best = -1;
    let bestRatio = 0;
    let bestReleased = 0;
    let bestAfter = 0;
    for (const i of remaining) {
      if (!closable(i)) continue;
      const g = matrix.groupOf[matrix.positions[i]!.underlyingIndex]!;
      addPosition(st, i, -1);
      const after = groupInitialMargin(st, g);
      addPosition(st, i, 1);
      const released = groupIm[g]! - after;
      if (!(released > eps)) continue;
      const ratio = costs[i]! > 0 ? released / costs[i]! : Number.POSITIVE_INFINITY;
      if (best < 0 || ratio > bestRatio || (ratio === bestRatio && released > bestReleased)) {
        best = i;
        bestRatio = ratio;
        bestReleased = released;
        bestAfter = after;
      }
    }
    if (best < 0) break;
    const p = matrix.positions[best]!;
    addPosition(st, best, -1);
    remaining.delete(best);
    groupIm[matrix.groupOf[p.underlyingIndex]!] = bestAfter;
    const imAfter = total();
    equity -= costs[best]!;
    const healthAfter = equity - need(imAfter);
    steps.push({
      rank: steps.length + 1,
      position: p.label,
      index: best,
      cost: costs[best]!,
      releasedInitial: bestReleased,
      releasedMaintenance: mmf * bestReleased,
      ratio: costs[best]! > 0 ? (mmf * bestReleased) / costs[best]! : Number.POSITIVE_INFINITY,
      initialMarginAfter: imAfter,
      maintenanceMarginAfter: mmf * imAfter,
      equityAfter: equity,
      healthAfter,
    });
    if (restoredAfter === null && health0 < 0 && healthAfter >= 0) restoredAfter = steps.length - 1;
  }
  return {
    equity: matrix.equity,
    initialMargin: im0,
    maintenanceMargin: mmf * im0,
    health: health0,
    target,
    steps,
    kept: [...remaining].map((i) => matrix.positions[i]!.label),
    restoredAfter,
  };
}

// ---- distance to liquidation ----

export interface LiquidationCrossing {
  /** Fractional move of the main underlying (−0.2 = −20%). */
  move: number;
  /** The main underlying's spot at that move. */
  price: number;
}

export interface LiquidationDistance {
  underlying: string | null;
  spot: number;
  equity: number;
  maintenanceMargin: number;
  /** equity − MM now. */
  health: number;
  down: LiquidationCrossing | null;
  up: LiquidationCrossing | null;
  /** The smaller |move| of the two (move 0 when already liquidatable). */
  nearest: (LiquidationCrossing & { direction: 'down' | 'up' | 'now' }) | null;
  /** Full revaluations performed. */
  evaluations: number;
}

/** The default search grid of |moves| (see the header). */
export function distanceGrid(maxUp: number, maxDown: number): { up: number[]; down: number[] } {
  const steps: number[] = [];
  for (let k = 1; k <= 20; k++) steps.push(k / 100);
  for (let k = 9; k <= 40; k++) steps.push(k / 40);
  for (let k = 11; k <= 1000; k++) steps.push(k / 10);
  const down = steps.filter((x) => x < maxDown);
  down.push(maxDown);
  const up = steps.filter((x) => x < maxUp);
  up.push(maxUp);
  return { up, down };
}

/**
 * The smallest move of `mainUnderlying` (default: the underlying with the largest |delta| × spot)
 * at which equity = MM, both directions. See the header for the model.
 * @example // 1 BTC long perpetual at 100,000 with 20,000 collateral, crypto-pm:
 * distanceToLiquidation(account, snapshot, cryptoPmPreset(), 'BTC').nearest // { move: −0.1304, price: 86,956.5, direction: 'down' }
 */
export function distanceToLiquidation(
  account: PortfolioAccount,
  snapshot: MarketSnapshot,
  config: PortfolioMarginConfig,
  mainUnderlying?: string,
  opts: { maxUp?: number; maxDown?: number; tolerance?: number } = {},
): LiquidationDistance {
  const maxUp = opts.maxUp ?? 5;
  const maxDown = opts.maxDown ?? 0.99;
  const tol = opts.tolerance ?? 1e-6;
  if (!(maxDown > 0 && maxDown < 1))
    throw new InvariantError(`distance: maxDown ${maxDown} must be in (0, 1)`);
  let evaluations = 0;
  const health = (moves: Record<string, number>) => {
    evaluations++;
    const r = aggregateRiskMatrix(buildRiskMatrix(account, movedSnapshot(snapshot, moves), config));
    return { health: r.equity - r.maintenanceMargin, equity: r.equity, mm: r.maintenanceMargin, r };
  };
  const now = health({});
  const main =
    mainUnderlying ??
    [...now.r.underlyings].sort((a, b) => Math.abs(b.netDelta) * b.spot - Math.abs(a.netDelta) * a.spot)[0]
      ?.underlying ??
    null;
  const spot = main === null ? 0 : snapshot.underlyings[main]!.spot;
  const base = { underlying: main, spot, equity: now.equity, maintenanceMargin: now.mm, health: now.health };
  if (main === null) return { ...base, down: null, up: null, nearest: null, evaluations };
  if (!snapshot.underlyings[main]) throw new InvariantError(`distance: no market for ${main}`);
  if (now.health < 0) {
    return {
      ...base,
      down: null,
      up: null,
      nearest: { move: 0, price: spot, direction: 'now' },
      evaluations,
    };
  }
  const pair = config.correlations.find((c) => c.a === main || c.b === main);
  const movesAt = (x: number): Record<string, number> => {
    const m: Record<string, number> = { [main]: x };
    if (pair) {
      const other = pair.a === main ? pair.b : pair.a;
      const beta = pair.a === main ? pair.beta : 1 / pair.beta;
      if (snapshot.underlyings[other]) m[other] = Math.max(beta * x, -0.999);
    }
    return m;
  };
  const grid = distanceGrid(maxUp, maxDown);
  const search = (sign: 1 | -1): LiquidationCrossing | null => {
    let healthy = 0;
    for (const step of sign > 0 ? grid.up : grid.down) {
      const x = sign * step;
      if (health(movesAt(x)).health < 0) {
        let a = healthy;
        let b = x;
        while (Math.abs(b - a) > tol) {
          const mid = (a + b) / 2;
          if (health(movesAt(mid)).health < 0) b = mid;
          else a = mid;
        }
        return { move: b, price: spot * (1 + b) };
      }
      healthy = x;
    }
    return null;
  };
  const down = search(-1);
  const up = search(1);
  let nearest: LiquidationDistance['nearest'] = null;
  if (down && (!up || -down.move <= up.move)) nearest = { ...down, direction: 'down' };
  else if (up) nearest = { ...up, direction: 'up' };
  return { ...base, down, up, nearest, evaluations };
}
