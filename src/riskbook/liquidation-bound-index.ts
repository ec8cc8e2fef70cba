/**
 * Liquidation bound index (a CandidateFinder, core/keeper/finder.ts): after a price tick, the
 * exact list of liquidatable scopes while touching only the scopes that can have crossed.
 *
 * It sits on the float risk book (./riskbook.ts), whose screen never misses a liquidatable
 * scope, and keeps the book at a *baseline*: the marks and asset prices of its last full
 * re-mark (`rebase`). For each scope it stores the **critical move** c: the smallest relative
 * price move (every mark and collateral price moving by at most the fraction δ from the
 * baseline) that can bring the screen's headroom h = equity − (MM × (1 + tolerance) + ε) below
 * zero. With S the scope's sensitivity (Σ |size| × mark × (1 + (1 + tolerance) × MM ratio)
 * over its positions + Σ |weighted balance| × price over its non-settlement collateral), the
 * headroom at any prices within δ of the baseline is at least h − S × δ, so
 *
 *     c = h / S   (capped by the move that takes a bracket position past its proven cap),
 *
 * and a scope with c > δ is not a screen candidate, hence (the screen has no false negatives)
 * not liquidatable. Scopes whose only price input is one market (one position, settlement
 * collateral only: isolated scopes and single-position cross scopes) are grouped per market and
 * use that market's own move — this part is the classic liquidation-price index: ordering by c
 * orders them by distance to their liquidation price. Every other scope uses the largest move
 * of any market or asset. Scopes with a NaN or negative headroom have c = −∞ and are looked at
 * every tick.
 *
 * A tick then reads the current marks, takes δ per group, and walks the scopes with c ≤ δ
 * (geometric buckets of c: a walk costs the answer plus a few percent). The walk does not
 * re-read the scopes' slots: at build time each scope gets a **row**, stored in walk order so
 * the walk streams it — its baseline headroom and one signed sensitivity per price it reads
 * (per slot: size·mark − (1 + tolerance)·|size|·mark·MM ratio; per collateral column: weighted
 * balance × price). Below any bracket cap the screen's equity and MM are both linear in the
 * marks at a fixed ratio, so headroom(δ) = h + Σ S_m δ_m, with the *signed* move of each
 * market: a long is pushed by a fall only, a hedged book by the difference of its legs'
 * moves. A scope whose row stays above a relative float slack (1e-9 of the magnitudes the
 * screen adds up) is not a screen candidate; the rest are confirmed exactly — the only thing
 * that decides liquidatable. Each row also holds its scope's exact confirmation inputs (per
 * position the size in qty9 and Number(entry value), per collateral asset Number(balance) ×
 * Number(maintenance weight), the settlement cash, the subaccount's ordinal), so a candidate is
 * decided while the walk is on its row, by the certified float decision
 * (./certified-maintenance.ts: the integer formulas in doubles with a proven error bound),
 * without reading the subaccount or the book. Only a candidate that decision cannot settle
 * (within a few quote units of the line, or a case it does not model) goes to the book
 * (`RiskBook.confirmKeyed`: its own columns, then the subaccount and the integer figures).
 * The inputs are copies; they are trusted only in a row no event has touched since the build
 * (an event makes the row stale, below). Scopes whose row cannot be trusted are re-screened from their slots
 * (`RiskBook.headroomAt`): a bracket slot that may have passed its cap (c's cap move ≤ the
 * largest mark rise), a non-finite figure (no mark, exact-only markets), a row made stale by
 * an event.
 *
 * Events: the book re-reads every subaccount an event touches (trades, transfers, funding,
 * configuration — `touchedSubaccounts`) at the baseline marks, and the index keeps those scopes
 * on an overflow list screened every tick until the next rebuild (their c is not needed until
 * then: the build computes every c afresh). Price events need nothing: a tick reads the marks
 * from the state.
 *
 * Rebase: as prices wander from the baseline the walked prefix grows; after a tick that walked
 * more than `autoRebaseAbove` scopes the index re-marks the book and recomputes every c (a
 * streaming pass over the slot columns; measured in bench block h as `rebase_1m_ms`).
 *
 * @example
 * const index = new LiquidationBoundIndex(engine); // after the population is loaded
 * engine.executeOrThrow({ type: 'prices', timeMs, marks: { 'BTC-PERP': '57000' } });
 * const liquidatable = index.liquidatable(engine.state); // exact, same set as engine.liquidatable()
 */
