/**
 * A Deribit PM book (`portfolio.model: 'deribit-pm'`, portfolio-deribit.ts) kept between checks,
 * so that a trade costs the scenario sums of the rows after the traded one, not a fresh valuation
 * of the whole book with an object and two arrays per instrument.
 *
 * The figures cache (figures-cache.ts) holds one per portfolio subaccount, through the same hooks
 * as the scenario-model book (portfolio-book.ts). Per row (the scope's cross positions of nonzero
 * size, in the subaccount's order, as `deribitScopeRequirement` reads them) the book keeps the
 * market, its priced unit vector (portfolio-deribit.ts's memo, as a Float64Array), its size and
 * its Deribit size; and the running sums of the book in that order: after each row, the
 * pre-aggregated vector (standard then extended entries), Σ size·delta and the roll shock.
 *
 * Exactness. The requirement must equal `deribitScopeRequirement` to the unit, and a float sum
 * depends on the order of its terms, so nothing is patched (old row out, new row in: a few ulps
 * of drift). A hypothetical trade in row j (the changed book `naiveChange` evaluates: row j moved
 * last) starts from the running sums before j, adds the rows after j, then row j at its new size:
 * the additions the full path makes, in its order, and nothing else. An accepted fill (row j
 * re-sized in place) recomputes the running sums from j on. The margin is then
 * `deribitBookFigures` (deribit-pm.ts), equal to the bit to `deribitBookMargin`'s on the same sums
 * (property-tested), with the book's index (its first instrument's pair: the pair's first
 * option's underlying mark, else its first delta-one mark) and pair count derived for the
 * changed order. A market not in the book is appended the same way.
 *
 * Anything else is a rebuild: a row's mark, underlying mark, clock, parameters or fallback vol
 * changed (its unit vector would be repriced), a position opened, closed or re-ordered. Nothing
 * here allocates per check once the book is built. Property-tested against the full evaluation
 * on random command streams, linear and coin-settled (engine/portfolio-incremental.prop.test.ts).
 */
import type { ReadonlyEngineState, ReadonlyMarketState, ReadonlySubaccount } from '../model/state.ts';
import { PRICE_DECIMALS, toNumber } from '../num/index.ts';
import {
  type DeribitBookSums,
  type DeribitCurrencyParams,
  type DeribitModelParams,
  type DeribitPairParams,
  deribitBookFigures,
  deribitCurrencyParamsOf,
} from '../portfolio/deribit-pm.ts';
import { type ColumnMemo, deribitParamsOf, deribitSize, toUnits, unitOf } from './portfolio-deribit.ts';
import type { PortfolioScopeRows } from './portfolio-scope.ts';
import type { PositionLite } from './prices.ts';

const px = (px8: bigint) => toNumber(px8, PRICE_DECIMALS);
/** The engine adds neither MMP nor open-orders margin nor a correlation contingency (see portfolio-deribit.ts). */
const NO_ADDS = { correlationContingency: 0, mmpMargin: 0, openOrdersMargin: 0 };

interface DBook {
  readonly params: DeribitModelParams;
  readonly nowMs: number;
  readonly fallbackVol: number;
  readonly cp: DeribitCurrencyParams;
  readonly linear: boolean;
  readonly settlement: string;
  readonly n: number;
  /** Entries of a vector: 3(2N+1) standard, then the extended ones. */
  readonly nV: number;
  readonly market: ReadonlyMarketState[];
  /** An option row's underlying market (its mark is the memo's uPx8). */
  readonly underlyingMarket: (ReadonlyMarketState | undefined)[];
  readonly memo: ColumnMemo[];
  readonly sizeQ9: bigint[];
  /** Deribit size of each row. */
  readonly size: Float64Array;
  readonly isOption: Uint8Array;
  /** Small id of each row's pair (btc_usd …), and the pairs' parameters and row counts. */
  readonly pairId: Int32Array;
  readonly pairIds: Map<string, number>;
  readonly pairParams: DeribitPairParams[];
  readonly pairRows: Int32Array;
  /** Running sums: row r (0…n) holds the sums of rows 0…r−1. */
  readonly prefix: Float64Array;
  readonly deltaPrefix: Float64Array;
  readonly rollPrefix: Float64Array;
  readonly sums: DeribitBookSums;
  readonly out: Float64Array;
  initialQuote: bigint;
  maintenanceQuote: bigint;
}

