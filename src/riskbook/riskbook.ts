/**
 * The risk book: a float64 screen that finds liquidation candidates fast (DESIGN §3, §6).
 *
 * The engine's exact figures (../account/figures.ts) are bigint and walk Maps; scanning
 * every subaccount with them after each price tick costs microseconds per scope. The risk
 * book keeps the same information as struct-of-arrays in typed arrays so a re-mark streams
 * through contiguous memory:
 *
 * - per market, one *slot* per position: owning scope index (Int32Array), signed size in
 *   whole base units, entry value in quote units (the settlement asset's smallest unit),
 *   the cached maintenance ratio MM / notional taken from the exact model at the last exact
 *   refresh, and the notional (quote units) up to which that ratio is still a valid upper
 *   bound (Float64Arrays);
 * - per *scope* (a subaccount's cross scope, or one isolated position): the settlement part
 *   of its collateral (cross: settlement balance; isolated: its isolated margin), one column
 *   per non-settlement asset holding `balance × maintenance weight` in whole tokens (so
 *   collateral re-prices with the asset price), and the accumulators equity and MM.
 *
 * Screening rule: a scope is a candidate when
 *
 *     equity_f < MM_f × (1 + tolerance) + ε          (or either side is NaN)
 *
 * and candidates are CONFIRMED with the exact figures (`evaluate`) before anything acts.
 * (`confirmKeyed` first takes the certified float decision from the book's own columns —
 * settlement cash, sizes read back exactly, entry values, collateral balance × weight — and
 * reads the subaccount only when that decision cannot tell.)
 *
 * Why there are no false negatives. With exact figures E, M and float figures e, m:
 * - collateral: the float value b·p·w differs from the exact ⌊b·p·w⌋ by < 1 quote unit per
 *   asset (the weight, including the size haircut, is the exact one for the cached balance;
 *   liabilities at their liability weight as in `collateralValueQuote`);
 * - positions: size × mark differs from ⌊size × mark⌋ by < 1 unit; MM_f = |size|·mark·ratio
 *   where ratio ≥ the exact ratio at any notional ≤ the slot's cap — for models whose
 *   ratio does not depend on price (fixed, sqrtSize, openInterestScaled: MM is a constant
 *   ratio of notional at a given size) the cap is +∞ and the ratio exact up to the ceil of
 *   one unit; for notional-dependent models (brackets, or any model the book does not
 *   know) the ratio is the max of the exact ratios at the refresh mark and at the mark
 *   × (1 + priceBand), which bounds MM/notional on the whole range below because that
 *   ratio is non-decreasing in notional (brackets: mmr non-decreasing and MM continuous).
 *   A slot whose notional exceeds its cap makes its scope's MM +∞, so the scope stays a
 *   candidate until an exact refresh;
 * - float64 rounding is ~1e-16 relative per operation.
 * So e − E ≤ (#assets + #positions + 1) units + float error and m ≥ M − (#positions) units
 * − float error; ε (default one hundredth of a whole quote unit, i.e. 10_000 units of USDC)
 * absorbs both for any realistic scope, and tolerance > 0 only adds margin.
 *
 * What the book does not see by itself: events change subaccounts and prices change marks.
 * `sync(state, events)` does both (refresh the touched subaccounts exactly, re-mark the
 * markets and assets whose prices moved); `remarkAll` re-marks everything from scratch and
 * also clears the float drift of incremental re-marks.
 *
 * Assumption: a position's MM does not depend on other accounts (open interest changes the
 * IM of the openInterestScaled model, never its MM). A model whose MM depended on open
 * interest would need its holders refreshed after every trade.
 *
 * @example
 * const book = RiskBook.fromState(engine.state);
 * engine.onEvents((events) => book.sync(engine.state, events));
 * // after a price tick:
 * for (const { ref, scope } of book.liquidatable(engine.state)) {
 *   engine.execute({ type: 'liquidate', subaccount: ref, isolatedMarket: scope.kind === 'isolated' ? scope.market : undefined });
 * }
 */

import { type MaintenanceNumbers, maintenanceNumbers, type Scope } from '../core/account/figures.ts';
import { scopePendingFundingQuote } from '../core/account/lazy-funding.ts';
import { assetPricePx8 } from '../core/account/prices.ts';
import { effectiveAssetWeightPpm } from '../core/collateral/valuation.ts';
import { assetWeightPpm, liabilityWeightPpm } from '../core/collateral/weights.ts';
import type { EngineEvent, Ledger } from '../core/engine/events.ts';
import type { SubaccountRef } from '../core/model/engine-config.ts';
import type {
  ReadonlyEngineState,
  ReadonlyMarketState,
  ReadonlyPosition,
  ReadonlySubaccount,
} from '../core/model/state.ts';
import { divRound, PPM, PRICE_DECIMALS, QTY_DECIMALS } from '../core/num/index.ts';
import { type Alloc, Arena, BUILD_SHARED, PLAIN_ALLOC } from './arena.ts';
import { CertifiedMaintenance, type Decision, LIQUIDATABLE, UNSURE } from './certified-maintenance.ts';
import { grown } from './grow.ts';
import { KeyOrdinals } from './key-ordinals.ts';
import { MaintenanceChecker } from './maintenance-check.ts';
import { type RemarkColumns, remarkScopes } from './remark-kernel.ts';

/** Models whose MM / notional does not depend on the mark price (at a fixed size). */
const PRICE_INDEPENDENT_RATIO_MODELS: ReadonlySet<string> = new Set([
  'fixed',
  'sqrtSize',
  'openInterestScaled',
]);

/**
 * How fast one slot can move its scope's screen headroom per unit of relative price move:
 * |size|·mark (equity) plus |size|·mark·ratio·(1 + tolerance) (maintenance), so |Δheadroom| ≤
 * this × δ for a move of at most δ (`bounds`).
 */
function slotSensitivity(absSize: number, mark: number, k: number, ratio: number): number {
  return absSize * mark * (1 + k * ratio);
}

/** The relative mark rise that takes a capped slot's notional to its bracket cap. */
function capRoom(cap: number, absSize: number, mark: number): number {
  return cap / (absSize * mark) - 1;
}

/**
 * Markets the float screen cannot bound, whose holders' scopes stay candidates (slots with an
 * infinite ratio: MM +∞) and are always confirmed with the exact figures: a requirement on the
 * entry value (`requirementOn: 'entry'`: no ratio of the mark notional bounds it at a lower mark),
 * a haircut on positive health (`positiveHealthWeight`: the exact equity is below the float one),
 * a fee to close in maintenance (`closeFeeInMaintenance`: it follows the scope's equity), fee and
 * funding add-ons (`marginAddOns`), and options (their MM follows the underlying's price, not their own notional).
 */
function exactOnly(ms: {
  config: {
    requirementOn?: string;
    positiveHealthWeight?: unknown;
    option?: unknown;
    contractType?: string;
    closeFeeInMaintenance?: boolean;
    marginAddOns?: unknown;
  };
}): boolean {
  return (
    // inverse (coin-margined) PnL is n·cv·(1/entry − 1/mark), not the screen's linear size·mark
    ms.config.contractType === 'inverse' ||
    ms.config.requirementOn === 'entry' ||
    ms.config.positiveHealthWeight !== undefined ||
    ms.config.closeFeeInMaintenance === true ||
    // fee and funding add-ons (BitMEX): the funding term follows the market's rate and the side
    ms.config.marginAddOns !== undefined ||
    ms.config.option !== undefined
  );
}

/** Whether the book's slots of this market need no caps: a price-independent ratio, not exact-only. */
function priceIndependent(ms: ReadonlyMarketState): boolean {
  return PRICE_INDEPENDENT_RATIO_MODELS.has(ms.model.kind) && !exactOnly(ms);
}

const QTY_SCALE = 10 ** QTY_DECIMALS;
/**
 * A slot's size in qty9 units is read back from its column as round(sizeBase × 10^9): sizeBase
 * is Number(size) / 10^9 (one rounding), so for |size| < 2^50 the product is within
 * |size| × 2^-52 < 1/4 of the integer and rounds back to it exactly; a result of 2^50 or more
 * (a larger size) is left to the subaccount.
 */
const MAX_COLUMN_SIZE = 2 ** 50;

/** Whether the subaccount's cross scope holds a position (crossView(sub).positions.length > 0). */
function hasCrossPosition(sub: ReadonlySubaccount): boolean {
  for (const p of sub.positions.values()) if (!p.isolated) return true;
  return false;
}
const PPM_NUMBER = Number(PPM);
const CROSS: Scope = Object.freeze({ kind: 'cross' });

export interface RiskBookOptions {
  /**
   * Relative price move (fraction, default 0.3) over which the cached MM ratio of a
   * notional-dependent model (brackets) stays a valid upper bound; beyond it the scope is
   * always a candidate until its next exact refresh.
   */
  readonly priceBand?: number;
  /** Absolute slack added to the threshold, quote units (default 10^(quoteDecimals − 2), one cent of USDC). */
  readonly epsilonQuote?: number;
  /**
   * Keep the columns on SharedArrayBuffers, so re-mark workers (./parallel-remark.ts) can read
   * and write them without copies (default false).
   */
  readonly shared?: boolean;
}

/** A scope the float screen flags; `key` is the subaccount key (`account/sub`). */
export interface Candidate {
  readonly key: string;
  readonly scope: Scope;
}

/** A scope the exact figures say is liquidatable (same shape as `Engine.liquidatable()`). */
export interface Liquidatable {
  readonly ref: SubaccountRef;
  readonly scope: Scope;
}

