/**
 * A portfolio-margin book kept between checks, so that a trade in one market costs the scenario
 * sums of that market's underlying only, with (almost) no allocation.
 *
 * The figures cache (figures-cache.ts) holds one per portfolio subaccount (keyed by its
 * PortfolioScopeRows). The book keeps, per account row (the rows of portfolio-scope.ts's
 * `portfolioInputs`, in its order: positions, then non-settlement balances), the inputs it was
 * derived from (market, size, marks), its float size, its priced unit column and its strike
 * group; and per underlying the scenario P&L vector (a Float64Array), net and gross delta.
 *
 * Exactness. The requirement must equal the full recomputation to the unit, and a float sum
 * depends on the order of its terms. So a changed underlying's vector is not patched (old column
 * out, new column in: a few ulps of drift) but re-summed from the cached columns in exactly the
 * order the full path adds them (`portfolioMarginFigures`: from 0, account order, the changed
 * market where the full path sees it: last for a hypothetical trade, as `naiveChange` builds the
 * book; in place for the book as it is). Every other underlying's vector is untouched, which is
 * exact because the full path's per-underlying sums never mix underlyings. The requirement is
 * then `stateInitialMargin` (risk-matrix.ts) on those sums, the same function the full path
 * calls; strike groups are laid out underlying by underlying, which keeps each underlying's own
 * order (the only order its short-contract sum reads).
 *
 * Anything else is a rebuild from `portfolioInputs` (the full path's own rows): a market not yet
 * in the book, a size change of an option not settled linearly (its row is rowOf's to derive),
 * a trade that changes the shared vol of a call/put pair, a change of an
 * underlying's reference price, of marks, balances, clock or configuration, or a position opened
 * or closed in the book as it is. Property-tested against the full evaluation on random command
 * streams (engine/portfolio-cache.prop.test.ts).
 */
import type { ReadonlyEngineState, ReadonlyMarketState, ReadonlySubaccount } from '../model/state.ts';
import { InvariantError, QTY_DECIMALS, toNumber } from '../num/index.ts';
import {
  type AggregationState,
  configFrame,
  type MatrixFrame,
  matrixFrame,
  movesOf,
  type RiskColumn,
  type RiskMatrix,
  stateInitialMargin,
  unitColumnOf,
} from '../portfolio/risk-matrix.ts';
import type { PortfolioMarginConfig } from '../portfolio/scenarios.ts';
import { deribitBookQuote, deribitInitialWithTrade } from './portfolio-deribit-book.ts';
import { type PortfolioScopeRows, portfolioInputs, px, scenarioConfig, toQuote } from './portfolio-scope.ts';
import { assetPricePx8, type PositionLite } from './prices.ts';

const qty = (q9: bigint) => toNumber(q9, QTY_DECIMALS);

interface Book {
  readonly config: PortfolioMarginConfig;
  readonly nowMs: number;
  /** Rows: the first `nPos` are positions (in book order), then balances. */
  readonly n: number;
  readonly nPos: number;
  readonly market: (ReadonlyMarketState | undefined)[];
  /** An option row's underlying market (its mark is the row's `uPx8`). */
  readonly underlyingMarket: (ReadonlyMarketState | undefined)[];
  readonly sizeQ9: bigint[];
  readonly markPx8: bigint[];
  readonly uPx8: bigint[];
  /** Balance rows: the asset, its amount and price, as derived. */
  readonly asset: string[];
  readonly u: Int32Array;
  readonly size: Float64Array;
  readonly col: RiskColumn[];
  readonly isOption: Uint8Array;
  /** The (underlying, expiry, strike) id of an option row (−1: linear). */
  readonly pair: Int32Array;
  /** Rows per pair id (the vol a call and a put share is their mean). */
  readonly pairRows: Int32Array;
  /** Reference price of each underlying (its snapshot spot). */
  readonly spot: Float64Array;
  readonly frame: MatrixFrame;
  readonly shell: RiskMatrix;
  readonly st: AggregationState;
  /** Scratch: strike nets per pair id, the first-appearance order per underlying. */
  readonly netOfPair: Float64Array;
  readonly seen: Int32Array;
  readonly strikeNetAll: Float64Array;
  readonly strikeUAll: Int32Array;
  /** Strike nets per underlying, laid out underlying by underlying: start and count. */
  readonly strikeNetU: Float64Array[];
  readonly strikeCountU: Int32Array;
  /** Scratch: one underlying's vector and strike nets, kept while a hypothetical replaces them. */
  readonly savedSums: Float64Array;
  readonly savedNets: Float64Array;
  /** Scratch of `resize`: the rows whose size changed and their new sizes. */
  readonly changedRow: Int32Array;
  readonly changedQ9: bigint[];
  initialQuote: bigint;
  maintenanceQuote: bigint;
  /** An empty book (no rows): the requirement is 0. */
  readonly empty: boolean;
}