const books = new WeakMap<PortfolioScopeRows, DBook>();

function rebuild(state: ReadonlyEngineState, sub: ReadonlySubaccount, rows: PortfolioScopeRows): DBook {
  const cfg = state.portfolio!;
  const params = deribitParamsOf(cfg);
  const nowMs = Math.max(state.timeMs, 1);
  const market: ReadonlyMarketState[] = [];
  const underlyingMarket: (ReadonlyMarketState | undefined)[] = [];
  const memo: ColumnMemo[] = [];
  const sizeQ9: bigint[] = [];
  for (const p of sub.positions.values()) {
    if (p.isolated || p.size === 0n) continue;
    const m = state.markets.get(p.market)!;
    market.push(m);
    underlyingMarket.push(m.config.option ? state.markets.get(m.config.option.underlying) : undefined);
    memo.push(unitOf(state, m, params, nowMs, undefined));
    sizeQ9.push(p.size);
  }
  const n = market.length;
  const nV = (2 * params.general.buckets_count + 1) * 3 + (memo[0]?.unit.extended.length ?? 0);
  const linear = memo.some((c) => c.instrument.linear);
  const settlement = memo[0]?.instrument.settlement ?? '';
  const pairIds = new Map<string, number>();
  const pairParams: DeribitPairParams[] = [];
  const pairId = new Int32Array(n);
  const isOption = new Uint8Array(n);
  const size = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const pair = memo[i]!.instrument.pair;
    let id = pairIds.get(pair);
    if (id === undefined) {
      pairIds.set(pair, (id = pairIds.size));
      pairParams.push(params.currency_pair[pair]!);
    }
    pairId[i] = id;
    isOption[i] = market[i]!.config.option ? 1 : 0;
    size[i] = deribitSize(market[i]!.config, sizeQ9[i]!, memo[i]!.markPx8);
  }
  const pairRows = new Int32Array(pairIds.size + 1);
  for (let i = 0; i < n; i++) pairRows[pairId[i]!]! += 1;
  const book: DBook = {
    params,
    nowMs,
    fallbackVol: cfg.fallbackVol,
    cp:
      n === 0
        ? (undefined as unknown as DeribitCurrencyParams)
        : deribitCurrencyParamsOf(params, settlement, linear),
    linear,
    settlement,
    n,
    nV,
    market,
    underlyingMarket,
    memo,
    sizeQ9,
    size,
    isOption,
    pairId,
    pairIds,
    pairParams,
    pairRows,
    prefix: new Float64Array((n + 1) * nV),
    deltaPrefix: new Float64Array(n + 1),
    rollPrefix: new Float64Array(n + 1),
    sums: { pre: new Float64Array(nV), roll: 0, deltaTotal: 0, linear, index0: 1, singlePair: undefined },
    out: new Float64Array(2),
    initialQuote: 0n,
    maintenanceQuote: 0n,
  };
  runningFrom(book, 0);
  settle(state, book);
  books.set(rows, book);
  return book;
}

/** Adds a row (its unit vector at Deribit size `sz`) to the sums in `acc` at `at`; returns nothing. */
function addVector(acc: Float64Array, at: number, c: ColumnMemo, sz: number, nV: number): void {
  const u = c.flat;
  for (let s = 0; s < nV; s++) acc[at + s]! += sz * u[s]!;
}

/** The roll shock term of a row, as deribitBookMargin adds it (0 for an option). */
function rollOf(book: DBook, c: ColumnMemo, sz: number): number {
  if (c.instrument.kind === 'option') return 0;
  const cp = book.cp;
  const rate = Math.max(cp.annualised_move_risk * c.timeYears, cp.min_annualised_move);
  return Math.abs(sz) * rate * (c.instrument.linear ? px(c.markPx8) : 1);
}

/** Recomputes the running sums after rows from…n−1 (rows before `from` unchanged). */
function runningFrom(book: DBook, from: number): void {
  const { nV, prefix } = book;
  for (let r = from; r < book.n; r++) {
    const c = book.memo[r]!;
    const sz = book.size[r]!;
    const at = (r + 1) * nV;
    for (let s = 0; s < nV; s++) prefix[at + s] = prefix[r * nV + s]!;
    addVector(prefix, at, c, sz, nV);
    book.deltaPrefix[r + 1] = book.deltaPrefix[r]! + sz * c.delta;
    book.rollPrefix[r + 1] = book.rollPrefix[r]! + rollOf(book, c, sz);
  }
}

