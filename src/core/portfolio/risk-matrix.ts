/**
 * Portfolio margin by scenarios (risk matrix): full revaluation of every position of an
 * account under a grid of price × volatility shocks (scenarios.ts), then the requirement.
 *
 * 1. Revalue (`buildRiskMatrix`). For each position i and scenario s, with the scenario's
 *    price move m = move_s × R_u (or an absolute move) of the position's underlying u:
 *      S' = S·(1 + m),  F' = F·(1 + m),  T' = max(T − lookahead, 0),  σ' = shock(σ, v_s, days)
 *      pnl[i][s] = size × (unitValue(S', F', T', σ') − unitValue(S, F, T, σ))      quote
 *    The matrix is positions × scenarios, float64, unweighted.
 *
 * 2. Aggregate (`aggregateRiskMatrix`), per underlying u and scenario s:
 *      P_u,s  = Σ_{i on u} pnl[i][s]                        the underlying's scenario P&L
 *      scan_u = max(0, max_s −w_s·P_u,s)                    worst weighted loss (w_s ≤ 1 dampens)
 *      Δ_u    = (netRate·|net δ| + hedgedRate·(gross δ − |net δ|)/2) × S_u      delta contingency
 *      SOM_u  = ratePerContract × S_u × short option contracts                  short option minimum
 *    Underlyings in a configured correlation pair form a group {a, b} with credit c:
 *      joint_G = max(0, max_s −w_s·(P_a,s + P_b,s))         both moved in the same scenario
 *      scan_G  = scan_a + scan_b − c·(scan_a + scan_b − joint_G)
 *    any other underlying is a group of its own (its worst case simply adds). Then
 *      req_G = max(scan_G + add-ons_G, floors_G)            (each contingency is an add-on or a floor)
 *      IM    = Σ_G req_G,     MM = maintenanceFraction × IM.
 *
 * Properties (tested in portfolio.prop.test.ts; PM-n in docs/portfolio-margin.md):
 *   PM-1 IM ≥ the largest single-scenario (weighted) loss of the whole account.
 *   PM-2 monotone: a position whose P&L is ≤ 0 in every scenario (and that adds no delta or short
 *        options offset) never lowers IM; scaling the whole book by 1 + k (k ≥ 0) never lowers IM.
 *   PM-3 positively homogeneous: scaling every size by k ≥ 0 scales IM by k.
 *   PM-4 a riskless position (zero P&L in every scenario, no delta, no short option) leaves IM unchanged.
 */
import { InvariantError } from '../num/index.ts';
import {
  forwardPrice,
  type MarketSnapshot,
  marketOf,
  optionUnitValue,
  optionVol,
  type PortfolioAccount,
  type PortfolioPosition,
  positionLabel,
  valuePosition,
} from './model.ts';
import {
  type PortfolioMarginConfig,
  priceRangeOf,
  resolvedMove,
  type ScenarioTemplate,
  scenarioTemplates,
  shockedVol,
} from './scenarios.ts';

const DAYS_PER_YEAR = 365;

export interface UnderlyingRiskInfo {
  id: string;
  spot: number;
  priceRange: number;
  /** Resolved fractional price move per scenario. */
  moves: Float64Array;
}

export interface PositionRiskInfo {
  index: number;
  label: string;
  type: 'perpetual' | 'future' | 'option';
  underlyingIndex: number;
  /** Signed size. */
  size: number;
  /** Mark-to-market value at the snapshot, quote. */
  value: number;
  /** Delta in underlying units. */
  delta: number;
  /** Strike group (underlying, expiry, strike) of an option; −1 for linear positions. */
  strikeGroup: number;
  /** Price the position is valued on (S or F), for cost models. */
  underlyingPrice: number;
  /** Spot of the underlying. */
  spot: number;
  /** Option premium of one unit in quote (0 for linear positions). */
  unitPremium: number;
}

export interface RiskMatrix {
  config: PortfolioMarginConfig;
  scenarios: ScenarioTemplate[];
  /** w_s per scenario. */
  weights: Float64Array;
  underlyings: UnderlyingRiskInfo[];
  positions: PositionRiskInfo[];
  /** Underlying index of each strike group. */
  strikeGroupUnderlying: Int32Array;
  /** Unweighted scenario P&L, row-major [position][scenario], quote. */
  pnl: Float64Array;
  /** Correlation groups: underlying indices and credit. */
  groups: { members: number[]; credit: number }[];
  /** Group index of each underlying. */
  groupOf: Int32Array;
  /** Number of position revaluations performed (positions × scenarios). */
  revaluations: number;
  /** Equity at the snapshot: collateral + Σ value. */
  equity: number;
}