/**
 * What the certified decision reads of one scope, from the book's columns or the bound index's
 * rows: settlement cash, per non-settlement asset Number(balance) × Number(maintenance weight
 * ppm), per position size (qty9) and Number(entry value). For tests.
 */
export interface ColumnInputs {
  readonly key: string;
  readonly scope: Scope;
  readonly cash: number;
  readonly collateral: readonly { readonly asset: string; readonly value: number }[];
  readonly positions: readonly { readonly market: string; readonly size: number; readonly entry: number }[];
}

/** Float figures of one scope, for inspection and tests. */
export interface ScopeScreen {
  readonly key: string;
  readonly scope: Scope;
  /** Settlement collateral (cross balance or isolated margin), quote units. */
  readonly settlementQuote: number;
  /** balance × maintenance weight, whole tokens, per non-settlement asset (non-zero only). */
  readonly weightedAssets: Readonly<Record<string, number>>;
  readonly equityQuote: number;
  readonly maintenanceQuote: number;
  readonly positions: readonly {
    market: string;
    sizeBase: number;
    entryQuote: number;
    mmRatio: number;
    capQuote: number;
  }[];
}

/** Where `touchedSubaccounts` learns who holds a market or an asset (before the events applied). */
export interface HolderIndex {
  marketHolders(market: string): Iterable<string>;
  assetHolders(asset: string): Iterable<string>;
}

/**
 * Subaccount keys whose exact figures an event batch may have changed, in first-seen order.
 * funding_settled / expiry_settled / market_configured touch every holder of the market, and
 * asset_configured every holder of the asset, as `holders` reports them (pass an index taken
 * before the events were applied: expiry removes the holders from the state).
 * Price updates touch no subaccount: they are handled by re-marking.
 */
export function touchedSubaccounts(events: readonly EngineEvent[], holders: HolderIndex): Set<string> {
  const out = new Set<string>();
  // Any ledger that names a subaccount (balance, isolated, and whatever kind is added later).
  const ledger = (l: Ledger) => {
    if ('sub' in l && typeof l.sub === 'string') out.add(l.sub);
  };
  for (const e of events) {
    switch (e.type) {
      case 'subaccount_opened':
        out.add(`${e.ref.account}/${e.ref.sub}`);
        break;
      case 'moved':
        ledger(e.from);
        ledger(e.to);
        break;
      case 'margin_mode_set':
      case 'leverage_set':
      case 'liquidation_started':
      case 'liquidation_completed':
        out.add(e.sub);
        break;
      case 'traded':
        out.add(e.buyer);
        out.add(e.seller);
        break;
      case 'adl_ranked':
        out.add(e.bankrupt);
        out.add(e.counterparty);
        break;
      case 'funding_settled':
      case 'expiry_settled':
      case 'market_configured': {
        const market = e.type === 'market_configured' ? e.config.id : e.market;
        for (const k of holders.marketHolders(market)) out.add(k);
        break;
      }
      case 'loss_socialized':
        ledger(e.to);
        for (const k of holders.marketHolders(e.market)) out.add(k);
        break;
      case 'asset_configured':
        for (const k of holders.assetHolders(e.config.id)) out.add(k);
        break;
      case 'interest_accrued':
        // every balance of the asset was read again at the new interest indexes
        for (const k of holders.assetHolders(e.asset)) out.add(k);
        break;
      default: {
        // An event type this code does not know yet: take every field that names a subaccount.
        const loose = e as unknown as Record<string, unknown>;
        for (const f of ['sub', 'buyer', 'seller', 'bankrupt', 'counterparty']) {
          if (typeof loose[f] === 'string') out.add(loose[f] as string);
        }
        break;
      }
    }
  }
  return out;
}

/**
 * scope index → slot of one market, as a typed array (slot + 1; 0 = no slot) with the Map
 * methods the book uses. Scope indices are dense, so this is 4 bytes per scope instead of a
 * hash-table entry (~40 bytes and a rehash on growth): at a million scopes × 4 markets it saves
 * ~0.15 GB and most of the time `fromState` spent inserting into Maps.
 */
class ScopeSlots {
  private slot1: Int32Array;
  constructor(capacity: number, alloc?: Alloc) {
    this.slot1 = alloc ? alloc.i32(capacity) : new Int32Array(capacity);
  }
  get(scope: number): number | undefined {
    const v = scope < this.slot1.length ? this.slot1[scope]! : 0;
    return v === 0 ? undefined : v - 1;
  }
  set(scope: number, slot: number): void {
    this.slot1 = grown(this.slot1, scope + 1);
    this.slot1[scope] = slot + 1;
  }
  delete(scope: number): void {
    if (scope < this.slot1.length) this.slot1[scope] = 0;
  }
}

/**
 * Interned per-scope market lists. A book's scopes hold few distinct lists (at most the ordered
 * subsets of the markets a subaccount trades, in position order), so scopes share them: a list
 * is never changed in place, `append` returns the shared list one market longer. At a million
 * scopes this saves ~0.1 GB and a million arrays promoted to the old generation while a build
 * runs. Past `MAX_INTERNED` distinct lists (a venue with many markets and many orders of
 * entry) new lists are plain copies, so the table stays bounded.
 */
class MarketLists {
  static readonly MAX_INTERNED = 4096;
  readonly empty: readonly number[] = [];
  private readonly longer = new Map<readonly number[], Map<number, readonly number[]>>();
  private interned = 0;

  /** `list` + `market`; every list is made here from `empty`, so until the cap all are interned. */
  append(list: readonly number[], market: number): readonly number[] {
    let next = this.longer.get(list);
    const hit = next?.get(market);
    if (hit !== undefined) return hit;
    const made = list.concat(market);
    if (this.interned >= MarketLists.MAX_INTERNED) return made;
    if (next === undefined) this.longer.set(list, (next = new Map()));
    next.set(market, made);
    this.interned++;
    return made;
  }
}

/** Typed-array allocation: on a SharedArrayBuffer when the book is shared with re-mark workers. */
const PLAIN = PLAIN_ALLOC;
const SHARED: Alloc = {
  f64: (n) => new Float64Array(new SharedArrayBuffer(n * 8)),
  i32: (n) => new Int32Array(new SharedArrayBuffer(n * 4)),
};

/** Positions of one market as struct-of-arrays; slots are kept dense by swap-remove. */
class MarketSlots {
  count = 0;
  scope: Int32Array;
  /** Signed size, whole base units. */
  sizeBase: Float64Array;
  /** Signed entry value (cost basis), quote units. */
  entryQuote: Float64Array;
  /** Exact MM / notional at the last exact refresh (upper bound up to capQuote). */
  mmRatio: Float64Array;
  /**
   * Notional (quote units) above which mmRatio is no longer a proven bound; +∞ for
   * price-independent models. Empty while the market is price-independent and has never been
   * otherwise (`hasCaps` false): every cap would be +∞ and nothing reads them (8 bytes per slot).
   */
  capQuote: Float64Array;
  hasCaps: boolean;
  /** scope index → slot. */
  readonly slotOf: ScopeSlots;
  /** Mark used by the last re-mark, quote units per whole base unit (NaN: no mark). */
  markQuote = Number.NaN;
  /** Slots in ascending scope order (true after `fromState`; a swap-remove ends it). */
  sorted = true;

  constructor(
    readonly id: string,
    readonly index: number,
    public priceIndependent: boolean,
    capacity: number,
    private readonly alloc: Alloc,
    scopeCapacity = 0,
  ) {
    this.slotOf = new ScopeSlots(scopeCapacity, alloc);
    this.scope = alloc.i32(capacity);
    this.sizeBase = alloc.f64(capacity);
    this.entryQuote = alloc.f64(capacity);
    this.mmRatio = alloc.f64(capacity);
    this.hasCaps = !priceIndependent;
    this.capQuote = alloc.f64(this.hasCaps ? capacity : 0);
  }

  /** Cap of slot i (+∞ when the market holds no caps). */
  capOf(i: number): number {
    return this.hasCaps ? this.capQuote[i]! : Number.POSITIVE_INFINITY;
  }

  /** The market may depend on notional from now on: its caps, +∞ for the slots it holds. */
  ensureCaps(): void {
    if (this.hasCaps) return;
    this.capQuote = this.alloc.f64(this.scope.length).fill(Number.POSITIVE_INFINITY);
    this.hasCaps = true;
  }

  add(scope: number, sizeBase: number, entryQuote: number, mmRatio: number, capQuote: number): void {
    if (this.count === this.scope.length) this.grow(Math.max(16, this.count * 2));
    const i = this.count++;
    if (i > 0 && this.scope[i - 1]! > scope) this.sorted = false;
    this.scope[i] = scope;
    this.sizeBase[i] = sizeBase;
    this.entryQuote[i] = entryQuote;
    this.mmRatio[i] = mmRatio;
    if (this.hasCaps) this.capQuote[i] = capQuote;
    this.slotOf.set(scope, i);
  }

  remove(scope: number): void {
    const i = this.slotOf.get(scope);
    if (i === undefined) return;
    this.slotOf.delete(scope);
    const last = --this.count;
    if (i !== last) {
      this.sorted = false;
      const moved = this.scope[last]!;
      this.scope[i] = moved;
      this.sizeBase[i] = this.sizeBase[last]!;
      this.entryQuote[i] = this.entryQuote[last]!;
      this.mmRatio[i] = this.mmRatio[last]!;
      if (this.hasCaps) this.capQuote[i] = this.capQuote[last]!;
      this.slotOf.set(moved, i);
    }
  }