const books = new WeakMap<PortfolioScopeRows, Book>();

/** Is the engine's portfolio model one this book reproduces (the scenario risk matrix)? */
function supported(state: ReadonlyEngineState): boolean {
  const model = state.portfolio?.model as unknown;
  return typeof model === 'object' || model === 'crypto-pm' || model === 'paradex-pm' || model === 'span-16';
}

/** The book of `positions` and `balances`, from the full path's rows (portfolioInputs). */
function rebuild(
  state: ReadonlyEngineState,
  positions: readonly PositionLite[],
  balances: ReadonlyMap<string, bigint>,
  rows: PortfolioScopeRows,
): Book {
  const { account, snapshot, memos } = portfolioInputs(state, positions, undefined, balances, rows);
  const config = scenarioConfig(state.portfolio!);
  const n = account.positions.length;
  const cf = configFrame(config);
  const nS = cf.scenarios.length;
  const frame = matrixFrame(account.positions, snapshot, config, cf.scenarios, cf.weights, (r) =>
    movesOf(cf, r),
  );
  const nU = frame.underlyings.length;
  const market: (ReadonlyMarketState | undefined)[] = [];
  const underlyingMarket: (ReadonlyMarketState | undefined)[] = [];
  const sizeQ9: bigint[] = [];
  const markPx8: bigint[] = [];
  const uPx8: bigint[] = [];
  const asset: string[] = [];
  const u = new Int32Array(n);
  const size = new Float64Array(n);
  const col: RiskColumn[] = [];
  const isOption = new Uint8Array(n);
  const pair = new Int32Array(n).fill(-1);
  const pairIds = new Map<string, number>();
  let nPos = 0;
  while (nPos < n && memos[nPos] !== undefined) nPos++;
  for (let i = 0; i < n; i++) {
    const p = account.positions[i]!;
    const row = memos[i];
    u[i] = frame.uIndex.get(p.underlying)!;
    size[i] = p.size;
    if (row !== undefined) {
      // portfolioFiguresQuote's column rule: a row's column holds while its inputs, vol and
      // configuration do
      const vol = p.type === 'option' ? p.vol! : 0;
      if (row.column === undefined || row.columnVol !== vol || row.config !== config) {
        row.column = unitColumnOf(p, snapshot, config);
        row.columnVol = vol;
        row.config = config;
      }
      col.push(row.column);
      const m = state.markets.get(p.id!)!;
      market.push(m);
      underlyingMarket.push(m.config.option ? state.markets.get(m.config.option.underlying) : undefined);
      sizeQ9.push(row.sizeQ9);
      markPx8.push(row.markPx8);
      uPx8.push(row.uPx8);
      asset.push('');
    } else {
      col.push(unitColumnOf(p, snapshot, config));
      market.push(undefined);
      underlyingMarket.push(undefined);
      sizeQ9.push(0n);
      markPx8.push(0n);
      uPx8.push(0n);
      asset.push(p.id!.slice('balance:'.length));
    }
    if (p.type === 'option') {
      isOption[i] = 1;
      const key = `${u[i]}|${p.expiryMs}|${p.strike}`;
      let id = pairIds.get(key);
      if (id === undefined) pairIds.set(key, (id = pairIds.size));
      pair[i] = id;
    }
  }
  const pairRows = new Int32Array(pairIds.size);
  for (let i = 0; i < n; i++) if (pair[i]! >= 0) pairRows[pair[i]!]! += 1;
  const spot = new Float64Array(nU);
  for (let k = 0; k < nU; k++) spot[k] = frame.underlyings[k]!.spot;
  const st: AggregationState = {
    matrix: undefined as unknown as RiskMatrix,
    sums: new Float64Array(nU * nS),
    netDelta: new Float64Array(nU),
    grossDelta: new Float64Array(nU),
    strikeNet: new Float64Array(0),
    counts: new Int32Array(nU),
  };
  const strikeNetAll = new Float64Array(n);
  const strikeUAll = new Int32Array(n).fill(-1);
  st.strikeNet = strikeNetAll;
  const shell: RiskMatrix = {
    config,
    scenarios: cf.scenarios,
    weights: cf.weights,
    underlyings: frame.underlyings,
    positions: [],
    strikeGroupUnderlying: strikeUAll,
    pnl: new Float64Array(0),
    groups: frame.groups,
    groupOf: frame.groupOf,
    revaluations: 0,
    equity: 0,
  };
  st.matrix = shell;
  const book: Book = {
    config,
    nowMs: snapshot.nowMs,
    n,
    nPos,
    market,
    underlyingMarket,
    sizeQ9,
    markPx8,
    uPx8,
    asset,
    u,
    size,
    col,
    isOption,
    pair,
    pairRows,
    spot,
    frame,
    shell,
    st,
    netOfPair: new Float64Array(pairIds.size),
    seen: new Int32Array(pairIds.size),
    strikeNetAll,
    strikeUAll,
    strikeNetU: Array.from({ length: nU }, () => new Float64Array(n)),
    strikeCountU: new Int32Array(nU),
    savedSums: new Float64Array(nS + 2),
    savedNets: new Float64Array(n),
    changedRow: new Int32Array(n),
    changedQ9: new Array<bigint>(n).fill(0n),
    initialQuote: 0n,
    maintenanceQuote: 0n,
    empty: n === 0,
  };
  for (let k = 0; k < nU; k++) sumUnderlying(book, k, -1, 0, undefined);
  settle(book, state);
  return book;
}