/**
 * One position's column per unit of size: its scenario P&L, value and delta for size 1. A
 * position's P&L is linear in its size, so the matrix row is size × column; a trade on an
 * instrument already priced at this snapshot costs one scaled column, not a revaluation.
 */
export interface RiskColumn {
  /** Every input the column depends on, compared on a memo hit. */
  print: number[];
  /** Unit P&L per scenario: unitValue(shocked) − unitValue (option), price × move (linear). */
  diffs: Float64Array;
  unitValue: number;
  unitDelta: number;
  underlyingPrice: number;
  spot: number;
}

/**
 * Memo of unit columns across calls, keyed by everything a column depends on (instrument terms,
 * spot, basis, σ, valuation time, rate) per configuration, so the matrix of a book is rebuilt
 * from columns already priced and only a new instrument (or a new price) is revalued. Bounded:
 * a configuration's memo is cleared past MAX_COLUMNS. Results are identical with or without it
 * (portfolio.prop.test.ts).
 */
export class RiskColumnCache {
  readonly byConfig = new WeakMap<PortfolioMarginConfig, Map<string, RiskColumn>>();
}
const MAX_COLUMNS = 20_000;

function columnMapOf(cache: RiskColumnCache, config: PortfolioMarginConfig): Map<string, RiskColumn> {
  let m = cache.byConfig.get(config);
  if (!m) {
    m = new Map();
    cache.byConfig.set(config, m);
  }
  return m;
}

function columnOf(
  p: PortfolioPosition,
  snapshot: MarketSnapshot,
  config: PortfolioMarginConfig,
  scenarios: ScenarioTemplate[],
  moves: Float64Array,
  lookaheadYears: number,
  memo: Map<string, RiskColumn> | undefined,
): RiskColumn {
  let key = '';
  let print: number[] = [];
  if (memo) {
    // Keyed by the caller's id (cheap); every input the column depends on must match too.
    const m = marketOf(snapshot, p.underlying);
    const vol =
      p.type !== 'option'
        ? 0
        : p.vol !== undefined
          ? p.vol
          : optionVol(m.vol, snapshot.nowMs, p, forwardPrice(m, snapshot.nowMs, p.expiryMs));
    const a = p.type === 'option' ? 3 : p.type === 'future' ? 2 : 1;
    const b =
      p.type === 'option' ? (p.kind === 'call' ? 1 : 0) + (p.settlement === 'inverse' ? 2 : 0) : p.entryPrice;
    const c = p.type === 'option' ? p.strike : 0;
    const d = p.type === 'perpetual' ? 0 : p.expiryMs;
    key = p.id === undefined ? `${p.underlying}|${a}|${b}|${c}|${d}|${vol}` : `${p.underlying}|${p.id}`;
    const hit = memo.get(key);
    if (hit) {
      const h = hit.print;
      if (
        h[0] === a &&
        h[1] === b &&
        h[2] === c &&
        h[3] === d &&
        h[4] === vol &&
        h[5] === m.spot &&
        h[6] === m.basisRate &&
        h[7] === snapshot.nowMs &&
        h[8] === snapshot.rate
      )
        return hit;
    }
    print = [a, b, c, d, vol, m.spot, m.basisRate, snapshot.nowMs, snapshot.rate];
  }
  const nS = scenarios.length;
  const v = valuePosition({ ...p, size: 1 }, snapshot);
  const diffs = new Float64Array(nS);
  if (p.type === 'option') {
    const days = v.timeYears * DAYS_PER_YEAR;
    const T1 = Math.max(v.timeYears - lookaheadYears, 0);
    for (let s = 0; s < nS; s++) {
      const g1 = 1 + moves[s]!;
      const vol = shockedVol(config.vol, v.vol, scenarios[s]!.volShock, days);
      const unit = optionUnitValue(
        p.kind,
        p.settlement,
        v.underlyingPrice * g1,
        v.spot * g1,
        p.strike,
        T1,
        vol,
        snapshot.rate,
      );
      diffs[s] = unit - v.unitValue;
    }
  } else {
    // Linear: the price the position is valued on moves with the underlying.
    for (let s = 0; s < nS; s++) diffs[s] = v.underlyingPrice * moves[s]!;
  }
  const col: RiskColumn = {
    print,
    diffs,
    unitValue: v.unitValue,
    unitDelta: v.delta,
    underlyingPrice: v.underlyingPrice,
    spot: v.spot,
  };
  if (memo) {
    if (memo.size >= MAX_COLUMNS) memo.clear();
    memo.set(key, col);
  }
  return col;
}

/**
 * The parts of a matrix that do not depend on the positions' sizes: scenarios, weights, the
 * account's underlyings (sorted ids) with their resolved moves, and the correlation groups.
 */
export interface MatrixFrame {
  scenarios: ScenarioTemplate[];
  weights: Float64Array;
  underlyings: UnderlyingRiskInfo[];
  uIndex: Map<string, number>;
  groups: { members: number[]; credit: number }[];
  groupOf: Int32Array;
}