/**
 * The index of the pair of the book's first instrument, in the order: rows except `skip`, then
 * `extra` (a row index, `skip` itself at a new size, or −1: none; `extraMemo` when it is not in the
 * book). The pair's first option's underlying mark, else its first delta-one mark.
 */
function index0Of(book: DBook, skip: number, extraMemo: ColumnMemo | undefined, extraPair: number): number {
  let first = -1;
  for (let i = 0; i < book.n; i++)
    if (i !== skip) {
      first = i;
      break;
    }
  const pair = first >= 0 ? book.pairId[first]! : extraPair;
  let linearMark: number | undefined;
  for (let i = 0; i < book.n; i++) {
    if (i === skip || book.pairId[i] !== pair) continue;
    const c = book.memo[i]!;
    if (book.isOption[i] === 1) return px(c.uPx8);
    linearMark ??= px(c.markPx8);
  }
  if (extraMemo !== undefined && extraPair === pair) {
    if (extraMemo.instrument.kind === 'option') return px(extraMemo.uPx8);
    linearMark ??= px(extraMemo.markPx8);
  }
  return linearMark ?? 1;
}

/** Writes IM and MM (book units) of the sums in `book.sums` into `book.out`. */
function margin(book: DBook, index0: number, pairs: number, firstPair: number): void {
  const s = book.sums;
  s.index0 = index0;
  s.singlePair = pairs === 1 ? book.pairParams[firstPair] : undefined;
  deribitBookFigures(book.params, book.cp, s, NO_ADDS, book.out);
}

function settle(state: ReadonlyEngineState, book: DBook): void {
  if (book.n === 0) {
    book.initialQuote = book.maintenanceQuote = 0n;
    return;
  }
  const { nV, n } = book;
  const pre = book.sums.pre;
  for (let s = 0; s < nV; s++) pre[s] = book.prefix[n * nV + s]!;
  book.sums.deltaTotal = book.deltaPrefix[n]!;
  book.sums.roll = book.rollPrefix[n]!;
  margin(book, index0Of(book, -1, undefined, -1), book.pairIds.size, book.pairId[0]!);
  book.initialQuote = toUnits(state, book.out[0]!);
  book.maintenanceQuote = toUnits(state, book.out[1]!);
}

/** Do the rows still hold: same markets in the same order, unit vectors priced at today's inputs? */
function sameRows(state: ReadonlyEngineState, book: DBook, sub: ReadonlySubaccount): boolean {
  const cfg = state.portfolio!;
  if (book.params !== deribitParamsOf(cfg) || book.nowMs !== Math.max(state.timeMs, 1)) return false;
  if (book.fallbackVol !== cfg.fallbackVol) return false;
  let i = 0;
  for (const p of sub.positions.values()) {
    if (p.isolated || p.size === 0n) continue;
    if (i >= book.n) return false;
    const m = book.market[i]!;
    if (m.config.id !== p.market) return false;
    const c = book.memo[i]!;
    if (m.markPx8 !== c.markPx8) return false;
    const um = book.underlyingMarket[i];
    if (um !== undefined && um.markPx8 !== c.uPx8) return false;
    i++;
  }
  return i === book.n;
}

/** Re-sizes changed rows in place and recomputes the running sums from the first of them. */
function resize(state: ReadonlyEngineState, book: DBook, sub: ReadonlySubaccount): void {
  let i = 0;
  let first = -1;
  for (const p of sub.positions.values()) {
    if (p.isolated || p.size === 0n) continue;
    if (p.size !== book.sizeQ9[i]) {
      if (first < 0) first = i;
      book.sizeQ9[i] = p.size;
      book.size[i] = deribitSize(book.market[i]!.config, p.size, book.memo[i]!.markPx8);
    }
    i++;
  }
  if (first < 0) return;
  runningFrom(book, first);
  settle(state, book);
}

function bookFor(state: ReadonlyEngineState, sub: ReadonlySubaccount, rows: PortfolioScopeRows): DBook {
  const held = books.get(rows);
  if (held !== undefined && sameRows(state, held, sub)) {
    resize(state, held, sub);
    return held;
  }
  return rebuild(state, sub, rows);
}