import type { EngineEvent } from '../core/engine/events.ts';
import type { CandidateFinder, EventSource } from '../core/keeper/finder.ts';
import type { ReadonlyEngineState } from '../core/model/state.ts';
import { type Alloc, Arena, BUILD_SHARED, PLAIN_ALLOC } from './arena.ts';
import {
  CertifiedMaintenance,
  type Decision,
  LIQUIDATABLE,
  NOT_LIQUIDATABLE,
  UNSURE,
} from './certified-maintenance.ts';
import { grown } from './grow.ts';
import { type ColumnInputs, type Liquidatable, RiskBook, type RiskBookOptions } from './riskbook.ts';

export interface LiquidationBoundIndexOptions extends RiskBookOptions {
  /** Relative slack on MM of the float screen (fraction, default 0.02; see RiskBook.candidates). */
  readonly tolerance?: number;
  /**
   * Rebase after a tick that walked more than this many scopes (default max(10,000, 1/20 of
   * the scopes)); 0 or Infinity: only when `rebase()` is called.
   */
  readonly autoRebaseAbove?: number;
  /**
   * Decide candidates from their rows' exact inputs during the walk (default true); false hands
   * every candidate to the book (`RiskBook.confirmScopes`), for comparisons.
   */
  readonly decideFromRows?: boolean;
}

/** What the last tick did. */
export interface BoundTickStats {
  /** Scopes walked: c ≤ δ of their group (linear bound evaluated), plus the overflow list. */
  examined: number;
  /** Of those, scopes whose float screen was recomputed (the linear bound came within its float slack of zero, a capped or non-finite scope, or a changed one). */
  screened: number;
  /** Screen candidates confirmed with the exact figures. */
  confirmed: number;
  /** Of those, decided from their rows' exact inputs (the certified float decision), without the book or the subaccount. */
  decidedFromRows: number;
  /** Exactly liquidatable scopes returned. */
  liquidatable: number;
  /** Largest relative move of any mark or asset price since the baseline. */
  maxMove: number;
  /** Whether the tick rebased the index afterwards. */
  rebased: boolean;
}

/** Critical moves below MIN_C share bucket 1; bucket 0 holds c ≤ 0 (and NaN). */
const MIN_C = 1e-5;
const GROWTH = 1.04;
const BUCKETS = 512;
const LOG_GROWTH = Math.log(GROWTH);

/**
 * A term's column (a market, or markets + an asset column). Int16 while the columns fit, as they
 * do on any venue so far: at a million accounts × 4 positions that is 8 MB less than Int32.
 */
type ColumnIndex = Int16Array | Int32Array;

/** Whether the book's term columns fit an Int16 column index. */
function narrowColumns(book: RiskBook): boolean {
  return book.marketIds().length + book.assetColumns().length <= 0x7fff;
}

function bucketOf(c: number): number {
  if (!(c > 0)) return 0;
  if (c <= MIN_C) return 1;
  return Math.min(BUCKETS - 1, 2 + Math.floor(Math.log(c / MIN_C) / LOG_GROWTH));
}

/** c from a scope's bound, with a margin for float rounding of h and S (relative 1e-9). */
function criticalMove(headroom: number, sensitivity: number, capMove: number): number {
  let c = headroom / sensitivity;
  if (Number.isNaN(c)) return Number.NEGATIVE_INFINITY;
  c = c - Math.abs(c) * 1e-9 - 1e-9;
  if (!(capMove >= c)) c = Number.isNaN(capMove) ? Number.NEGATIVE_INFINITY : capMove - 1e-9;
  return c;
}