  private grow(capacity: number): void {
    const g64 = (a: Float64Array) => {
      const b = this.alloc.f64(capacity);
      b.set(a.subarray(0, this.count));
      return b;
    };
    const scope = this.alloc.i32(capacity);
    scope.set(this.scope.subarray(0, this.count));
    this.scope = scope;
    this.sizeBase = g64(this.sizeBase);
    this.entryQuote = g64(this.entryQuote);
    this.mmRatio = g64(this.mmRatio);
    if (this.hasCaps) this.capQuote = g64(this.capQuote);
  }
}

export class RiskBook implements HolderIndex {
  private readonly settlementId: string;
  private readonly quoteDecimals: number;
  private readonly bandPpm: bigint;
  private readonly epsilonQuote: number;
  /** Exact maintenance-only figures for `confirm` (./maintenance-check.ts). */
  private readonly checker = new MaintenanceChecker();
  /** The certified float decision taken from the book's own columns in `confirmScopes`. */
  private readonly certified = new CertifiedMaintenance();
  /** How `confirmScopes` decided: from the columns, or by reading the subaccount. */
  readonly confirmStats = { fromColumns: 0, fromSubaccount: 0 };
  private alloc: Alloc;

  // Scopes (indices 0 .. high−1; released indices are reused).
  private capacity = 0;
  private high = 0;
  private readonly freeScopes: number[] = [];
  private settleQuote: Float64Array = new Float64Array(0);
  private equityQuote: Float64Array = new Float64Array(0);
  private mmQuote: Float64Array = new Float64Array(0);
  private posCount: Int32Array = new Int32Array(0);
  private scopeKey: (string | undefined)[] = [];
  private scopeOf: Scope[] = [];
  /** The subaccount's ref per scope (the state's own object), for `confirmScopes`' answers. */
  private scopeRef: (Readonly<SubaccountRef> | undefined)[] = [];
  /**
   * Per scope, 1 when `confirmScopes` may decide it from the columns: not a portfolio-margin
   * cross scope, every collateral balance of an asset the state knows.
   */
  private certOk = new Uint8Array(0);
  /**
   * Market indices per scope. Lists are replaced by concat (exact length), not pushed to: a list grown by push keeps
   * room for 17 entries (~170 bytes; 0.2 GB over a million scopes, all of it copied by the
   * young-generation collector while a build runs).
   */
  private scopeMarkets: (readonly number[])[] = [];
  private readonly marketLists = new MarketLists();
  /**
   * Cross scope per subaccount ordinal (scope + 1; 0 = none). Keyed through `ordinal`, so a build
   * inserts each key into one table, not two.
   */
  private crossByOrdinal = new Int32Array(0);
  /**
   * A subaccount's isolated scopes as a chain in the order they were allocated (a Map of them per
   * subaccount was ~130 bytes of heap and an allocation per subaccount with an isolated
   * position): the first per ordinal and the next per scope, each scope + 1 (0 = none).
   */
  private isoFirst = new Int32Array(0);
  private isoNext: Int32Array = new Int32Array(0);
  /** First-seen order of subaccounts (= state order when fed by fromState/sync); never shrinks. */
  private readonly ordinal = new KeyOrdinals();
  /** Per scope, its subaccount's ordinal (so confirmation sorts numbers, not keys). */
  private scopeOrdinal: Int32Array = new Int32Array(0);

  // Non-settlement collateral assets, one column each.
  private readonly assetIds: string[] = [];
  private readonly assetColumn = new Map<string, number>();
  private assetWeighted: Float64Array[] = [];
  /**
   * Per column and scope, the certified decision's collateral input: Number(balance) ×
   * Number(the scope's own maintenance weight, ppm) — NaN where that decision does not model
   * the balance (a borrow, a weight outside [0, 1]).
   */
  private assetCert: Float64Array[] = [];
  /** Price used by the last re-mark, quote units per whole token (0: unpriced). */
  private readonly assetPriceQuote: number[] = [];
  /** Number of scopes with a non-zero entry in each column. */
  private readonly assetNonZero: number[] = [];

  private readonly markets: MarketSlots[] = [];
  private readonly marketById = new Map<string, MarketSlots>();

  private constructor(state: ReadonlyEngineState, opts: RiskBookOptions) {
    this.settlementId = state.settlement.id;
    this.quoteDecimals = state.settlement.decimals;
    const band = opts.priceBand ?? 0.3;
    if (!(band >= 0 && band < 100)) throw new RangeError(`priceBand ${band} must be in [0, 100)`);
    this.bandPpm = BigInt(Math.ceil(band * PPM_NUMBER));
    this.epsilonQuote = opts.epsilonQuote ?? 10 ** Math.max(0, this.quoteDecimals - 2);
    this.shared = opts.shared === true;
    this.alloc = this.shared ? SHARED : PLAIN;
  }

  /**
   * Whether the book was built with `shared: true`: every column on SharedArrayBuffers, then and
   * after any growth. (A build carves its columns from a shared arena either way, ./arena.ts
   * BUILD_SHARED; only a shared book keeps them shared as it grows.)
   */
  readonly shared: boolean;

  /**
   * Builds the book from a state: every subaccount is read exactly once.
   *
   * @example const book = RiskBook.fromState(engine.state);
   */
  static fromState(state: ReadonlyEngineState, opts: RiskBookOptions = {}): RiskBook {
    const book = new RiskBook(state, opts);
    // One cross scope per subaccount plus one per isolated market: sized up front, so the
    // scope columns are not doubled past the need (a third of their memory at a million).
    let scopes = state.subaccounts.size + 16;
    // Non-settlement assets some subaccount holds: one column each.
    const held = new Set<string>();
    const settlement = state.settlement.id;
    for (const sub of state.subaccounts.values()) {
      scopes += sub.isolatedMarkets.size;
      if (sub.balances.size > 1 || !sub.balances.has(settlement))
        for (const [a, v] of sub.balances)
          if (a !== settlement && v !== 0n && state.assets.has(a)) held.add(a);
    }
    // Every column of the build from one allocation (see Arena), sized exactly: the scope
    // columns, one per held asset, and per market its slot columns and scope → slot map.
    const cap = Math.max(scopes, 64);
    let bytes = 3 * Arena.size(8 * cap) + 3 * Arena.size(4 * cap) + 2 * held.size * Arena.size(8 * cap);
    for (const m of state.markets.values()) {
      const n = Math.max(16, m.holders.size);
      bytes += (priceIndependent(m) ? 3 : 4) * Arena.size(8 * n) + Arena.size(4 * n) + Arena.size(4 * cap);
    }
    const base = book.alloc;
    // Shared in any case: a SharedArrayBuffer does not count as external memory (./arena.ts).
    const arena = new Arena(base, BUILD_SHARED || base === SHARED, bytes);
    book.alloc = arena;
    book.ensureScopeCapacity(scopes);
    // The per-scope JS arrays too: filled in order, an array made with its length is as fast
    // to read as one grown by appending, without the ~30 copies growth makes of each (a third of
    // the old-generation garbage a million-scope build left for a full collection).
    book.scopeKey = new Array(cap);
    book.scopeOf = new Array(cap);
    book.scopeRef = new Array(cap);
    book.scopeMarkets = new Array(cap);
    book.ordinal.reserve(state.subaccounts.size);
    book.ensureOrdinalCapacity(state.subaccounts.size);
    // A subaccount holds at most one position per market, so a market's holders bound its
    // slots: reserving them up front avoids the doubling copies (and the freed buffers the
    // allocator keeps resident) of a build grown slot by slot.
    book.building = new Map();
    for (const [id, ms] of state.markets) {
      const m = book.ensureMarket(ms, Math.max(16, ms.holders.size));
      book.building.set(id, { ms, m, exact: exactOnly(ms) });
    }
    book.readPrices(state);
    for (const [key, sub] of state.subaccounts) book.refreshOne(state, key, sub, true);
    book.building = undefined;
    arena.close();
    book.alloc = base;
    return book;
  }

  /** Number of live scopes. */
  get scopeCount(): number {
    return this.high - this.freeScopes.length;
  }

  /** Number of position slots over all markets. */
  get slotCount(): number {
    let n = 0;
    for (const m of this.markets) n += m.count;
    return n;
  }

  /**
   * Re-reads these subaccounts exactly (balances, positions, cached ratios) and recomputes
   * their float figures at the book's current marks. Unknown keys are dropped from the book.
   */
  refresh(state: ReadonlyEngineState, subaccountKeys: Iterable<string>): void {
    for (const key of subaccountKeys) this.refreshOne(state, key);
  }

  /** `touchedSubaccounts(events, this)`: the book knows who held a market before the events. */
  touchedSubaccounts(events: readonly EngineEvent[]): Set<string> {
    return touchedSubaccounts(events, this);
  }

  marketHolders(market: string): Iterable<string> {
    const m = this.marketById.get(market);
    if (!m) return [];
    const keys = new Set<string>();
    for (let i = 0; i < m.count; i++) keys.add(this.scopeKey[m.scope[i]!]!);
    return keys;
  }

  assetHolders(asset: string): Iterable<string> {
    const col = this.assetColumn.get(asset);
    if (col === undefined) return [];
    const w = this.assetWeighted[col]!;
    const keys = new Set<string>();
    for (let s = 0; s < this.high; s++) if (w[s] !== 0) keys.add(this.scopeKey[s]!);
    return keys;
  }