/** IM and MM (settlement units) of the subaccount's cross book: `deribitScopeRequirement`'s. */
export function deribitBookQuote(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  rows: PortfolioScopeRows,
): { initialQuote: bigint; maintenanceQuote: bigint } {
  const b = bookFor(state, sub, rows);
  return { initialQuote: b.initialQuote, maintenanceQuote: b.maintenanceQuote };
}

/**
 * IM (settlement units) of the cross book with `market`'s position replaced by `next` and moved
 * last (the book `naiveChange` evaluates): `deribitScopeRequirement(…).initialQuote` of it.
 * Undefined when the full path must decide (a market of another settlement currency).
 */
export function deribitInitialWithTrade(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  rows: PortfolioScopeRows,
  market: string,
  next: PositionLite,
): bigint | undefined {
  const im = deribitTradeMargin(state, sub, rows, market, next);
  return im === undefined ? undefined : toUnits(state, im);
}

/**
 * The float IM (book units) behind `deribitInitialWithTrade`: `deribitScopeRequirement`'s
 * `detail.initialMargin` of the changed book, to the bit (0 for an empty one), or undefined.
 */
export function deribitTradeMargin(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  rows: PortfolioScopeRows,
  market: string,
  next: PositionLite,
): number | undefined {
  const book = bookFor(state, sub, rows);
  const { n, nV } = book;
  let j = -1;
  for (let i = 0; i < n; i++)
    if (book.market[i]!.config.id === market) {
      j = i;
      break;
    }
  const adding = next.size !== 0n;
  let c: ColumnMemo | undefined;
  let pair = -1;
  if (adding) {
    if (j >= 0) {
      c = book.memo[j]!;
      pair = book.pairId[j]!;
    } else {
      const m = state.markets.get(market)!;
      c = unitOf(state, m, book.params, book.nowMs, undefined);
      pair = book.pairIds.get(c.instrument.pair) ?? book.pairIds.size;
    }
    if (n > 0 && (c.instrument.settlement !== book.settlement || c.instrument.linear !== book.linear))
      return undefined;
  }
  const columns = n - (j >= 0 ? 1 : 0) + (adding ? 1 : 0);
  if (columns === 0) return 0;
  if (n === 0) return undefined; // the book's currency would be the new row's: the full path's
  // the sums of rows 0…j−1, the rows after j, then row j at its new size (the full path's order)
  const start = j >= 0 ? j : n;
  const s = book.sums;
  const pre = s.pre;
  for (let x = 0; x < nV; x++) pre[x] = book.prefix[start * nV + x]!;
  let delta = book.deltaPrefix[start]!;
  let roll = book.rollPrefix[start]!;
  for (let i = start + 1; i < n; i++) {
    const ci = book.memo[i]!;
    const sz = book.size[i]!;
    addVector(pre, 0, ci, sz, nV);
    delta += sz * ci.delta;
    roll += rollOf(book, ci, sz);
  }
  if (adding) {
    const sz = deribitSize(state.markets.get(market)!.config, next.size, c!.markPx8);
    addVector(pre, 0, c!, sz, nV);
    delta += sz * c!.delta;
    roll += rollOf(book, c!, sz);
  }
  s.deltaTotal = delta;
  s.roll = roll;
  // pairs after the change (row j out, the new row in), and the first instrument's pair
  let pairs = book.pairIds.size;
  if (j >= 0 && book.pairRows[book.pairId[j]!] === 1) pairs -= 1;
  if (adding) {
    const others = book.pairRows[pair]! - (j >= 0 && book.pairId[j] === pair ? 1 : 0);
    if (others === 0) pairs += 1;
  }
  const firstPair = j === 0 ? (n > 1 ? book.pairId[1]! : pair) : book.pairId[0]!;
  margin(book, index0Of(book, j, adding ? c : undefined, pair), pairs, firstPair);
  return book.out[0]!;
}

/**
 * The sums the last call on `rows`' book aggregated (its own, or a hypothetical trade's): for the
 * property test, which compares them with the full path's pre-aggregated vectors bit for bit.
 */
export function deribitKeptSums(rows: PortfolioScopeRows): Readonly<DeribitBookSums> | undefined {
  return books.get(rows)?.sums;
}