/**
 * Re-sums underlying `k` from the cached columns in the full path's order: the position rows on
 * it except `skip`, then (when `extraSize` is given) row `skip` with that size, then its balance
 * rows. Writes its scenario vector, net and gross delta and strike nets.
 */
function sumUnderlying(
  book: Book,
  k: number,
  skip: number,
  extraSize: number,
  extra: boolean | undefined,
): void {
  const { st } = book;
  const nS = book.shell.scenarios.length;
  const out = k * nS;
  const sums = st.sums;
  for (let s = 0; s < nS; s++) sums[out + s] = 0;
  // accumulated in the typed arrays themselves (no closure, no boxed doubles: no allocation)
  st.netDelta[k] = 0;
  st.grossDelta[k] = 0;
  book.strikeCountU[k] = 0;
  const netPerStrike = book.config.shortOptionMinimum?.netPerStrike === true;
  if (netPerStrike) book.seen.fill(-1);
  for (let i = 0; i < book.nPos; i++)
    if (i !== skip && book.u[i] === k) addRow(book, k, i, book.size[i]!, out, nS, netPerStrike);
  if (extra === true) addRow(book, k, skip, extraSize, out, nS, netPerStrike);
  for (let i = book.nPos; i < book.n; i++)
    if (book.u[i] === k) addRow(book, k, i, book.size[i]!, out, nS, netPerStrike);
}