  /**
   * Keeps the book in step with the engine: refreshes the subaccounts the events touched,
   * then re-marks the markets (and assets) whose prices they moved (`prices_updated`, an
   * oracle step, expiry settlement).
   *
   * @example engine.onEvents((events) => book.sync(engine.state, events));
   */
  sync(state: ReadonlyEngineState, events: readonly EngineEvent[]): void {
    const touched = this.touchedSubaccounts(events);
    const marks = new Set<string>();
    let assetsMoved = false;
    for (const e of events) {
      if (e.type === 'prices_updated') {
        for (const [m] of e.marks) marks.add(m);
        if (e.assets.length > 0 || e.exchangeRates.length > 0) assetsMoved = true;
      } else if (e.type === 'expiry_settled' || e.type === 'oracle_stepped') {
        // A market with an oracle takes its mark from its oracle steps, not from prices_updated.
        marks.add(e.market);
      } else if (e.type === 'asset_configured') {
        assetsMoved = true;
      }
    }
    this.refresh(state, touched);
    for (const m of marks) this.remarkMarket(state, m);
    if (assetsMoved) this.remarkAssets(state);
  }

  /**
   * Full re-mark: every position at the current marks and every collateral asset at its
   * current price; per-scope equity and MM recomputed from scratch (no drift).
   */
  remarkAll(state: ReadonlyEngineState): void {
    remarkScopes(this.remarkColumns(state), 0, this.high);
  }

  /**
   * Reads the current marks and prices into the book and returns its columns for a full
   * re-mark (./remark-kernel.ts): what `remarkAll` runs on one thread and the re-mark workers
   * (./parallel-remark.ts) split by scope range. The arrays are the book's own.
   */
  remarkColumns(state: ReadonlyEngineState): RemarkColumns {
    this.readPrices(state);
    return {
      n: this.high,
      settle: this.settleQuote,
      equity: this.equityQuote,
      mm: this.mmQuote,
      assets: this.assetWeighted.map((weighted, a) => ({
        weighted,
        price: this.assetPriceQuote[a]!,
        used: this.assetNonZero[a]! > 0,
      })),
      markets: this.markets.map((m) => ({
        count: m.count,
        scope: m.scope,
        size: m.sizeBase,
        entry: m.entryQuote,
        ratio: m.mmRatio,
        cap: m.capQuote,
        mark: m.markQuote,
        priceIndependent: m.priceIndependent,
        sorted: m.sorted,
      })),
    };
  }

  /** Per scope equity and MM of the last re-mark (views of the book's columns, scopes 0 .. scopeHigh − 1). */
  figureColumns(): { equity: Float64Array; mm: Float64Array } {
    return { equity: this.equityQuote.subarray(0, this.high), mm: this.mmQuote.subarray(0, this.high) };
  }

  /** Re-marks one market at its current mark (incremental: only scopes holding it change). */
  remarkMarket(state: ReadonlyEngineState, marketId: string): void {
    const ms = state.markets.get(marketId);
    const m = this.marketById.get(marketId);
    if (!ms || !m) return;
    const next = this.markQuoteOf(ms);
    const prev = m.markQuote;
    if (next === prev) return;
    if (!Number.isFinite(prev)) {
      // A delta from NaN cannot be taken; rebuild (rare: first mark of a market with positions).
      this.remarkAll(state);
      return;
    }
    m.markQuote = next;
    this.markSlots(m, next - prev, false);
  }

  /** Re-prices every collateral column at current asset prices (incremental per column). */
  remarkAssets(state: ReadonlyEngineState): void {
    const n = this.high;
    const eq = this.equityQuote;
    for (let a = 0; a < this.assetIds.length; a++) {
      const next = this.assetPriceOf(state, this.assetIds[a]!);
      const d = next - this.assetPriceQuote[a]!;
      this.assetPriceQuote[a] = next;
      if (d === 0 || this.assetNonZero[a] === 0) continue;
      const w = this.assetWeighted[a]!;
      for (let s = 0; s < n; s++) eq[s]! += w[s]! * d;
    }
  }

  /**
   * Scopes with positions whose float equity < float MM × (1 + tolerance) + ε (or NaN).
   * A superset of the exactly liquidatable scopes; confirm before acting.
   *
   * @param tolerance relative slack on MM (fraction, default 0.02)
   */
  candidates(tolerance = 0.02): Candidate[] {
    const out: Candidate[] = [];
    const k = 1 + tolerance;
    const eps = this.epsilonQuote;
    const eq = this.equityQuote;
    const mm = this.mmQuote;
    const pc = this.posCount;
    for (let s = 0; s < this.high; s++) {
      if (pc[s] === 0) continue;
      if (!(eq[s]! >= mm[s]! * k + eps)) out.push({ key: this.scopeKey[s]!, scope: this.scopeOf[s]! });
    }
    return out;
  }

  /**
   * The candidates the exact figures say are liquidatable (equity < MM), in the engine's
   * order: subaccounts in book order, isolated scopes in position order, then cross.
   */
  confirm(state: ReadonlyEngineState, candidates: readonly Candidate[]): Liquidatable[] {
    const bySub = new Map<string, { cross: boolean; isolated: Set<string> }>();
    for (const c of candidates) {
      let e = bySub.get(c.key);
      if (!e) bySub.set(c.key, (e = { cross: false, isolated: new Set() }));
      if (c.scope.kind === 'cross') e.cross = true;
      else e.isolated.add(c.scope.market);
    }
    const keys = [...bySub.keys()];
    const ord = (k: string) => this.ordinal.get(k) ?? Number.MAX_SAFE_INTEGER;
    keys.sort((a, b) => ord(a) - ord(b));
    const out: Liquidatable[] = [];
    for (const key of keys) {
      const s = state.subaccounts.get(key);
      if (!s) continue;
      const want = bySub.get(key)!;
      for (const p of s.positions.values()) {
        if (p.isolated && want.isolated.has(p.market)) {
          const scope: Scope = { kind: 'isolated', market: p.market };
          if (this.checker.liquidatable(state, s, scope)) out.push({ ref: s.ref, scope });
        }
      }
      if (want.cross && hasCrossPosition(s) && this.checker.liquidatable(state, s, CROSS))
        out.push({ ref: s.ref, scope: CROSS });
    }
    return out;
  }

  /**
   * `confirm` for candidates given as scope indices (the bound index's walk), same answer and
   * order: `confirmKeyed` of their keys, none decided yet.
   */
  confirmScopes(state: ReadonlyEngineState, scopes: readonly number[]): Liquidatable[] {
    const keys = new Float64Array(scopes.length);
    let n = 0;
    // Released scopes (no key) are dropped.
    for (const s of scopes) if (this.scopeKey[s] !== undefined) keys[n++] = this.confirmKey(s, false);
    return this.confirmKeyed(state, keys.subarray(0, n));
  }

  /**
   * Per scope s with row[s] ≥ 0, what `confirmKey` needs of it: ordinal × 2 + (1 for a cross
   * scope), written to ordKind[row[s]]; and the settlement cash of the column decision (NaN: the
   * scope cannot be decided from columns) to cash[row[s]]. Streams the scope columns (for the
   * bound index's rows).
   */
  columnScopeInputs(row: Int32Array, ordKind: Int32Array, cash: Float64Array): void {
    for (let s = 0; s < this.high; s++) {
      const i = row[s]!;
      if (i < 0) continue;
      const live = this.scopeKey[s] !== undefined;
      ordKind[i] = live ? 2 * this.scopeOrdinal[s]! + (this.scopeOf[s]!.kind === 'cross' ? 1 : 0) : 0;
      cash[i] = live && this.certOk[s] === 1 ? this.settleQuote[s]! : Number.NaN;
    }
  }

  /**
   * The sort key of candidate scope `s` for `confirmKeyed`: (ordinal × 2 + cross) × P + s × 2 +
   * (1 when already decided liquidatable), with P the power of two above 2 × scopeHigh + 1
   * (`keySpan`). Exact integers (checked against 2^53), so a numeric sort orders candidates by
   * subaccount, isolated scopes before the cross scope, and decoding needs no remainder of doubles.
   */
  confirmKey(s: number, liquidatable: boolean, ordKind?: number): number {
    const ok = ordKind ?? 2 * this.scopeOrdinal[s]! + (this.scopeOf[s]!.kind === 'cross' ? 1 : 0);
    return ok * this.keySpan() + (2 * s + (liquidatable ? 1 : 0));
  }

  /** P of `confirmKey`: a power of two > 2 × scopeHigh + 1 (and ≥ 2^20, so it rarely changes). */
  private keySpan(): number {
    let p = 2 ** 20;
    while (p <= 2 * this.high + 1) p *= 2;
    return p;
  }