export class LiquidationBoundIndex implements CandidateFinder {
  readonly name = 'liquidation-bound-index';
  readonly book: RiskBook;
  private readonly tolerance: number;
  private readonly autoRebaseAbove: number | undefined;
  private readonly decideFromRows: boolean;

  /** Tick stamp per scope, to visit a scope once per tick. */
  private stamp = new Uint32Array(0);
  private tick = 0;
  /** Groups at the last build: per market, then the multi-market group last. */
  private groups = 0;
  /** CSR of scope ids per (group, bucket). */
  private offsets: Int32Array = new Int32Array(0);
  private ids: Int32Array = new Int32Array(0);
  /** Scopes refreshed since the last build (their bucket entry may be stale). */
  private overflow: number[] = [];
  private inOverflow = new Uint8Array(0);
  /**
   * Rows in walk order (row i is scope ids[i]): terms rowStart[i] .. rowStart[i + 1] − 1 of
   * (rowCol, rowVal), the baseline headroom, the float slack scale and the cap move (−∞: the
   * scope is re-screened whenever its bucket is walked). rowOf: scope → row (−1: none).
   */
  private rowStart: Int32Array = new Int32Array(1);
  private rowCol: ColumnIndex = new Int16Array(0);
  private rowVal: Float64Array = new Float64Array(0);
  private rowH0: Float64Array = new Float64Array(0);
  private rowSlack: Float64Array = new Float64Array(0);
  private rowCap: Float64Array = new Float64Array(0);
  private rowOf: Int32Array = new Int32Array(0);
  /**
   * The exact inputs of each row's certified decision, next to its terms (./riskbook.ts
   * `linearTerms`, `columnScopeInputs`): per term the size in qty9 and Number(entry value) of a
   * position, or Number(balance) × Number(weight) of a collateral asset; per row the settlement
   * cash (NaN: decide from the book) and ordinal × 2 + (1 for cross), the candidate's sort key.
   * A stale row (rowCap −∞) is never decided from them.
   */
  private rowSize: Float64Array = new Float64Array(0);
  private rowEntry: Float64Array = new Float64Array(0);
  private rowCash: Float64Array = new Float64Array(0);
  private rowOrdKind: Int32Array = new Int32Array(0);
  private readonly certified = new CertifiedMaintenance();

  readonly stats: BoundTickStats = {
    examined: 0,
    screened: 0,
    confirmed: 0,
    decidedFromRows: 0,
    liquidatable: 0,
    maxMove: 0,
    rebased: false,
  };

  constructor(
    private readonly engine: EventSource,
    opts: LiquidationBoundIndexOptions = {},
  ) {
    this.book = RiskBook.fromState(engine.state, opts);
    this.tolerance = opts.tolerance ?? 0.02;
    this.autoRebaseAbove = opts.autoRebaseAbove;
    this.decideFromRows = opts.decideFromRows !== false;
    this.build();
    engine.onEvents((events) => this.observe(events));
  }

  /** Re-reads the subaccounts the events touched; prices are read at the next tick. */
  observe(events: readonly EngineEvent[]): void {
    const touched = this.book.touchedSubaccounts(events);
    if (touched.size === 0) return;
    const state = this.engine.state;
    // The scopes before the refresh too: one it releases must not keep a fresh row (the walk
    // decides fresh rows without asking the book whether their scope still exists).
    const before: number[] = [];
    for (const key of touched) for (const s of this.book.scopesOf(key)) before.push(s);
    this.book.refresh(state, touched);
    this.ensureCapacity(this.book.scopeHigh);
    for (const s of before) this.rebound(s);
    for (const key of touched) for (const s of this.book.scopesOf(key)) this.rebound(s);
    if (this.overflow.length > Math.max(4096, this.book.scopeHigh / 8)) this.build();
  }