export function matrixFrame(
  positions: readonly PortfolioPosition[],
  snapshot: MarketSnapshot,
  config: PortfolioMarginConfig,
  scenarios: ScenarioTemplate[],
  weights: Float64Array,
  movesOf: (range: number) => Float64Array,
): MatrixFrame {
  const ids = [...new Set(positions.map((p) => p.underlying))].sort();
  const uIndex = new Map(ids.map((id, i) => [id, i]));
  const underlyings: UnderlyingRiskInfo[] = ids.map((id) => {
    const m = marketOf(snapshot, id);
    const range = priceRangeOf(config, id);
    return { id, spot: m.spot, priceRange: range, moves: movesOf(range) };
  });
  const groupOf = new Int32Array(ids.length).fill(-1);
  const groups: { members: number[]; credit: number }[] = [];
  for (const pair of config.correlations) {
    const a = uIndex.get(pair.a);
    const b = uIndex.get(pair.b);
    if (a === undefined || b === undefined) continue; // a pair needs both legs in the account
    groupOf[a] = groupOf[b] = groups.length;
    groups.push({ members: [a, b], credit: pair.credit });
  }
  for (let u = 0; u < ids.length; u++) {
    if (groupOf[u] === -1) {
      groupOf[u] = groups.length;
      groups.push({ members: [u], credit: 0 });
    }
  }
  return { scenarios, weights, underlyings, uIndex, groups, groupOf };
}

/**
 * One position's unit column (its P&L per unit of size in each scenario, value and delta), priced
 * without a memo: for a caller that keeps columns itself, keyed by inputs it can compare more
 * cheaply (`portfolioMarginFigures`' `unitColumns`).
 */
export function unitColumnOf(
  p: PortfolioPosition,
  snapshot: MarketSnapshot,
  config: PortfolioMarginConfig,
): RiskColumn {
  const cf = configFrame(config);
  const moves = movesOf(cf, priceRangeOf(config, p.underlying));
  return columnOf(p, snapshot, config, cf.scenarios, moves, config.lookaheadDays / DAYS_PER_YEAR, undefined);
}

/** Revalue every position of the account under every scenario (step 1 of the header). */
export function buildRiskMatrix(
  account: PortfolioAccount,
  snapshot: MarketSnapshot,
  config: PortfolioMarginConfig,
  opts: { columns?: RiskColumnCache } = {},
): RiskMatrix {
  const scenarios = scenarioTemplates(config);
  const nS = scenarios.length;
  const weights = Float64Array.from(scenarios, (s) => s.weight);
  const frame = matrixFrame(account.positions, snapshot, config, scenarios, weights, (range) =>
    Float64Array.from(scenarios, (s) => resolvedMove(s, range)),
  );
  const { underlyings, uIndex } = frame;

  const nP = account.positions.length;
  const pnl = new Float64Array(nP * nS);
  const positions: PositionRiskInfo[] = [];
  const strikeKeys = new Map<string, number>();
  const strikeGroupUnderlying: number[] = [];
  const lookaheadYears = config.lookaheadDays / DAYS_PER_YEAR;
  let equity = account.collateral;

  const columns = opts.columns ? columnMapOf(opts.columns, config) : undefined;
  account.positions.forEach((p, i) => {
    const u = uIndex.get(p.underlying)!;
    const moves = underlyings[u]!.moves;
    const col = columnOf(p, snapshot, config, scenarios, moves, lookaheadYears, columns);
    const value = p.size * col.unitValue;
    const delta = p.type === 'option' ? p.size * col.unitDelta : p.size;
    equity += value;
    const row = i * nS;
    let strikeGroup = -1;
    let unitPremium = 0;
    if (p.type === 'option') {
      unitPremium = col.unitValue;
      const key = `${u}|${p.expiryMs}|${p.strike}`;
      let g = strikeKeys.get(key);
      if (g === undefined || !config.shortOptionMinimum?.netPerStrike) {
        g = strikeGroupUnderlying.length;
        strikeGroupUnderlying.push(u);
        strikeKeys.set(key, g);
      }
      strikeGroup = g;
    }
    const d = col.diffs;
    for (let s = 0; s < nS; s++) pnl[row + s] = p.size * d[s]!;
    const v = { value, delta, underlyingPrice: col.underlyingPrice, spot: col.spot };
    positions.push({
      index: i,
      label: positionLabel(p, i),
      type: p.type,
      underlyingIndex: u,
      size: p.size,
      value: v.value,
      delta: v.delta,
      strikeGroup,
      underlyingPrice: v.underlyingPrice,
      spot: v.spot,
      unitPremium,
    });
  });

  return {
    config,
    scenarios,
    weights,
    underlyings,
    positions,
    strikeGroupUnderlying: Int32Array.from(strikeGroupUnderlying),
    pnl,
    groups: frame.groups,
    groupOf: frame.groupOf,
    revaluations: nP * nS,
    equity,
  };
}