  /**
   * The liquidatable scopes among candidates given as `confirmKey`s, in the engine's order
   * (`confirm`'s). A key marked decided is liquidatable (the bound index decided it from its
   * rows with the certified float decision); every other scope is first decided from the book's
   * own columns without reading the subaccount (`columnDecide`). Only a scope that decision
   * cannot settle (near the line, or a case it does not model) reads its subaccount and takes
   * the exact maintenance check; so do the candidates of a subaccount with two or more isolated
   * candidates (their order is the state's position order).
   */
  confirmKeyed(state: ReadonlyEngineState, keys: Float64Array): Liquidatable[] {
    const span = this.keySpan();
    if (!(2 * (this.ordinal.size + 1) * span < 2 ** 53 && span <= 2 ** 31))
      throw new RangeError('risk book: too many scopes for confirmation keys');
    if (keys.length === 0) return [];
    keys.sort();
    const columns = this.certified.beginColumns(state, this.marketIds(), this.assetIds);
    const out: Liquidatable[] = [];
    const group: number[] = [];
    for (let i = 0; i < keys.length; ) {
      // Decode: span is a power of two, so the division and the floor are exact.
      const o = Math.floor(Math.floor(keys[i]! / span) / 2);
      let cross = -1;
      let crossSure = false;
      let isolated = -1;
      let isolatedSure = false;
      let isolatedCount = 0;
      group.length = 0;
      for (; i < keys.length; i++) {
        const k = keys[i]!;
        const ok = Math.floor(k / span);
        if (ok >>> 1 !== o) break;
        const low = k - ok * span; // 2 × s + decided, below 2^31
        const s = low >>> 1;
        const sure = (low & 1) === 1;
        // The same scope twice (decided and not): one entry, decided if either was.
        if (group.length === 0 || group[group.length - 1] !== s) group.push(s);
        if ((ok & 1) === 1) {
          cross = s;
          crossSure ||= sure;
        } else {
          if (isolated !== s) isolatedCount++;
          isolated = s;
          isolatedSure ||= sure;
        }
      }
      // A scope without positions in the book (`confirm` asks the subaccount whether it has one).
      const empty =
        (cross >= 0 && !crossSure && this.posCount[cross] === 0) ||
        (isolated >= 0 && !isolatedSure && this.posCount[isolated] === 0);
      if (!columns || isolatedCount > 1 || empty) {
        this.confirmFromSubaccount(state, group, out);
        continue;
      }
      // Isolated scopes before the cross scope, as `confirm` orders them.
      if (isolated >= 0 && (isolatedSure || this.decideScope(state, isolated)))
        out.push({ ref: this.scopeRef[isolated]!, scope: this.scopeOf[isolated]! });
      if (cross >= 0 && (crossSure || this.decideScope(state, cross)))
        out.push({ ref: this.scopeRef[cross]!, scope: CROSS });
    }
    return out;
  }

  /** Whether scope `s` is liquidatable: from the columns, else from the subaccount. */
  private decideScope(state: ReadonlyEngineState, s: number): boolean {
    const d = this.columnDecide(s);
    if (d !== UNSURE) {
      this.confirmStats.fromColumns++;
      return d === LIQUIDATABLE;
    }
    this.confirmStats.fromSubaccount++;
    const sub = state.subaccounts.get(this.scopeKey[s]!);
    return sub !== undefined && this.checker.liquidatable(state, sub, this.scopeOf[s]!);
  }

  /**
   * The certified decision of scope `s` from the book's columns alone: its settlement cash
   * (`settleQuote`: Number(balance) of a cross scope, Number(isolated margin) of an isolated
   * one, with no pending funding since `beginColumns` refuses lazy funding), its collateral
   * (`assetCert`) and per slot the size, read back exactly (MAX_COLUMN_SIZE), and
   * Number(entry value) (`entryQuote`) — the same roundings of the same integers as
   * `CertifiedMaintenance.decide` reads from the subaccount.
   */
  private columnDecide(s: number): Decision {
    if (this.certOk[s] === 0) return UNSURE;
    const c = this.certified;
    c.columnScope(this.settleQuote[s]!);
    const cert = this.assetCert;
    for (let a = 0; a < cert.length; a++) {
      const bw = cert[a]![s]!;
      if (bw !== 0 && !c.columnCollateral(a, bw)) return UNSURE;
    }
    for (const mi of this.scopeMarkets[s]!) {
      const m = this.markets[mi]!;
      const i = m.slotOf.get(s)!;
      const q = Math.round(m.sizeBase[i]! * QTY_SCALE);
      if (!(Math.abs(q) < MAX_COLUMN_SIZE) || !c.columnPosition(mi, q, m.entryQuote[i]!)) return UNSURE;
    }
    return c.columnDecision();
  }

  /** One subaccount's candidate scopes decided from the subaccount, in `confirm`'s order. */
  private confirmFromSubaccount(
    state: ReadonlyEngineState,
    scopes: readonly number[],
    out: Liquidatable[],
  ): void {
    const sub = state.subaccounts.get(this.scopeKey[scopes[0]!]!);
    if (!sub) return;
    let cross = false;
    const isolated = new Set<string>();
    for (const s of scopes) {
      const sc = this.scopeOf[s]!;
      if (sc.kind === 'cross') cross = true;
      else isolated.add(sc.market);
    }
    this.confirmStats.fromSubaccount += scopes.length;
    if (isolated.size > 0) {
      for (const p of sub.positions.values()) {
        if (p.isolated && isolated.has(p.market)) {
          const scope: Scope = { kind: 'isolated', market: p.market };
          if (this.checker.liquidatable(state, sub, scope)) out.push({ ref: sub.ref, scope });
        }
      }
    }
    if (cross && hasCrossPosition(sub) && this.checker.liquidatable(state, sub, CROSS))
      out.push({ ref: sub.ref, scope: CROSS });
  }

  /** `confirm(state, candidates(tolerance))`: the fast path to `Engine.liquidatable()`. */
  liquidatable(state: ReadonlyEngineState, tolerance = 0.02): Liquidatable[] {
    return this.confirm(state, this.candidates(tolerance));
  }

  /** Float figures of one scope, or undefined if the book does not hold it. */
  screen(key: string, scope: Scope): ScopeScreen | undefined {
    const s = scope.kind === 'cross' ? this.crossScopeOf(key) : this.isolatedScopeOf(key, scope.market);
    return s === undefined ? undefined : this.describeScope(s);
  }

  /** Every live scope's float figures, sorted by key then scope (for tests and diagnostics). */
  describe(): ScopeScreen[] {
    const out: ScopeScreen[] = [];
    for (let s = 0; s < this.high; s++) if (this.scopeKey[s] !== undefined) out.push(this.describeScope(s));
    const name = (x: ScopeScreen) => `${x.key}\u0000${x.scope.kind === 'cross' ? '' : x.scope.market}`;
    return out.sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
  }

  /**
   * Bytes of typed-array data one `remarkAll` touches, each array element read or written
   * counted once (cache lines, repeated read-modify-writes and the scatter to per-scope
   * accumulators are not counted twice): per scope settlement (8) + equity (8) + MM (8) +
   * 8 per non-empty priced asset column; per slot scope (4) + size (8) + entry (8) +
   * ratio (8), + cap (8) for notional-dependent markets.
   */
  remarkBytes(): number {
    let perScope = 24;
    for (let a = 0; a < this.assetIds.length; a++) {
      if (this.assetPriceQuote[a] !== 0 && this.assetNonZero[a]! > 0) perScope += 8;
    }
    let bytes = this.high * perScope;
    for (const m of this.markets) bytes += m.count * (m.priceIndependent ? 28 : 36);
    return bytes;
  }

  /**
   * Bytes one `remarkAll` reads and writes, element by element as its loops access them: the
   * copy of settlement into equity (read 8, write 8) and the clearing of MM (write 8) per scope;
   * per used asset column, the weight (read 8) and equity (read 8 + write 8) per scope; per slot,
   * scope index 4 + size 8 + entry 8 + ratio 8 (+ cap 8 on notional-dependent markets) read, and
   * the scope's equity and MM each read and written (32). Cache-line granularity is not modelled:
   * slots are in scope order after `fromState`, so the scatter is close to sequential.
   */
  remarkTraffic(): { readBytes: number; writtenBytes: number } {
    const n = this.high;
    let read = n * 8;
    let written = n * 16;
    for (let a = 0; a < this.assetIds.length; a++) {
      if (this.assetPriceQuote[a] !== 0 && this.assetNonZero[a]! > 0) {
        read += n * 16;
        written += n * 8;
      }
    }
    for (const m of this.markets) {
      read += m.count * ((m.priceIndependent ? 28 : 36) + 16);
      written += m.count * 16;
    }
    return { readBytes: read, writtenBytes: written };
  }

  // ---- for the liquidation bound index (./liquidation-bound-index.ts) ----

  /** One past the highest scope index in use (scopes are 0 .. scopeHigh − 1, some released). */
  get scopeHigh(): number {
    return this.high;
  }

  /**
   * The inputs `columnDecide` reads for scope `s`, as the book holds them (for the property
   * test that checks them against the state after every command); undefined: not decidable
   * from columns.
   */
  columnInputs(s: number): ColumnInputs | undefined {
    if (this.scopeKey[s] === undefined || this.certOk[s] === 0) return undefined;
    const collateral: { asset: string; value: number }[] = [];
    for (let a = 0; a < this.assetIds.length; a++) {
      const bw = this.assetCert[a]![s]!;
      if (bw !== 0) collateral.push({ asset: this.assetIds[a]!, value: bw });
    }
    const positions = this.scopeMarkets[s]!.map((mi) => {
      const m = this.markets[mi]!;
      const i = m.slotOf.get(s)!;
      const q = Math.round(m.sizeBase[i]! * QTY_SCALE);
      return { market: m.id, size: Math.abs(q) < MAX_COLUMN_SIZE ? q : Number.NaN, entry: m.entryQuote[i]! };
    });
    return {
      key: this.scopeKey[s]!,
      scope: this.scopeOf[s]!,
      cash: this.settleQuote[s]!,
      collateral,
      positions,
    };
  }

  /** The column decision of scope `s` at the state's prices (for tests; `confirmKeyed` uses it). */
  columnDecisionAt(state: ReadonlyEngineState, s: number): Decision {
    if (!this.certified.beginColumns(state, this.marketIds(), this.assetIds)) return UNSURE;
    return this.columnDecide(s);
  }

  /** Whether scope index `s` holds a live scope. */
  isLive(s: number): boolean {
    return this.scopeKey[s] !== undefined;
  }