  /** Re-marks the book at the current prices and recomputes every scope's critical move. */
  rebase(state: ReadonlyEngineState = this.engine.state): void {
    this.book.remarkAll(state);
    this.build();
  }

  /** CandidateFinder: the exactly liquidatable scopes, in the engine's order. */
  liquidatable(state: ReadonlyEngineState): Liquidatable[] {
    if (state !== this.engine.state) throw new Error('liquidation bound index: state of another engine');
    const book = this.book;
    const base = book.bookMarks();
    const marks = book.stateMarks(state);
    const baseAssets = book.bookAssetPrices();
    const assets = book.stateAssetPrices(state);
    const moveOf = (now: number, then: number): number => {
      if (Number.isNaN(then)) return 0; // scopes on an unmarked market have a NaN headroom: c = −∞
      if (then === 0) return now === 0 ? 0 : Number.POSITIVE_INFINITY;
      const d = now / then - 1;
      return Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
    };
    // Signed relative move per linear-term column: markets, then asset columns.
    const nm = marks.length;
    const delta = new Float64Array(nm + assets.length);
    const marketMove = new Float64Array(nm);
    let maxMove = 0;
    let maxRise = 0;
    let degenerate = false;
    for (let m = 0; m < nm; m++) {
      const d = moveOf(marks[m]!, base[m]!);
      delta[m] = d;
      marketMove[m] = Math.abs(d);
      maxMove = Math.max(maxMove, Math.abs(d));
      maxRise = Math.max(maxRise, d);
      if (!Number.isFinite(d)) degenerate = true;
    }
    for (let a = 0; a < assets.length; a++) {
      if (!book.assetUsed(a)) continue;
      const d = moveOf(assets[a]!, baseAssets[a]!);
      delta[nm + a] = d;
      maxMove = Math.max(maxMove, Math.abs(d));
      if (!Number.isFinite(d)) degenerate = true;
    }
    const deltaOf = (g: number): number => (g >= 0 && g < nm ? marketMove[g]! : maxMove);
    // A linear bound within this of zero is re-screened: it covers the float rounding of the
    // bound and of the screen (relative 2^-52 per operation) many times over.
    const slack = 1e-9 * (1 + maxMove);

    const tick = ++this.tick;
    const stamp = this.stamp;
    const candidates: number[] = [];
    // Candidates of fresh rows decided from their exact inputs: liquidatable ones as confirmation keys.
    // Read the tick's market models and prices for the row decisions at the first candidate.
    let columns: boolean | undefined = this.decideFromRows ? undefined : false;
    const sure: number[] = [];
    let decidedNot = 0;
    let examined = 0;
    let screened = 0;
    const screen = (s: number) => {
      if (stamp[s] === tick) return;
      stamp[s] = tick;
      if (!book.hasPositions(s)) return;
      screened++;
      if (!(book.headroomAt(s, this.tolerance, marks, assets) >= 0)) candidates.push(s);
    };
    // Scopes changed by events since the build: their rows are stale, the book's slots are not.
    for (const s of this.overflow) {
      examined++;
      screen(s);
    }
    const { ids, rowStart, rowCol, rowVal, rowH0, rowSlack, rowCap } = this;
    for (let g = 0; g < this.groups; g++) {
      const last = bucketOf(deltaOf(g === this.groups - 1 ? -1 : g));
      const from = this.offsets[g * (BUCKETS + 1)]!;
      const to = this.offsets[g * (BUCKETS + 1) + last + 1]!;
      examined += to - from;
      for (let i = from; i < to; i++) {
        // A capped slot that may have passed its cap, a non-finite figure or a stale row: the screen decides.
        if (degenerate || !(rowCap[i]! > maxRise)) {
          screen(ids[i]!);
          continue;
        }
        let h = rowH0[i]!;
        const end = rowStart[i + 1]!;
        for (let j = rowStart[i]!; j < end; j++) h += rowVal[j]! * delta[rowCol[j]!]!;
        // The row is the scope's screen headroom at these prices (up to its float slack): a
        // candidate without re-reading its slots. Within the slack of zero it may be a false
        // candidate, which only costs its exact check.
        if (!(h > rowSlack[i]! * slack)) {
          // A fresh row's scope is live with positions: an event that releases a scope, or
          // empties it, makes its row stale (observe).
          const s = ids[i]!;
          screened++;
          // Its exact inputs are read while the walk is on its row: no subaccount, no book column.
          columns ??= this.certified.beginColumns(state, book.marketIds(), book.assetColumns());
          const d = columns ? this.decideRow(i, nm) : UNSURE;
          if (d === NOT_LIQUIDATABLE) decidedNot++;
          else if (d === LIQUIDATABLE) sure.push(book.confirmKey(s, true, this.rowOrdKind[i]!));
          else candidates.push(s);
        }
      }
    }
    let out: Liquidatable[];
    if (columns !== false) {
      const keys = new Float64Array(sure.length + candidates.length);
      keys.set(sure);
      let n = sure.length;
      for (const s of candidates) if (book.isLive(s)) keys[n++] = book.confirmKey(s, false);
      out = book.confirmKeyed(state, keys.subarray(0, n));
    } else out = book.confirmScopes(state, candidates);
    const limit = this.autoRebaseAbove ?? Math.max(10_000, book.scopeHigh / 20);
    const rebased = limit > 0 && examined > limit;
    if (rebased) this.rebase(state);
    Object.assign(this.stats, {
      examined,
      screened,
      confirmed: candidates.length + sure.length + decidedNot,
      decidedFromRows: sure.length + decidedNot,
      liquidatable: out.length,
      maxMove,
      rebased,
    } satisfies BoundTickStats);
    return out;
  }