// ---- aggregation state ----

/**
 * Per-underlying sums of a weighted selection of positions (multiplier m_i per position):
 * scenario P&L, net and gross delta, net size per strike group. Mutable, so the liquidation
 * ranking can remove and restore one position in O(scenarios).
 */
export interface AggregationState {
  matrix: RiskMatrix;
  /** P_u,s, row-major [underlying][scenario]. */
  sums: Float64Array;
  netDelta: Float64Array;
  grossDelta: Float64Array;
  /** Σ m_i·size_i per strike group. */
  strikeNet: Float64Array;
  /** Position count per underlying with m_i ≠ 0. */
  counts: Int32Array;
}

/** Sums for multipliers m ≥ 0 (default all 1): m_i scales position i's size. */
export function aggregationState(matrix: RiskMatrix, multipliers?: ArrayLike<number>): AggregationState {
  const nS = matrix.scenarios.length;
  const nU = matrix.underlyings.length;
  const st: AggregationState = {
    matrix,
    sums: new Float64Array(nU * nS),
    netDelta: new Float64Array(nU),
    grossDelta: new Float64Array(nU),
    strikeNet: new Float64Array(matrix.strikeGroupUnderlying.length),
    counts: new Int32Array(nU),
  };
  for (let i = 0; i < matrix.positions.length; i++) {
    const m = multipliers === undefined ? 1 : multipliers[i]!;
    if (!(m >= 0) || !Number.isFinite(m)) throw new InvariantError(`portfolio: multiplier ${m} must be ≥ 0`);
    if (m !== 0) addPosition(st, i, m);
  }
  return st;
}

/** Add m × position i to the state (m = −(what was added) removes it again). */
export function addPosition(st: AggregationState, i: number, m: number): void {
  const { matrix } = st;
  const nS = matrix.scenarios.length;
  const p = matrix.positions[i]!;
  const u = p.underlyingIndex;
  const row = i * nS;
  const out = u * nS;
  for (let s = 0; s < nS; s++) st.sums[out + s]! += m * matrix.pnl[row + s]!;
  st.netDelta[u]! += m * p.delta;
  st.grossDelta[u]! += m * Math.abs(p.delta);
  if (p.strikeGroup >= 0) st.strikeNet[p.strikeGroup]! += m * p.size;
  st.counts[u]! += Math.sign(m);
}

interface UnderlyingFigures {
  scan: number;
  worst: number;
  hedged: number;
  delta: number;
  shortContracts: number;
  som: number;
}

function underlyingFigures(st: AggregationState, u: number): UnderlyingFigures {
  const { matrix } = st;
  const nS = matrix.scenarios.length;
  const base = u * nS;
  let scan = 0;
  let worst = -1;
  for (let s = 0; s < nS; s++) {
    const loss = -matrix.weights[s]! * st.sums[base + s]!;
    if (loss > scan) {
      scan = loss;
      worst = s;
    }
  }
  const spot = matrix.underlyings[u]!.spot;
  const net = Math.abs(st.netDelta[u]!);
  const hedged = Math.max(0, (st.grossDelta[u]! - net) / 2);
  const dc = matrix.config.deltaContingency;
  const delta = dc ? (dc.netRate * net + dc.hedgedRate * hedged) * spot : 0;
  let shortContracts = 0;
  for (let g = 0; g < st.strikeNet.length; g++) {
    if (matrix.strikeGroupUnderlying[g] === u) shortContracts += Math.max(0, -st.strikeNet[g]!);
  }
  const sm = matrix.config.shortOptionMinimum;
  const som = sm ? sm.ratePerContract * spot * shortContracts : 0;
  return { scan, worst, hedged, delta, shortContracts, som };
}

interface GroupFigures {
  scan: number;
  joint: number;
  jointWorst: number;
  credit: number;
  addOns: number;
  deltaFloor: number;
  somFloor: number;
  requirement: number;
  binding: 'scan' | 'deltaFloor' | 'shortOptionFloor';
}