  /** Whether scope index `s` holds a live scope with positions. */
  hasPositions(s: number): boolean {
    return this.scopeKey[s] !== undefined && this.posCount[s]! > 0;
  }

  /** The scope indices of a subaccount (cross first, then isolated); empty if the book lacks it. */
  scopesOf(key: string): number[] {
    const out: number[] = [];
    const cs = this.crossScopeOf(key);
    if (cs !== undefined) out.push(cs);
    const o = this.ordinal.get(key);
    if (o !== undefined) this.isolatedOf(o, out);
    return out;
  }

  /** The candidate record of scope `s`. */
  candidateOf(s: number): Candidate {
    return { key: this.scopeKey[s]!, scope: this.scopeOf[s]! };
  }

  /** Market ids in the book's market-index order, and the marks (quote units) of the last re-mark. */
  marketIds(): readonly string[] {
    return this.markets.map((m) => m.id);
  }
  bookMarks(): Float64Array {
    return Float64Array.from(this.markets, (m) => m.markQuote);
  }
  /** Current marks of the book's markets in the state, quote units (NaN: no mark). */
  stateMarks(state: ReadonlyEngineState): Float64Array {
    return Float64Array.from(this.markets, (m) => {
      const ms = state.markets.get(m.id);
      return ms ? this.markQuoteOf(ms) : Number.NaN;
    });
  }
  /** Collateral asset ids (column order), their prices at the last re-mark, and in the state. */
  assetColumns(): readonly string[] {
    return this.assetIds;
  }
  bookAssetPrices(): Float64Array {
    return Float64Array.from(this.assetPriceQuote);
  }
  stateAssetPrices(state: ReadonlyEngineState): Float64Array {
    return Float64Array.from(this.assetIds, (id) => this.assetPriceOf(state, id));
  }
  /** Whether asset column `a` has a non-zero entry in any scope. */
  assetUsed(a: number): boolean {
    return this.assetNonZero[a]! > 0;
  }

  /**
   * Screen headroom of scope `s` at the given marks and asset prices (book indices, quote
   * units): equity − (MM × (1 + tolerance) + ε). Negative or NaN exactly when `candidates`
   * would flag the scope at those prices. Reads the scope's slots; changes nothing.
   */
  headroomAt(s: number, tolerance: number, marks: Float64Array, assetPrices: Float64Array): number {
    let eq = this.settleQuote[s]!;
    for (let a = 0; a < this.assetIds.length; a++) {
      const w = this.assetWeighted[a]![s]!;
      if (w !== 0) eq += w * assetPrices[a]!;
    }
    let mm = 0;
    for (const mi of this.scopeMarkets[s]!) {
      const m = this.markets[mi]!;
      const mark = marks[mi]!;
      const i = m.slotOf.get(s)!;
      const q = m.sizeBase[i]!;
      const aq = Math.abs(q);
      eq += q * mark - m.entryQuote[i]!;
      mm += aq * mark * m.mmRatio[i]!;
      if (!m.priceIndependent && aq * mark > m.capQuote[i]!) mm = Number.POSITIVE_INFINITY;
    }
    return eq - (mm * (1 + tolerance) + this.epsilonQuote);
  }

  /**
   * Per scope, at the book's marks: the headroom (as `headroomAt`), the sensitivity S bounding
   * how fast the headroom can fall — |Δheadroom| ≤ S × δ when every mark and asset price moves
   * by at most the fraction δ — and the smallest relative mark rise that takes a capped slot past
   * its cap (+∞ when none). `single[s]` is the market index of a scope whose only price input is
   * one market (one slot, settlement collateral only), −1 otherwise. Streams the slot columns.
   */
  bounds(
    tolerance: number,
    headroom: Float64Array,
    sensitivity: Float64Array,
    capMove: Float64Array,
    single: Int32Array,
  ): void {
    const n = this.high;
    const k = 1 + tolerance;
    const eps = this.epsilonQuote;
    const eq = this.equityQuote;
    const mm = this.mmQuote;
    for (let s = 0; s < n; s++) {
      headroom[s] = eq[s]! - (mm[s]! * k + eps);
      sensitivity[s] = 0;
      capMove[s] = Number.POSITIVE_INFINITY;
      single[s] = -1;
    }
    for (let a = 0; a < this.assetIds.length; a++) {
      if (this.assetNonZero[a] === 0) continue;
      const w = this.assetWeighted[a]!;
      const p = this.assetPriceQuote[a]!;
      for (let s = 0; s < n; s++) {
        if (w[s] !== 0) {
          sensitivity[s]! += Math.abs(w[s]!) * p;
          single[s] = -2; // collateral moves with its own price
        }
      }
    }
    for (const m of this.markets) {
      const mark = m.markQuote;
      const sc = m.scope;
      const size = m.sizeBase;
      const ratio = m.mmRatio;
      const cap = m.capQuote;
      for (let i = 0; i < m.count; i++) {
        const s = sc[i]!;
        const aq = Math.abs(size[i]!);
        sensitivity[s]! += slotSensitivity(aq, mark, k, ratio[i]!);
        if (!m.priceIndependent) {
          const room = capRoom(cap[i]!, aq, mark);
          if (!(room >= capMove[s]!)) capMove[s] = room;
        }
        single[s] = single[s] === -1 && this.posCount[s] === 1 ? m.index : -2;
      }
    }
    for (let s = 0; s < n; s++) if (single[s] === -2) single[s] = -1;
  }

  /** `termCount` of every scope into out[0 .. scopeHigh − 1], streaming the columns. */
  termCounts(out: Int32Array): void {
    const n = this.high;
    out.set(this.posCount.subarray(0, n));
    for (let a = 0; a < this.assetIds.length; a++) {
      if (this.assetNonZero[a] === 0) continue;
      const w = this.assetWeighted[a]!;
      for (let s = 0; s < n; s++) if (w[s] !== 0) out[s]! += 1;
    }
  }

  /** Number of linear terms `linearTerms` writes for scope `s`: its slots + its non-zero asset columns. */
  termCount(s: number): number {
    let n = this.posCount[s]!;
    for (let a = 0; a < this.assetIds.length; a++) if (this.assetWeighted[a]![s] !== 0) n++;
    return n;
  }

  /**
   * The screen headroom of every scope as a linear function of the signed relative moves δ of
   * the prices it reads, at the book's marks: headroom(δ) = headroom + Σ_j val[j] × δ[col[j]],
   * with one term per slot (col = market index, val = size·mark − (1 + tolerance)·|size|·mark·ratio:
   * exact for a slot below its cap, since equity and MM are both linear in the mark at a fixed
   * ratio) and one per non-zero asset column (col = markets + asset column, val = weighted
   * balance × price). Scope s's terms are written at cursor[s], cursor[s] + 1, … (cursor[s] < 0:
   * skip the scope), and `magnitude[s]` receives Σ of the absolute values the screen adds up
   * (settlement, every |term|, every |entry value|), which bounds its float rounding. Streams the
   * slot columns, like `bounds`. An infinite ratio (exact-only markets) gives a non-finite val.
   *
   * With `exact`, each term also gets the column decision's inputs (`columnDecide`) at the same
   * index: per slot the size in qty9 (NaN past MAX_COLUMN_SIZE) and Number(entry value); per
   * asset term Number(balance) × Number(weight ppm) in `size` (NaN: not modelled).
   */
  linearTerms(
    tolerance: number,
    cursor: Int32Array,
    /** Int16 when the columns fit (the bound index's rows), else Int32. */
    col: Int16Array | Int32Array,
    val: Float64Array,
    magnitude: Float64Array,
    exact?: { readonly size: Float64Array; readonly entry: Float64Array },
  ): void {
    const n = this.high;
    const k = 1 + tolerance;
    const markets = this.markets.length;
    const settle = this.settleQuote;
    for (let s = 0; s < n; s++) magnitude[s] = Math.abs(settle[s]!) + this.epsilonQuote;
    for (let a = 0; a < this.assetIds.length; a++) {
      if (this.assetNonZero[a] === 0) continue;
      const w = this.assetWeighted[a]!;
      const cert = this.assetCert[a]!;
      const p = this.assetPriceQuote[a]!;
      for (let s = 0; s < n; s++) {
        if (w[s] === 0 || cursor[s]! < 0) continue;
        const j = cursor[s]!++;
        const v = w[s]! * p;
        col[j] = markets + a;
        val[j] = v;
        magnitude[s]! += Math.abs(v);
        if (exact) {
          exact.size[j] = cert[s]!;
          exact.entry[j] = 0;
        }
      }
    }
    for (const m of this.markets) {
      const mark = m.markQuote;
      const sc = m.scope;
      const size = m.sizeBase;
      const entry = m.entryQuote;
      const ratio = m.mmRatio;
      const mi = m.index;
      for (let i = 0; i < m.count; i++) {
        const s = sc[i]!;
        if (cursor[s]! < 0) continue;
        const q = size[i]!;
        const v = q * mark;
        const req = Math.abs(v) * ratio[i]! * k;
        const j = cursor[s]!++;
        col[j] = mi;
        val[j] = v - req;
        magnitude[s]! += Math.abs(v) + req + Math.abs(entry[i]!);
        if (exact) {
          const qty = Math.round(q * QTY_SCALE);
          exact.size[j] = Math.abs(qty) < MAX_COLUMN_SIZE ? qty : Number.NaN;
          exact.entry[j] = entry[i]!;
        }
      }
    }
  }

  // ---- internals ----