/** Adds row `i` at size `sz` to underlying `k`'s sums, as portfolioMarginFigures adds a position. */
function addRow(
  book: Book,
  k: number,
  i: number,
  sz: number,
  out: number,
  nS: number,
  netPerStrike: boolean,
): void {
  const st = book.st;
  const sums = st.sums;
  const c = book.col[i]!;
  const d = c.diffs;
  for (let s = 0; s < nS; s++) sums[out + s]! += sz * d[s]!;
  const option = book.isOption[i] === 1;
  const delta = option ? sz * c.unitDelta : sz;
  st.netDelta[k]! += delta;
  st.grossDelta[k]! += Math.abs(delta);
  if (!option) return;
  const nets = book.strikeNetU[k]!;
  let g: number;
  if (netPerStrike) {
    const id = book.pair[i]!;
    g = book.seen[id]!;
    if (g < 0) {
      book.seen[id] = g = book.strikeCountU[k]!++;
      nets[g] = 0;
    }
  } else {
    g = book.strikeCountU[k]!++;
    nets[g] = 0;
  }
  nets[g]! += sz;
}

/**
 * IM (float, quote) from the per-underlying sums. The strike groups are laid out underlying by
 * underlying in arrays of the book's row count; the slots past the last group belong to no
 * underlying (−1), so the short-contract sums read the same groups in the same order as with
 * arrays of exactly that length, and no view is allocated per call.
 */
function requirement(book: Book): number {
  return checked(rawRequirement(book));
}

function checked(im: number): number {
  if (!(im >= 0) || !Number.isFinite(im))
    throw new InvariantError(`portfolio: initial margin ${im} is not a finite non-negative number`);
  return im;
}

function rawRequirement(book: Book): number {
  if (book.empty) return 0;
  let g = 0;
  for (let k = 0; k < book.strikeCountU.length; k++) {
    const nets = book.strikeNetU[k]!;
    for (let j = 0; j < book.strikeCountU[k]!; j++) {
      book.strikeNetAll[g] = nets[j]!;
      book.strikeUAll[g++] = k;
    }
  }
  for (let j = g; j < book.n; j++) {
    book.strikeNetAll[j] = 0;
    book.strikeUAll[j] = -1;
  }
  return stateInitialMargin(book.st);
}

/** The book's own IM and MM, rounded up to quote units as the full path does. */
function settle(book: Book, state: ReadonlyEngineState): void {
  const im = requirement(book);
  book.initialQuote = book.empty ? 0n : toQuote(state, im);
  book.maintenanceQuote = book.empty ? 0n : toQuote(state, book.config.maintenanceFraction * im);
}

/** Does the book still describe these positions and balances (markets, marks, order, clock)? */
function sameInputs(state: ReadonlyEngineState, book: Book, sub: ReadonlySubaccount): boolean {
  const balances = sub.balances;
  if (book.config !== scenarioConfig(state.portfolio!) || book.nowMs !== Math.max(state.timeMs, 1))
    return false;
  let i = 0;
  for (const p of sub.positions.values()) {
    if (p.isolated || p.size === 0n) continue;
    if (i >= book.nPos) return false;
    const m = book.market[i]!;
    // A market reconfigured or a new state drops the figures cache (and this book) anyway; the
    // marks are compared as portfolio-scope.ts's rows compare them, without a lookup per row.
    if (m.config.id !== p.market || m.markPx8 !== book.markPx8[i]) return false;
    const um = book.underlyingMarket[i];
    if (um !== undefined && um.markPx8 !== book.uPx8[i]) return false;
    i++;
  }
  if (i !== book.nPos) return false;
  let j = book.nPos;
  for (const assetId of balances.keys()) {
    // (keys and a lookup, not entries: no [key, value] array per balance)
    if (assetId === state.settlement.id || balances.get(assetId) === 0n) continue;
    if (!state.assets.has(assetId) || assetPricePx8(state, assetId) === undefined) continue;
    // a balance row: same asset in the same place, and its amount and price as derived
    if (j >= book.n || book.asset[j] !== assetId) return false;
    j++;
  }
  if (j !== book.n) return false;
  return balancesUnchanged(state, book, balances);
}