function groupFigures(st: AggregationState, g: number, figs: (u: number) => UnderlyingFigures): GroupFigures {
  const { matrix } = st;
  const cfg = matrix.config;
  const { members, credit: rate } = matrix.groups[g]!;
  let scan = 0;
  let addOns = 0;
  let deltaFloor = 0;
  let somFloor = 0;
  for (const u of members) {
    const f = figs(u);
    scan += f.scan;
    if (cfg.deltaContingency?.mode === 'addOn') addOns += f.delta;
    else deltaFloor += f.delta;
    if (cfg.shortOptionMinimum?.mode === 'addOn') addOns += f.som;
    else somFloor += f.som;
  }
  let joint = scan;
  let jointWorst = -1;
  let credit = 0;
  if (members.length > 1) {
    const nS = matrix.scenarios.length;
    joint = 0;
    for (let s = 0; s < nS; s++) {
      let total = 0;
      for (const u of members) total += st.sums[u * nS + s]!;
      const loss = -matrix.weights[s]! * total;
      if (loss > joint) {
        joint = loss;
        jointWorst = s;
      }
    }
    credit = rate * Math.max(0, scan - joint);
  }
  const scanned = scan - credit + addOns;
  const requirement = Math.max(scanned, deltaFloor, somFloor);
  const binding =
    requirement === scanned ? 'scan' : requirement === deltaFloor ? 'deltaFloor' : 'shortOptionFloor';
  return { scan, joint, jointWorst, credit, addOns, deltaFloor, somFloor, requirement, binding };
}

/** Scratch of `underlyingParts`: scan, delta contingency, short option minimum. */
const parts = new Float64Array(3);

/** `underlyingFigures`' scan, delta and som of underlying u into `parts` (same arithmetic, no object). */
function underlyingParts(st: AggregationState, u: number): void {
  const { matrix } = st;
  const nS = matrix.scenarios.length;
  const base = u * nS;
  const w = matrix.weights;
  const sums = st.sums;
  let scan = 0;
  for (let s = 0; s < nS; s++) {
    const loss = -w[s]! * sums[base + s]!;
    if (loss > scan) scan = loss;
  }
  const spot = matrix.underlyings[u]!.spot;
  const net = Math.abs(st.netDelta[u]!);
  const hedged = Math.max(0, (st.grossDelta[u]! - net) / 2);
  const dc = matrix.config.deltaContingency;
  const delta = dc ? (dc.netRate * net + dc.hedgedRate * hedged) * spot : 0;
  let shortContracts = 0;
  const nets = st.strikeNet;
  const gu = matrix.strikeGroupUnderlying;
  for (let g = 0; g < nets.length; g++) {
    if (gu[g] === u) shortContracts += Math.max(0, -nets[g]!);
  }
  const sm = matrix.config.shortOptionMinimum;
  parts[0] = scan;
  parts[1] = delta;
  parts[2] = sm ? sm.ratePerContract * spot * shortContracts : 0;
}

/**
 * IM of one correlation group at the current state (fast path for rankings and margin checks):
 * `groupFigures(…).requirement` term for term, in the same order, without allocating (no
 * per-underlying or per-group object, no closure), so a check does not feed the collector.
 */
export function groupInitialMargin(st: AggregationState, g: number): number {
  const { matrix } = st;
  const cfg = matrix.config;
  const grp = matrix.groups[g]!;
  const members = grp.members;
  const deltaAddOn = cfg.deltaContingency?.mode === 'addOn';
  const somAddOn = cfg.shortOptionMinimum?.mode === 'addOn';
  let scan = 0;
  let addOns = 0;
  let deltaFloor = 0;
  let somFloor = 0;
  for (let i = 0; i < members.length; i++) {
    underlyingParts(st, members[i]!);
    scan += parts[0]!;
    if (deltaAddOn) addOns += parts[1]!;
    else deltaFloor += parts[1]!;
    if (somAddOn) addOns += parts[2]!;
    else somFloor += parts[2]!;
  }
  let credit = 0;
  if (members.length > 1) {
    const nS = matrix.scenarios.length;
    let joint = 0;
    for (let s = 0; s < nS; s++) {
      let total = 0;
      for (let i = 0; i < members.length; i++) total += st.sums[members[i]! * nS + s]!;
      const loss = -matrix.weights[s]! * total;
      if (loss > joint) joint = loss;
    }
    credit = grp.credit * Math.max(0, scan - joint);
  }
  const scanned = scan - credit + addOns;
  return Math.max(scanned, deltaFloor, somFloor);
}

/** IM of the whole state. */
export function stateInitialMargin(st: AggregationState): number {
  let im = 0;
  for (let g = 0; g < st.matrix.groups.length; g++) im += groupInitialMargin(st, g);
  return im;
}

// ---- the breakdown ----

export interface ScenarioRef {
  index: number;
  id: string;
  kind: 'core' | 'extended';
  /** Resolved price move (fraction) of the underlying in this scenario. */
  priceMove: number;
  volShock: number;
  weight: number;
  /** Unweighted P&L, quote. */
  pnl: number;
  /** weight × pnl. */
  weightedPnl: number;
}