  /** Adds (or with absolute=false, adds the change of) every slot's contribution at `markOrDelta`. */
  private markSlots(m: MarketSlots, markOrDelta: number, absolute: boolean): void {
    const eq = this.equityQuote;
    const mm = this.mmQuote;
    const sc = m.scope;
    const size = m.sizeBase;
    const entry = m.entryQuote;
    const ratio = m.mmRatio;
    const n = m.count;
    const d = markOrDelta;
    if (m.priceIndependent) {
      if (absolute) {
        for (let i = 0; i < n; i++) {
          const s = sc[i]!;
          const q = size[i]!;
          eq[s]! += q * d - entry[i]!;
          mm[s]! += Math.abs(q) * d * ratio[i]!;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const s = sc[i]!;
          const q = size[i]!;
          eq[s]! += q * d;
          mm[s]! += Math.abs(q) * d * ratio[i]!;
        }
      }
      return;
    }
    const cap = m.capQuote;
    const mark = m.markQuote;
    for (let i = 0; i < n; i++) {
      const s = sc[i]!;
      const q = size[i]!;
      const aq = Math.abs(q);
      eq[s]! += absolute ? q * d - entry[i]! : q * d;
      mm[s]! += aq * d * ratio[i]!;
      if (aq * mark > cap[i]!) mm[s] = Number.POSITIVE_INFINITY;
    }
  }

  private refreshOne(
    state: ReadonlyEngineState,
    key: string,
    sub: ReadonlySubaccount | undefined = state.subaccounts.get(key),
    /** The book has no scope of this key yet (a build): skips the lookups that must miss. */
    fresh = false,
  ): void {
    const ord = fresh ? undefined : this.ordinal.get(key);
    const iso = ord === undefined ? undefined : this.isolatedOf(ord, []);
    if (!sub) {
      const cs = this.crossScopeOf(key);
      if (cs !== undefined) this.releaseScope(cs);
      if (iso) for (const s of iso) this.releaseScope(s);
      return;
    }
    let cs = fresh ? undefined : this.crossScopeOf(key);
    if (cs === undefined) cs = this.allocateScope(key, CROSS);
    const o = this.scopeOrdinal[cs]!;
    this.clearScope(cs);
    this.scopeRef[cs] = sub.ref;
    this.certOk[cs] = sub.portfolioMargin === true ? 0 : 1;
    // lazy funding: the scope's unsettled funding counts as the cash it becomes (account/lazy-funding.ts)
    this.settleQuote[cs] = Number(
      (sub.balances.get(this.settlementId) ?? 0n) + scopePendingFundingQuote(state, sub, CROSS),
    );
    // (most subaccounts hold the settlement asset alone: no iteration)
    if (sub.balances.size > 1 || !sub.balances.has(this.settlementId)) {
      for (const [assetId, balance] of sub.balances) {
        if (assetId === this.settlementId || balance === 0n) continue;
        this.setWeighted(state, sub, cs, assetId, balance);
      }
    }
    let wanted: Set<string> | undefined;
    for (const p of sub.positions.values()) {
      if (p.size === 0n) continue;
      if (!p.isolated) {
        this.addSlot(state, sub, cs, p);
        continue;
      }
      if (!fresh) (wanted ??= new Set()).add(p.market);
      let s = fresh ? undefined : this.isolatedScopeOf(key, p.market);
      if (s === undefined) s = this.allocateScope(key, { kind: 'isolated', market: p.market }, o);
      this.clearScope(s);
      this.scopeRef[s] = sub.ref;
      this.certOk[s] = 1;
      this.settleQuote[s] = Number(
        p.isolatedMargin + scopePendingFundingQuote(state, sub, { kind: 'isolated', market: p.market }),
      );
      this.addSlot(state, sub, s, p);
      this.recompute(s);
    }
    this.recompute(cs);
    if (iso) {
      for (const s of iso) {
        const sc = this.scopeOf[s]!;
        if (sc.kind === 'isolated' && !wanted?.has(sc.market)) this.releaseScope(s);
      }
    }
  }

  private addSlot(state: ReadonlyEngineState, sub: ReadonlySubaccount, s: number, p: ReadonlyPosition): void {
    // A build reads each market's state, slots and kind once (`building`), not once per position.
    const b = this.building?.get(p.market);
    const ms = b !== undefined ? b.ms : state.markets.get(p.market)!;
    const m = b !== undefined ? b.m : this.ensureMarket(ms);
    const exact = b !== undefined ? b.exact : exactOnly(ms);
    const mark = ms.markPx8;
    if (exact || sub.portfolioMargin === true) {
      // No per-slot ratio bounds these (see exactOnly; a portfolio scope has one requirement for
      // the whole book). An infinite ratio makes the scope's MM +∞ — or NaN (0·∞, ∞ − ∞ in
      // incremental re-marks), which screens as a candidate too — so it is always confirmed
      // with the exact figures.
      const inf = Number.POSITIVE_INFINITY;
      m.add(s, Number(p.size) / QTY_SCALE, Number(p.entryValue), inf, inf);
      this.scopeMarkets[s] = this.marketLists.append(this.scopeMarkets[s]!, m.index);
      this.posCount[s]! += 1;
      return;
    }
    let ratio = Number.NaN;
    let cap = Number.POSITIVE_INFINITY;
    const size = Number(p.size);
    if (mark !== undefined) {
      const lev = sub.maxLeverage.size === 0 ? undefined : sub.maxLeverage.get(p.market);
      // Number(MM) / Number(notional) of positionRequirement, without its bigints (figures.ts).
      const r = maintenanceNumbers(state, ms, p.size, size, mark, this.numberOf(mark), lev, this.req);
      ratio = r.notional > 0 ? r.maintenance / r.notional : 0;
      if (!m.priceIndependent) {
        const bandMark = this.bandMarkOf(mark);
        const rb = maintenanceNumbers(state, ms, p.size, size, bandMark, this.bandMarkNumber, lev, this.req);
        if (rb.notional > 0) ratio = Math.max(ratio, rb.maintenance / rb.notional);
        cap = rb.notional;
      }
    }
    m.add(s, size / QTY_SCALE, Number(p.entryValue), ratio, cap);
    this.scopeMarkets[s] = this.marketLists.append(this.scopeMarkets[s]!, m.index);
    this.posCount[s]! += 1;
  }

  /** `maintenanceNumbers`' result, reused (read at once). */
  private readonly req: MaintenanceNumbers = { notional: 0, maintenance: 0 };
  /** Per market id during `fromState`: its state, its slots and whether it is exact-only. */
  private building: Map<string, { ms: ReadonlyMarketState; m: MarketSlots; exact: boolean }> | undefined;

  /** mark × (1 + band), rounded up; the last one is kept (a build asks for the same few marks millions of times). */
  private bandMarkFor: bigint | undefined;
  private bandMarkValue = 0n;
  private bandMarkNumber = 0;
  private bandMarkOf(mark: bigint): bigint {
    if (mark !== this.bandMarkFor) {
      this.bandMarkFor = mark;
      this.bandMarkValue = mark + divRound(mark * this.bandPpm, PPM, 'ceil');
      this.bandMarkNumber = Number(this.bandMarkValue);
    }
    return this.bandMarkValue;
  }

  /** Number(mark), the last one kept (as `bandMarkOf`). */
  private numberFor: bigint | undefined;
  private numberValue = 0;
  private numberOf(mark: bigint): number {
    if (mark !== this.numberFor) {
      this.numberFor = mark;
      this.numberValue = Number(mark);
    }
    return this.numberValue;
  }

  /** Equity and MM of one scope from its arrays at the book's current marks and prices. */
  private recompute(s: number): void {
    let eq = this.settleQuote[s]!;
    for (let a = 0; a < this.assetIds.length; a++) {
      const w = this.assetWeighted[a]![s]!;
      if (w !== 0) eq += w * this.assetPriceQuote[a]!;
    }
    let mm = 0;
    for (const mi of this.scopeMarkets[s]!) {
      const m = this.markets[mi]!;
      const i = m.slotOf.get(s)!;
      const q = m.sizeBase[i]!;
      const aq = Math.abs(q);
      eq += q * m.markQuote - m.entryQuote[i]!;
      mm += aq * m.markQuote * m.mmRatio[i]!;
      if (!m.priceIndependent && aq * m.markQuote > m.capQuote[i]!) mm = Number.POSITIVE_INFINITY;
    }
    this.equityQuote[s] = eq;
    this.mmQuote[s] = mm;
  }

  private setWeighted(
    state: ReadonlyEngineState,
    sub: ReadonlySubaccount,
    s: number,
    assetId: string,
    balance: bigint,
  ): void {
    const asset = state.assets.get(assetId);
    if (!asset) {
      this.certOk[s] = 0;
      return;
    }
    const col = this.ensureAsset(state, assetId);
    const certW = assetWeightPpm(state.config, sub, asset, 'maintenance');
    this.assetCert[col]![s] =
      balance > 0n && certW >= 0n && certW <= PPM ? Number(balance) * Number(certW) : Number.NaN;
    // Assets count at the exact effective maintenance weight (size haircut included) for this
    // balance; liabilities at their maintenance liability weight (size premium included), as
    // collateralValueQuote values them. An asset counts at the lowest weight any e-mode category
    // gives it (a scope's category is not looked up): a higher weight only lowers the float equity,
    // a false positive the exact check clears; a lower one must be seen or the screen misses it.
    const weightPpm =
      balance > 0n
        ? effectiveAssetWeightPpm(
            balance,
            asset.decimals,
            lowestMaintenanceWeightPpm(state, asset.id, asset.maintenanceWeight),
            asset.sizeHaircutFactor,
          )
        : liabilityWeightPpm(asset, balance, 'maintenance');
    const v = (Number(balance) / 10 ** asset.decimals) * (Number(weightPpm) / PPM_NUMBER);
    const w = this.assetWeighted[col]!;
    if (w[s] === 0 && v !== 0) this.assetNonZero[col]! += 1;
    w[s] = v;
    // The rows (linearTerms) carry an asset term only where the screen's weight is non-zero.
    if (v === 0 && this.assetCert[col]![s] !== 0) this.certOk[s] = 0;
  }