/** Each balance row's amount, price and its underlying's price, as the book derived them. */
const balanceMemo = new WeakMap<Book, (bigint | undefined)[]>();
function balanceInputs(state: ReadonlyEngineState, book: Book, balances: ReadonlyMap<string, bigint>) {
  const out: (bigint | undefined)[] = [];
  for (let j = book.nPos; j < book.n; j++) {
    const a = book.asset[j]!;
    const und = state.assets.get(a)?.yieldBearing?.underlying ?? a;
    out.push(balances.get(a), assetPricePx8(state, a), assetPricePx8(state, und));
  }
  return out;
}
function balancesUnchanged(
  state: ReadonlyEngineState,
  book: Book,
  balances: ReadonlyMap<string, bigint>,
): boolean {
  const memo = balanceMemo.get(book);
  if (memo === undefined) return false;
  let x = 0;
  for (let j = book.nPos; j < book.n; j++) {
    const a = book.asset[j]!;
    const und = state.assets.get(a)?.yieldBearing?.underlying ?? a;
    if (balances.get(a) !== memo[x++]) return false;
    if (assetPricePx8(state, a) !== memo[x++]) return false;
    if (assetPricePx8(state, und) !== memo[x++]) return false;
  }
  return true;
}

function bookFor(state: ReadonlyEngineState, sub: ReadonlySubaccount, rows: PortfolioScopeRows): Book {
  const held = books.get(rows);
  if (held !== undefined && sameInputs(state, held, sub) && resize(state, held, sub)) return held;
  return fresh(state, sub, rows);
}

function fresh(state: ReadonlyEngineState, sub: ReadonlySubaccount, rows: PortfolioScopeRows): Book {
  const positions: PositionLite[] = [];
  for (const p of sub.positions.values()) if (!p.isolated) positions.push(p);
  const balances = sub.balances;
  const b = rebuild(state, positions, balances, rows);
  balanceMemo.set(b, balanceInputs(state, b, balances));
  books.set(rows, b);
  return b;
}

/**
 * Can the row be re-sized here? A linear-settled option or a linear position: rowSize is
 * portfolio-scope.ts rowOf's own formula for those. Any other settlement is rebuilt through rowOf.
 */
function resizable(book: Book, i: number): boolean {
  const terms = book.market[i]?.config.option as { readonly settlement?: string } | undefined;
  return terms === undefined || terms.settlement === undefined || terms.settlement === 'linear';
}

/** Float size of a position row, as portfolio-scope.ts rowOf derives it. */
function rowSize(book: Book, i: number, q9: bigint): number {
  const S = book.spot[book.u[i]!]!;
  return book.isOption[i] === 1 ? (qty(q9) * px(book.uPx8[i]!)) / S : (qty(q9) * px(book.markPx8[i]!)) / S;
}

/**
 * Brings the book to `positions` when only sizes changed (same live markets, same order): the
 * rows re-sized, their underlyings re-summed. False when a changed row is an option sharing its
 * vol with another (the mean would be re-derived: rebuild).
 */
function resize(state: ReadonlyEngineState, book: Book, sub: ReadonlySubaccount): boolean {
  let i = 0;
  let dirty = 0; // bit per underlying (at most 31; more: rebuild)
  let changed = 0;
  // one pass over the positions: the changed rows and their sizes noted, applied once all hold
  for (const p of sub.positions.values()) {
    if (p.isolated || p.size === 0n) continue;
    if (p.size !== book.sizeQ9[i]) {
      if (!resizable(book, i)) return false;
      if (book.isOption[i] === 1 && book.pairRows[book.pair[i]!]! > 1) return false;
      const k = book.u[i]!;
      if (k > 30) return false;
      dirty |= 1 << k;
      book.changedRow[changed] = i;
      book.changedQ9[changed++] = p.size;
    }
    i++;
  }
  if (dirty === 0) return true;
  for (let c = 0; c < changed; c++) {
    const r = book.changedRow[c]!;
    const q9 = book.changedQ9[c]!;
    book.sizeQ9[r] = q9;
    book.size[r] = rowSize(book, r, q9);
  }
  for (let k = 0; k < book.spot.length; k++)
    if ((dirty & (1 << k)) !== 0) sumUnderlying(book, k, -1, 0, undefined);
  settle(book, state);
  return true;
}