  /**
   * Every row a tick may decide from its exact inputs (a live scope not changed since the
   * build, with inputs), the inputs as the row holds them and the decision they give at the
   * state's prices. For the property test that checks them against the state after every
   * command.
   */
  rowInputs(state: ReadonlyEngineState): (ColumnInputs & { decision: Decision })[] {
    const book = this.book;
    const markets = book.marketIds();
    const assets = book.assetColumns();
    const nm = markets.length;
    const columns = this.certified.beginColumns(state, markets, assets);
    const out: (ColumnInputs & { decision: Decision })[] = [];
    for (let i = 0; i < this.ids.length; i++) {
      const s = this.ids[i]!;
      // Not `hasPositions`: a fresh row must belong to a live scope with positions, and the test checks it.
      if (this.inOverflow[s] === 1 || Number.isNaN(this.rowCash[i]!)) continue;
      const { key, scope } = book.candidateOf(s);
      const collateral: { asset: string; value: number }[] = [];
      const positions: { market: string; size: number; entry: number }[] = [];
      for (let j = this.rowStart[i]!; j < this.rowStart[i + 1]!; j++) {
        const col = this.rowCol[j]!;
        if (col < nm)
          positions.push({ market: markets[col]!, size: this.rowSize[j]!, entry: this.rowEntry[j]! });
        else collateral.push({ asset: assets[col - nm]!, value: this.rowSize[j]! });
      }
      const decision = columns ? this.decideRow(i, nm) : UNSURE;
      out.push({ key, scope, cash: this.rowCash[i]!, collateral, positions, decision });
    }
    return out;
  }

  // ---- internals ----

  /** The certified decision of row i from its exact inputs (after `beginColumns`); nm: markets. */
  private decideRow(i: number, nm: number): Decision {
    const cash = this.rowCash[i]!;
    if (Number.isNaN(cash)) return UNSURE;
    const c = this.certified;
    c.columnScope(cash);
    const { rowCol, rowSize, rowEntry } = this;
    const end = this.rowStart[i + 1]!;
    for (let j = this.rowStart[i]!; j < end; j++) {
      const col = rowCol[j]!;
      const ok =
        col < nm
          ? c.columnPosition(col, rowSize[j]!, rowEntry[j]!)
          : c.columnCollateral(col - nm, rowSize[j]!);
      if (!ok) return UNSURE;
    }
    return c.columnDecision();
  }