  private clearScope(s: number): void {
    for (const mi of this.scopeMarkets[s]!) this.markets[mi]!.remove(s);
    this.scopeMarkets[s] = this.marketLists.empty;
    this.posCount[s] = 0;
    this.settleQuote[s] = 0;
    this.certOk[s] = 0;
    for (let a = 0; a < this.assetIds.length; a++) {
      this.assetCert[a]![s] = 0;
      const w = this.assetWeighted[a]!;
      if (w[s] !== 0) {
        w[s] = 0;
        this.assetNonZero[a]! -= 1;
      }
    }
  }

  /** Allocates a scope of `key`; an isolated one may be given its subaccount's ordinal (`ord`). */
  private allocateScope(key: string, scope: Scope, ord?: number): number {
    let s = this.freeScopes.pop();
    if (s === undefined) {
      s = this.high++;
      this.ensureScopeCapacity(this.high);
    }
    this.scopeKey[s] = key;
    this.scopeOf[s] = scope;
    this.scopeMarkets[s] = this.marketLists.empty;
    this.posCount[s] = 0;
    this.equityQuote[s] = 0;
    this.mmQuote[s] = 0;
    this.isoNext[s] = 0;
    const o = ord ?? this.ordinal.add(key);
    this.ensureOrdinalCapacity(o + 1);
    this.scopeOrdinal[s] = o;
    if (scope.kind === 'cross') this.crossByOrdinal[o] = s + 1;
    else {
      // appended, so a subaccount's isolated scopes keep the order they were allocated in
      let t = this.isoFirst[o]!;
      if (t === 0) this.isoFirst[o] = s + 1;
      else {
        while (this.isoNext[t - 1] !== 0) t = this.isoNext[t - 1]!;
        this.isoNext[t - 1] = s + 1;
      }
    }
    return s;
  }

  private ensureOrdinalCapacity(n: number): void {
    this.crossByOrdinal = grown(this.crossByOrdinal, n);
    this.isoFirst = grown(this.isoFirst, n);
  }

  /** The subaccount's cross scope, if the book holds one. */
  private crossScopeOf(key: string): number | undefined {
    const o = this.ordinal.get(key);
    if (o === undefined || o >= this.crossByOrdinal.length) return undefined;
    const v = this.crossByOrdinal[o]!;
    return v === 0 ? undefined : v - 1;
  }

  /** The isolated scopes of ordinal `o`, appended to `out` in the order they were allocated. */
  private isolatedOf(o: number, out: number[]): number[] {
    if (o >= this.isoFirst.length) return out;
    for (let t = this.isoFirst[o]!; t !== 0; t = this.isoNext[t - 1]!) out.push(t - 1);
    return out;
  }

  /** The subaccount's isolated scope on `market`, if the book holds one. */
  private isolatedScopeOf(key: string, market: string): number | undefined {
    const o = this.ordinal.get(key);
    if (o === undefined || o >= this.isoFirst.length) return undefined;
    for (let t = this.isoFirst[o]!; t !== 0; t = this.isoNext[t - 1]!) {
      const sc = this.scopeOf[t - 1]!;
      if (sc.kind === 'isolated' && sc.market === market) return t - 1;
    }
    return undefined;
  }

  private releaseScope(s: number): void {
    const scope = this.scopeOf[s]!;
    const o = this.scopeOrdinal[s]!;
    this.clearScope(s);
    this.equityQuote[s] = 0;
    this.mmQuote[s] = 0;
    this.scopeKey[s] = undefined;
    this.scopeRef[s] = undefined;
    this.scopeOf[s] = CROSS;
    if (scope.kind === 'cross') this.crossByOrdinal[o] = 0;
    else {
      // unlink s from its subaccount's chain
      if (this.isoFirst[o] === s + 1) this.isoFirst[o] = this.isoNext[s]!;
      else {
        let t = this.isoFirst[o]!;
        while (this.isoNext[t - 1] !== s + 1) t = this.isoNext[t - 1]!;
        this.isoNext[t - 1] = this.isoNext[s]!;
      }
      this.isoNext[s] = 0;
    }
    this.freeScopes.push(s);
  }

  private ensureScopeCapacity(n: number): void {
    if (n <= this.capacity) return;
    const cap = Math.max(n, this.capacity * 2, 64);
    const g = (a: Float64Array) => {
      const b = this.alloc.f64(cap);
      b.set(a);
      return b;
    };
    this.settleQuote = g(this.settleQuote);
    this.equityQuote = g(this.equityQuote);
    this.mmQuote = g(this.mmQuote);
    const gi = (a: Int32Array) => {
      const b = this.alloc.i32(cap);
      b.set(a);
      return b;
    };
    this.posCount = gi(this.posCount);
    this.scopeOrdinal = gi(this.scopeOrdinal);
    this.isoNext = gi(this.isoNext);
    this.assetWeighted = this.assetWeighted.map(g);
    this.assetCert = this.assetCert.map(g);
    const ok = new Uint8Array(cap);
    ok.set(this.certOk);
    this.certOk = ok;
    this.capacity = cap;
  }

  private ensureMarket(ms: ReadonlyMarketState, capacity = 16): MarketSlots {
    const id = ms.config.id;
    let m = this.marketById.get(id);
    const independent = priceIndependent(ms);
    if (!m) {
      m = new MarketSlots(id, this.markets.length, independent, capacity, this.alloc, this.capacity);
      m.markQuote = this.markQuoteOf(ms);
      this.markets.push(m);
      this.marketById.set(id, m);
    } else if (m.count === 0 || !independent) {
      // A model change (market_configured) refreshes every holder; a market whose model may
      // depend on notional keeps capped slots from then on (conservative).
      m.priceIndependent = independent;
      if (!independent) m.ensureCaps();
    }
    return m;
  }

  private ensureAsset(state: ReadonlyEngineState, assetId: string): number {
    let col = this.assetColumn.get(assetId);
    if (col !== undefined) return col;
    col = this.assetIds.length;
    this.assetIds.push(assetId);
    this.assetColumn.set(assetId, col);
    this.assetWeighted.push(this.alloc.f64(this.capacity));
    this.assetCert.push(this.alloc.f64(this.capacity));
    this.assetPriceQuote.push(this.assetPriceOf(state, assetId));
    this.assetNonZero.push(0);
    return col;
  }

  private readPrices(state: ReadonlyEngineState): void {
    for (const m of this.markets) {
      const ms = state.markets.get(m.id);
      m.markQuote = ms ? this.markQuoteOf(ms) : Number.NaN;
    }
    for (let a = 0; a < this.assetIds.length; a++)
      this.assetPriceQuote[a] = this.assetPriceOf(state, this.assetIds[a]!);
  }

  /** px8 → quote units per whole unit (division by a power of ten is correctly rounded). */
  private px8ToQuote(px8: bigint): number {
    const shift = PRICE_DECIMALS - this.quoteDecimals;
    return shift >= 0 ? Number(px8) / 10 ** shift : Number(px8) * 10 ** -shift;
  }

  private markQuoteOf(ms: ReadonlyMarketState): number {
    return ms.markPx8 === undefined ? Number.NaN : this.px8ToQuote(ms.markPx8);
  }

  /** Unpriced collateral counts for nothing, as in `evaluate`. */
  private assetPriceOf(state: ReadonlyEngineState, assetId: string): number {
    const px = assetPricePx8(state, assetId);
    return px === undefined ? 0 : this.px8ToQuote(px);
  }

  private describeScope(s: number): ScopeScreen {
    const weightedAssets: Record<string, number> = {};
    const cols = this.assetIds.map((id, a) => ({ id, a })).sort((x, y) => (x.id < y.id ? -1 : 1));
    for (const { id, a } of cols) {
      const w = this.assetWeighted[a]![s]!;
      if (w !== 0) weightedAssets[id] = w;
    }
    const positions = this.scopeMarkets[s]!.map((mi) => {
      const m = this.markets[mi]!;
      const i = m.slotOf.get(s)!;
      return {
        market: m.id,
        sizeBase: m.sizeBase[i]!,
        entryQuote: m.entryQuote[i]!,
        mmRatio: m.mmRatio[i]!,
        capQuote: m.capOf(i),
      };
    });
    positions.sort((a, b) => (a.market < b.market ? -1 : a.market > b.market ? 1 : 0));
    return {
      key: this.scopeKey[s]!,
      scope: this.scopeOf[s]!,
      settlementQuote: this.settleQuote[s]!,
      weightedAssets,
      equityQuote: this.equityQuote[s]!,
      maintenanceQuote: this.mmQuote[s]!,
      positions,
    };
  }
}

/** The asset's maintenance weight, or an e-mode category's liquidation threshold for it if lower. */
function lowestMaintenanceWeightPpm(state: ReadonlyEngineState, assetId: string, own: bigint): bigint {
  const categories = state.config.eModeCategories;
  if (categories === undefined) return own;
  let w = own;
  for (const c of categories)
    if (c.liquidationThreshold < w && c.collateralAssets.includes(assetId)) w = c.liquidationThreshold;
  return w;
}