/**
 * IM and MM of the subaccount's cross book in quote units: equal to `portfolioFiguresQuote` on its
 * cross positions and balances; kept in `rows`' book (Deribit PM: portfolio-deribit-book.ts's).
 * Undefined when the model is neither (the caller takes the full path).
 */
export function bookFiguresQuote(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  rows: PortfolioScopeRows,
): { initialQuote: bigint; maintenanceQuote: bigint } | undefined {
  if (state.portfolio?.model === 'deribit-pm') return deribitBookQuote(state, sub, rows);
  if (!supported(state)) return undefined;
  const b = bookFor(state, sub, rows);
  return { initialQuote: b.initialQuote, maintenanceQuote: b.maintenanceQuote };
}

/**
 * Initial margin (quote units) of the subaccount's cross book with `market`'s position replaced
 * by `next` and moved last (the book `naiveChange` evaluates), or undefined when that needs the
 * full path (see the header).
 */
export function bookInitialWithTrade(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  rows: PortfolioScopeRows,
  market: string,
  next: PositionLite,
): bigint | undefined {
  if (state.portfolio?.model === 'deribit-pm') return deribitInitialWithTrade(state, sub, rows, market, next);
  if (!supported(state)) return undefined;
  const book = bookFor(state, sub, rows);
  if (book.empty) return undefined;
  let j = -1;
  for (let i = 0; i < book.nPos; i++)
    if (book.market[i]!.config.id === market) {
      j = i;
      break;
    }
  if (j < 0) return undefined; // a market not in the book: its row is derived by the full path
  if (!resizable(book, j)) return undefined;
  const k = book.u[j]!;
  const option = book.isOption[j] === 1;
  const closing = next.size === 0n;
  if (option && book.pairRows[book.pair[j]!]! > (closing ? 1 : 2)) return undefined;
  // The reference price of the underlying in the changed book: its first option's underlying
  // mark, else its first linear market's mark (portfolioInputs), with row j moved last or gone.
  // (no closure, and NaN rather than undefined for "none yet", so no double is boxed: a check
  // allocates nothing here)
  let ref = Number.NaN;
  let refLinear = Number.NaN;
  for (let i = 0; i < book.nPos && Number.isNaN(ref); i++) {
    if (i === j || book.u[i] !== k) continue;
    if (book.isOption[i] === 1) ref = px(book.uPx8[i]!);
    else if (Number.isNaN(refLinear)) refLinear = px(book.markPx8[i]!);
  }
  if (Number.isNaN(ref) && !closing) {
    if (option) ref = px(book.uPx8[j]!);
    else if (Number.isNaN(refLinear)) refLinear = px(book.markPx8[j]!);
  }
  const S = Number.isNaN(ref) ? refLinear : ref;
  if (S !== book.spot[k]) return undefined;
  const size = closing ? 0 : rowSize(book, j, next.size);
  // keep the book's own figures of that underlying, replace them by the changed book's, aggregate,
  // put them back (copies of the same doubles: the book is unchanged)
  const st = book.st;
  const nS = book.savedSums.length - 2;
  const nets = book.strikeNetU[k]!;
  const count = book.strikeCountU[k]!;
  // (element copies into the book's scratch, not subarray views or a try/finally holding
  // doubles: nothing allocated per check)
  const saved = book.savedSums;
  const savedNets = book.savedNets;
  for (let s = 0; s < nS; s++) saved[s] = st.sums[k * nS + s]!;
  for (let g = 0; g < count; g++) savedNets[g] = nets[g]!;
  saved[nS] = st.netDelta[k]!;
  saved[nS + 1] = st.grossDelta[k]!;
  sumUnderlying(book, k, j, size, !closing);
  // only the IM: the check compares it with the collateral (the MM is not read); checked after
  // the book is put back, so a fault leaves it as it was
  const im = rawRequirement(book);
  for (let s = 0; s < nS; s++) st.sums[k * nS + s] = saved[s]!;
  for (let g = 0; g < count; g++) nets[g] = savedNets[g]!;
  book.strikeCountU[k] = count;
  st.netDelta[k] = saved[nS]!;
  st.grossDelta[k] = saved[nS + 1]!;
  return toQuote(state, checked(im));
}