  /**
   * Critical moves of every scope from the book's figures, then the buckets and their rows.
   * The arrays the build keeps and its temporaries come from two allocations made back to back
   * (./arena.ts), on SharedArrayBuffers, which V8 does not count as external memory: no full mark
   * of the whole state heap (at a million accounts ~0.7–2 s, freeing almost nothing), where ~25
   * separate plain arrays set off one per 64 MB and two plain ones still set off one.
   */
  private build(): void {
    const book = this.book;
    const n = book.scopeHigh;
    this.ensureCapacity(n);
    // Sizes first: rows are the live scopes (rebuildBuckets), their terms `termCounts`.
    const terms = new Int32Array(n);
    book.termCounts(terms);
    let rows = 0;
    let total = 0;
    for (let s = 0; s < n; s++) {
      if (!book.hasPositions(s)) continue;
      rows++;
      total += terms[s]!;
    }
    const offsetCount = (book.marketIds().length + 1) * (BUCKETS + 1) + 1;
    const f64 = (k: number) => Arena.size(8 * k);
    const i32 = (k: number) => Arena.size(4 * k);
    const narrow = narrowColumns(book);
    // On SharedArrayBuffers (see ./arena.ts BUILD_SHARED): no full mark of the heap for them.
    const keep = new Arena(
      PLAIN_ALLOC,
      BUILD_SHARED,
      i32(offsetCount) +
        i32(rows) +
        i32(rows + 1) +
        i32(n) +
        (narrow ? Arena.size(2 * total) : i32(total)) +
        3 * f64(total) +
        i32(rows) +
        4 * f64(rows),
    );
    const scratch = new Arena(PLAIN_ALLOC, BUILD_SHARED, 6 * f64(n) + i32(n));
    const headroom = scratch.f64(n);
    const sensitivity = scratch.f64(n);
    const capMove = scratch.f64(n);
    const single = scratch.i32(n);
    book.bounds(this.tolerance, headroom, sensitivity, capMove, single);
    // Each scope's (group, bucket) of its critical move, in place of `single`: only the
    // counting sort reads them (a refreshed scope goes to the overflow list until the next build).
    const markets = book.marketIds().length;
    for (let s = 0; s < n; s++) {
      const g = single[s]!;
      const c = criticalMove(headroom[s]!, sensitivity[s]!, capMove[s]!);
      single[s] = (g >= 0 && g < markets ? g : markets) * (BUCKETS + 1) + bucketOf(c);
    }
    this.rebuildBuckets(keep, single);
    // sensitivity and single are dead now: the rows' magnitudes and cursors reuse them.
    this.buildRows(keep, scratch, terms, headroom, capMove, total, sensitivity, single);
    keep.close();
    scratch.close();
  }