export interface UnderlyingRequirement {
  underlying: string;
  spot: number;
  priceRange: number;
  positions: number;
  /** Worst weighted scenario loss (≥ 0). */
  scanRisk: number;
  /** The scenario of that loss (null when no scenario loses). */
  worstScenario: ScenarioRef | null;
  netDelta: number;
  grossDelta: number;
  hedgedDelta: number;
  deltaContingency: number;
  shortContracts: number;
  shortOptionMinimum: number;
}

export interface GroupRequirement {
  underlyings: string[];
  /** Σ scan risk of the members. */
  scanRisk: number;
  /** Worst weighted loss with all members in the same scenario (= scanRisk for one member). */
  jointLoss: number;
  jointScenario: string | null;
  creditRate: number;
  /** c × (scanRisk − jointLoss). */
  correlationCredit: number;
  /** Contingencies configured as add-ons. */
  addOns: number;
  deltaFloor: number;
  shortOptionFloor: number;
  requirement: number;
  binding: 'scan' | 'deltaFloor' | 'shortOptionFloor';
}

export interface MatrixRow {
  index: number;
  id: string;
  kind: 'core' | 'extended';
  volShock: number;
  weight: number;
  /** Price move per underlying (order of `underlyings`). */
  moves: number[];
  /** Unweighted P&L per underlying. */
  pnl: number[];
  /** Σ pnl. */
  total: number;
  /** weight × total. */
  weightedTotal: number;
}

export interface MatrixView {
  underlyings: string[];
  rows: MatrixRow[];
}

export interface PortfolioRequirement {
  config: string;
  /** Every amount is in the quote currency, float64 (a screening figure; see model.ts). */
  currency: 'quote';
  equity: number;
  underlyings: UnderlyingRequirement[];
  groups: GroupRequirement[];
  /** Σ scan risk over underlyings (before correlation credit). */
  scanRisk: number;
  correlationCredit: number;
  /** Σ delta contingency amounts (whether add-on or floor, see groups[].binding). */
  deltaContingency: number;
  /** Σ short option minimum amounts. */
  shortOptionMinimum: number;
  /** The worst weighted loss of the whole account in one scenario (all underlyings together). */
  largestScenarioLoss: number;
  largestScenario: string | null;
  initialMargin: number;
  maintenanceMargin: number;
  revaluations: number;
  matrix?: MatrixView;
}

/** The full scenario × P&L table of a state (the `--matrix` view). */
export function matrixView(st: AggregationState): MatrixView {
  const { matrix } = st;
  const nS = matrix.scenarios.length;
  return {
    underlyings: matrix.underlyings.map((u) => u.id),
    rows: matrix.scenarios.map((s) => {
      const pnl = matrix.underlyings.map((_, u) => st.sums[u * nS + s.index]!);
      const total = pnl.reduce((a, b) => a + b, 0);
      return {
        index: s.index,
        id: s.id,
        kind: s.kind,
        volShock: s.volShock,
        weight: s.weight,
        moves: matrix.underlyings.map((u) => u.moves[s.index]!),
        pnl,
        total,
        weightedTotal: s.weight * total,
      };
    }),
  };
}

/** The requirement and its breakdown for multipliers m (default all 1) — step 2 of the header. */
export function aggregateRiskMatrix(
  matrix: RiskMatrix,
  opts: { multipliers?: ArrayLike<number>; includeMatrix?: boolean } = {},
): PortfolioRequirement {
  const st = aggregationState(matrix, opts.multipliers);
  return requirementOf(st, opts.includeMatrix ?? false);
}

/** The breakdown of an aggregation state. */
export function requirementOf(st: AggregationState, includeMatrix = false): PortfolioRequirement {
  const { matrix } = st;
  const nS = matrix.scenarios.length;
  const figures = matrix.underlyings.map((_, u) => underlyingFigures(st, u));
  const underlyings: UnderlyingRequirement[] = matrix.underlyings.map((info, u) => {
    const f = figures[u]!;
    const s = f.worst >= 0 ? matrix.scenarios[f.worst]! : null;
    const pnl = s ? st.sums[u * nS + s.index]! : 0;
    return {
      underlying: info.id,
      spot: info.spot,
      priceRange: info.priceRange,
      positions: st.counts[u]!,
      scanRisk: f.scan,
      worstScenario: s
        ? {
            index: s.index,
            id: s.id,
            kind: s.kind,
            priceMove: info.moves[s.index]!,
            volShock: s.volShock,
            weight: s.weight,
            pnl,
            weightedPnl: s.weight * pnl,
          }
        : null,
      netDelta: st.netDelta[u]!,
      grossDelta: st.grossDelta[u]!,
      hedgedDelta: f.hedged,
      deltaContingency: f.delta,
      shortContracts: f.shortContracts,
      shortOptionMinimum: f.som,
    };
  });
  const groups: GroupRequirement[] = matrix.groups.map((grp, g) => {
    const f = groupFigures(st, g, (u) => figures[u]!);
    return {
      underlyings: grp.members.map((u) => matrix.underlyings[u]!.id),
      scanRisk: f.scan,
      jointLoss: f.joint,
      jointScenario: f.jointWorst >= 0 ? matrix.scenarios[f.jointWorst]!.id : null,
      creditRate: grp.credit,
      correlationCredit: f.credit,
      addOns: f.addOns,
      deltaFloor: f.deltaFloor,
      shortOptionFloor: f.somFloor,
      requirement: f.requirement,
      binding: f.binding,
    };
  });
  let largest = 0;
  let largestAt = -1;
  for (let s = 0; s < nS; s++) {
    let total = 0;
    for (let u = 0; u < matrix.underlyings.length; u++) total += st.sums[u * nS + s]!;
    const loss = -matrix.weights[s]! * total;
    if (loss > largest) {
      largest = loss;
      largestAt = s;
    }
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const initialMargin = sum(groups.map((g) => g.requirement));
  if (!(initialMargin >= 0) || !Number.isFinite(initialMargin))
    throw new InvariantError(
      `portfolio: initial margin ${initialMargin} is not a finite non-negative number`,
    );
  const result: PortfolioRequirement = {
    config: matrix.config.name,
    currency: 'quote',
    equity: matrix.equity,
    underlyings,
    groups,
    scanRisk: sum(underlyings.map((u) => u.scanRisk)),
    correlationCredit: sum(groups.map((g) => g.correlationCredit)),
    deltaContingency: sum(underlyings.map((u) => u.deltaContingency)),
    shortOptionMinimum: sum(underlyings.map((u) => u.shortOptionMinimum)),
    largestScenarioLoss: largest,
    largestScenario: largestAt >= 0 ? matrix.scenarios[largestAt]!.id : null,
    initialMargin,
    maintenanceMargin: matrix.config.maintenanceFraction * initialMargin,
    revaluations: matrix.revaluations,
  };
  if (includeMatrix) result.matrix = matrixView(st);
  return result;
}

/**
 * Portfolio margin of an account: IM, MM and the breakdown (worst scenario per underlying,
 * contingencies, correlation credit), optionally with the full scenario × P&L matrix.
 *
 * @example
 * // long 1 BTC future + long 1 ATM put, S 100,000, σ 60%, 30 days:
 * const r = portfolioMargin(account, snapshot, cryptoPmPreset());
 * r.initialMargin; r.maintenanceMargin; r.underlyings[0].worstScenario?.id; // 6,372.6 · 3,186.3 · "-100%R/vol-1"
 */
export function portfolioMargin(
  account: PortfolioAccount,
  snapshot: MarketSnapshot,
  config: PortfolioMarginConfig,
  opts: { includeMatrix?: boolean; columns?: RiskColumnCache } = {},
): PortfolioRequirement {
  return aggregateRiskMatrix(buildRiskMatrix(account, snapshot, config, { columns: opts.columns }), opts);
}

/** A configuration's scenarios, weights and resolved moves per price range, kept across calls. */
export interface ConfigFrame {
  scenarios: ScenarioTemplate[];
  weights: Float64Array;
  moves: Map<number, Float64Array>;
}
const configFrames = new WeakMap<PortfolioMarginConfig, ConfigFrame>();
export function configFrame(config: PortfolioMarginConfig): ConfigFrame {
  let f = configFrames.get(config);
  if (!f) {
    const scenarios = scenarioTemplates(config);
    f = { scenarios, weights: Float64Array.from(scenarios, (s) => s.weight), moves: new Map() };
    configFrames.set(config, f);
  }
  return f;
}

export function movesOf(cf: ConfigFrame, range: number): Float64Array {
  let m = cf.moves.get(range);
  if (!m) {
    m = Float64Array.from(cf.scenarios, (s) => resolvedMove(s, range));
    cf.moves.set(range, m);
  }
  return m;
}

/**
 * IM and MM of an account without the breakdown, equal to the bit to `portfolioMargin`'s (the
 * property test compares them): each position's unit column (priced once per instrument and
 * snapshot through `columns`) is scaled by its size and added straight into its underlying's
 * scenario sums, in the account's order, so the sums see the same additions in the same order
 * as building the positions × scenarios matrix and aggregating it, without allocating the
 * matrix. A pre-trade check thus prices only the traded instrument's column and re-adds the
 * others' cached columns (positions × scenarios multiply-adds); the sums are not patched by
 * subtracting the old row, which would leave float residue and drift from a full recomputation.
 *
 * The configuration's scenarios are kept per configuration object: do not mutate a
 * configuration after passing it here.
 */
export function portfolioMarginFigures(
  account: PortfolioAccount,
  snapshot: MarketSnapshot,
  config: PortfolioMarginConfig,
  opts: {
    columns?: RiskColumnCache;
    /** Position i's unit column when the caller already holds it (`unitColumnOf` on the same inputs). */
    unitColumns?: readonly (RiskColumn | undefined)[];
    /**
     * Option i's strike key when the caller holds one: any string equal for two options exactly
     * when they share underlying, expiry and strike (saves building one per option per call).
     */
    strikeKeys?: readonly string[];
    /**
     * The same as small non-negative integers (−1 where no option): equal exactly when the strike
     * keys are. Indexes a typed array instead of a string-keyed map (fewer allocations per check).
     */
    strikeIds?: readonly number[];
  } = {},
): { initialMargin: number; maintenanceMargin: number } {
  const cf = configFrame(config);
  const { scenarios, weights } = cf;
  const nS = scenarios.length;
  const frame = matrixFrame(account.positions, snapshot, config, scenarios, weights, (range) =>
    movesOf(cf, range),
  );
  const { underlyings, uIndex } = frame;
  const nU = underlyings.length;
  const sums = new Float64Array(nU * nS);
  const netDelta = new Float64Array(nU);
  const grossDelta = new Float64Array(nU);
  const counts = new Int32Array(nU);
  const strikeKeys = new Map<string, number>();
  const strikeGroupUnderlying: number[] = [];
  const strikeNet: number[] = [];
  const netPerStrike = config.shortOptionMinimum?.netPerStrike === true;
  const ids = netPerStrike ? opts.strikeIds : undefined;
  let groupOfId: Int32Array | undefined;
  if (ids) {
    let maxId = -1;
    for (let i = 0; i < ids.length; i++) if (ids[i]! > maxId) maxId = ids[i]!;
    groupOfId = new Int32Array(maxId + 1).fill(-1);
  }
  const lookaheadYears = config.lookaheadDays / DAYS_PER_YEAR;
  const columns = opts.columns ? columnMapOf(opts.columns, config) : undefined;
  const positions = account.positions;
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!;
    const u = uIndex.get(p.underlying)!;
    const col =
      opts.unitColumns?.[i] ??
      columnOf(p, snapshot, config, scenarios, underlyings[u]!.moves, lookaheadYears, columns);
    const size = p.size;
    const delta = p.type === 'option' ? size * col.unitDelta : size;
    const d = col.diffs;
    const out = u * nS;
    for (let s = 0; s < nS; s++) sums[out + s]! += size * d[s]!;
    netDelta[u]! += delta;
    grossDelta[u]! += Math.abs(delta);
    counts[u]! += 1;
    if (p.type === 'option') {
      let g: number | undefined;
      if (groupOfId && ids![i]! >= 0) {
        const id = ids![i]!;
        g = groupOfId[id]!;
        if (g < 0) groupOfId[id] = g = strikeGroupUnderlying.length;
      } else if (netPerStrike) {
        const key = opts.strikeKeys?.[i] ?? `${u}|${p.expiryMs}|${p.strike}`;
        g = strikeKeys.get(key);
        if (g === undefined) strikeKeys.set(key, (g = strikeGroupUnderlying.length));
      }
      if (g === undefined || g === strikeGroupUnderlying.length) {
        g = strikeGroupUnderlying.length;
        strikeGroupUnderlying.push(u);
        strikeNet.push(0);
      }
      strikeNet[g]! += size;
    }
  }
  const shell: RiskMatrix = {
    config,
    scenarios,
    weights,
    underlyings,
    positions: [],
    strikeGroupUnderlying: Int32Array.from(strikeGroupUnderlying),
    pnl: new Float64Array(0),
    groups: frame.groups,
    groupOf: frame.groupOf,
    revaluations: 0,
    equity: 0,
  };
  const st: AggregationState = {
    matrix: shell,
    sums,
    netDelta,
    grossDelta,
    strikeNet: Float64Array.from(strikeNet),
    counts,
  };
  const initialMargin = stateInitialMargin(st);
  if (!(initialMargin >= 0) || !Number.isFinite(initialMargin))
    throw new InvariantError(
      `portfolio: initial margin ${initialMargin} is not a finite non-negative number`,
    );
  return { initialMargin, maintenanceMargin: config.maintenanceFraction * initialMargin };
}

/** Each position margined alone under the same configuration, and their sum. */
export function standaloneRequirements(matrix: RiskMatrix): {
  positions: { label: string; initialMargin: number }[];
  sum: number;
} {
  const n = matrix.positions.length;
  const m = new Float64Array(n);
  const positions = matrix.positions.map((p, i) => {
    m.fill(0);
    m[i] = 1;
    return { label: p.label, initialMargin: stateInitialMargin(aggregationState(matrix, m)) };
  });
  return { positions, sum: positions.reduce((a, p) => a + p.initialMargin, 0) };
}