  /**
   * The rows a tick streams, in walk order (the order of `ids`): per row the baseline headroom,
   * the cap move (−∞: always re-screen), the float slack scale and the scope's linear terms.
   * `keep` and `scratch` are sized by `build` (terms: `termCounts`; total: their sum over rows);
   * `magnitude` and `cursor` are scratch of n, every entry overwritten here.
   */
  private buildRows(
    keep: Arena,
    scratch: Alloc,
    terms: Int32Array,
    headroom: Float64Array,
    capMove: Float64Array,
    total: number,
    magnitude: Float64Array,
    cursor: Int32Array,
  ): void {
    const book = this.book;
    const n = book.scopeHigh;
    const ids = this.ids;
    const rows = ids.length;
    // Scope-order passes stream; the walk-order ones gather one scope's packed figures each.
    const rowStart = keep.i32(rows + 1);
    const rowOf = keep.i32(n).fill(-1);
    for (let i = 0; i < rows; i++) {
      const s = ids[i]!;
      rowOf[s] = i;
      rowStart[i + 1] = rowStart[i]! + terms[s]!;
    }
    if (rowStart[rows] !== total)
      throw new Error('liquidation bound index: term count changed during the build');
    for (let s = 0; s < n; s++) cursor[s] = rowOf[s]! < 0 ? -1 : rowStart[rowOf[s]!]!;
    const rowCol = narrowColumns(book) ? keep.i16(total) : keep.i32(total);
    const rowVal = keep.f64(total);
    const rowSize = keep.f64(total);
    const rowEntry = keep.f64(total);
    book.linearTerms(this.tolerance, cursor, rowCol, rowVal, magnitude, { size: rowSize, entry: rowEntry });
    // Written straight into walk order (no scope-order copy to gather from).
    const rowCash = keep.f64(rows);
    const rowOrdKind = keep.i32(rows);
    book.columnScopeInputs(rowOf, rowOrdKind, rowCash);
    const packed = scratch.f64(3 * n);
    for (let s = 0; s < n; s++) {
      packed[3 * s] = headroom[s]!;
      packed[3 * s + 1] = magnitude[s]!;
      packed[3 * s + 2] = capMove[s]!;
    }
    const rowH0 = keep.f64(rows);
    const rowSlack = keep.f64(rows);
    const rowCap = keep.f64(rows);
    for (let i = 0; i < rows; i++) {
      const k = 3 * ids[i]!;
      const h = packed[k]!;
      const mag = packed[k + 1]!;
      let finite = Number.isFinite(h) && Number.isFinite(mag);
      for (let j = rowStart[i]!; j < rowStart[i + 1]! && finite; j++) finite = Number.isFinite(rowVal[j]!);
      rowH0[i] = h;
      rowSlack[i] = mag;
      rowCap[i] = finite ? packed[k + 2]! : Number.NEGATIVE_INFINITY;
    }
    Object.assign(this, {
      rowStart,
      rowCol,
      rowVal,
      rowH0,
      rowSlack,
      rowCap,
      rowOf,
      rowSize,
      rowEntry,
      rowCash,
      rowOrdKind,
    });
  }

  /** Scope s changed (or was released): the overflow list screens it every tick until the next build. */
  private rebound(s: number): void {
    if (this.inOverflow[s] === 0) {
      this.inOverflow[s] = 1;
      this.overflow.push(s);
      // Its row (if any) is stale: the overflow list screens it every tick instead.
      const i = s < this.rowOf.length ? this.rowOf[s]! : -1;
      if (i >= 0) this.rowCap[i] = Number.NEGATIVE_INFINITY;
    }
  }

  /** Counting sort of live scopes into (group, bucket) (`slotOf[s]`); clears the overflow list. */
  private rebuildBuckets(keep: Alloc, slotOf: Int32Array): void {
    const n = this.book.scopeHigh;
    const groups = this.book.marketIds().length + 1;
    const slot = (s: number): number => slotOf[s]!;
    const offsets = keep.i32(groups * (BUCKETS + 1) + 1);
    let live = 0;
    for (let s = 0; s < n; s++) {
      if (!this.book.hasPositions(s)) continue;
      offsets[slot(s) + 1]! += 1;
      live++;
    }
    for (let i = 1; i < offsets.length; i++) offsets[i]! += offsets[i - 1]!;
    const fill = offsets.slice(0, offsets.length - 1);
    const ids = keep.i32(live);
    for (let s = 0; s < n; s++) {
      if (!this.book.hasPositions(s)) continue;
      ids[fill[slot(s)]!++] = s;
    }
    this.offsets = offsets;
    this.ids = ids;
    this.groups = groups;
    for (const s of this.overflow) this.inOverflow[s] = 0;
    this.overflow = [];
  }

  private ensureCapacity(n: number): void {
    this.stamp = grown(this.stamp, n);
    this.inOverflow = grown(this.inOverflow, n);
  }
}
