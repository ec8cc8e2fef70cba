/**
 * Liquidation-price index (a CandidateFinder, core/keeper/finder.ts): which margin scopes
 * may have crossed their liquidation trigger after a price step, without an exact scan of
 * every account per tick.
 *
 * Two kinds of scope:
 * - **Indexed**: one position, collateral in the settlement asset only (every
 *   isolated scope; a cross scope with a single position and no other
 *   collateral), in a market whose margin does not depend on open interest.
 *   Its health depends on nothing but that market's mark until an event touches
 *   it, so the index stores its exact liquidation price — `liquidationPrice()`
 *   from core/account/report.ts, i.e. a bisection on the engine's own figures —
 *   in per-market arrays sorted by price. After a price step, the candidates are
 *   the longs with liqPx ≥ mark and the shorts with liqPx ≤ mark: a range query.
 * - **Exact**: everything else (BTC or other collateral whose price moves with
 *   the market, several positions, open-interest-scaled margin). These are
 *   evaluated exactly at every step.
 *
 * Recomputation: an indexed entry is recomputed (lazily, at the next query) when
 * an event touches its subaccount — a trade, a move of money (fees, isolated
 * margin, liquidation fees, insurance cover, ...), a margin-mode or leverage
 * change — and for every holder of a market when funding settles. Market or
 * asset reconfiguration recomputes everything.
 *
 * Rounding band: figures are integers (collateral and values rounded down,
 * requirements up), so near the trigger the health is monotone in the mark only
 * to within a couple of quote units. The bisection returns *a* boundary; another
 * liquidatable price can sit at most ~3 quote units of PnL away. Range queries
 * therefore widen each entry by `band = 10 × valueDivisor / |size|` price units
 * (the mark move worth 10 quote units for this size, e.g. 0.01 USD per BTC
 * for 0.001 BTC with 6-decimal USDC), which covers maintenance ratios up to 70%.
 * Every candidate is then confirmed with the exact figures, and the engine's
 * `liquidate` command re-checks and rejects NOT_LIQUIDATABLE anyway.
 *
 * The float risk book (./riskbook.ts) is the other fast finder (a typed-array float screen);
 * this one is the simple exact index.
 *
 * @example
 * const index = new LiquidationPriceIndex(engine);    // subscribes to engine events
 * engine.executeOrThrow({ type: 'prices', timeMs, marks: { 'BTC-PERP': '102497.48' } });
 * keeperTick(engine, { timeMs }, { finder: index, maxRounds: 50 });
 */
import {
  crossView,
  evaluate,
  isLiquidatable,
  isolatedView,
  type Scope,
  viewOf,
} from '../core/account/figures.ts';
import { MissingPriceError } from '../core/account/prices.ts';
import { liquidationPrice } from '../core/account/report.ts';
import type { Sequenced } from '../core/engine/events.ts';
import type { CandidateFinder, EventSource, LiquidationCandidate } from '../core/keeper/finder.ts';
import { valueDivisor } from '../core/margin/notional.ts';
import type { SubaccountRef } from '../core/model/engine-config.ts';
import type { ReadonlyEngineState, ReadonlySubaccount } from '../core/model/state.ts';

/** A scope to liquidate, confirmed liquidatable by the exact figures. */
export interface IndexCandidate {
  readonly ref: SubaccountRef;
  readonly subKey: string;
  readonly scope: Scope;
  /** Ready-made fields of the `liquidate` command for this scope. */
  readonly command: { subaccount: SubaccountRef; isolatedMarket?: string };
}

interface IndexEntry {
  readonly id: string;
  readonly subKey: string;
  readonly ref: SubaccountRef;
  readonly scope: Scope;
  readonly market: string;
  readonly long: boolean;
  /** The engine's exact liquidation price, px8. */
  readonly liqPx8: bigint;
  /** Widening of the range query for integer rounding, px8 (see the module header). */
  readonly bandPx8: bigint;
}

interface ExactEntry {
  readonly id: string;
  readonly subKey: string;
  readonly ref: SubaccountRef;
  readonly scope: Scope;
  /** The input epoch at which the exact figures last said "healthy" (−1: never). */
  healthyAt: number;
}

export interface IndexStats {
  /** Scopes currently in the price index / in the exact set. */
  indexedScopes: number;
  exactScopes: number;
  /** Single-position scopes no price in (0, 1e12] can make liquidatable (not indexed). */
  neverLiquidatable: number;
  /** Liquidation prices computed (bisections). */
  recomputations: number;
  /** Scopes evaluated exactly while screening (index hits + exact set). */
  exactEvaluations: number;
  /** Index hits that the exact figures did not confirm (rounding band, or healthy). */
  unconfirmed: number;
  /** Exact-set checks skipped because nothing they depend on changed since they were healthy. */
  skippedUnchanged: number;
}

const cmpEntry = (a: IndexEntry, b: IndexEntry): number =>
  a.liqPx8 === b.liqPx8 ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.liqPx8 < b.liqPx8 ? -1 : 1;

/** Index of the first element not less than `x` (lower bound). */
function lowerBound(arr: readonly IndexEntry[], x: IndexEntry): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmpEntry(arr[mid]!, x) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Per market: longs and shorts sorted ascending by (liqPx8, id). */
interface MarketIndex {
  readonly longs: IndexEntry[];
  readonly shorts: IndexEntry[];
  /** Largest band among the entries (widens the binary-search bounds; exact filter after). */
  maxBandPx8: bigint;
}

export class LiquidationPriceIndex implements CandidateFinder {
  readonly name = 'liquidation-price-index';
  private readonly dirty = new Set<string>();
  private allDirty = true;
  private readonly bySub = new Map<string, { indexed: IndexEntry[]; exact: ExactEntry[]; never: number }>();
  private readonly markets = new Map<string, MarketIndex>();
  private readonly exact = new Map<string, ExactEntry>();
  /** Last seen prices, to tell a real price change from a repeated price. */
  private readonly lastPrices = new Map<string, bigint>();
  /**
   * Bumped whenever anything an exact scope depends on may have changed outside its own
   * subaccount: a price that differs from the last one, any trade (open interest), funding,
   * configuration. An exact scope found healthy in the current epoch is not re-evaluated.
   */
  private epoch = 0;
  readonly stats: IndexStats = {
    indexedScopes: 0,
    exactScopes: 0,
    neverLiquidatable: 0,
    recomputations: 0,
    exactEvaluations: 0,
    unconfirmed: 0,
    skippedUnchanged: 0,
  };

  constructor(private readonly engine: EventSource) {
    engine.onEvents((events) => this.observe(events));
  }

  /** CandidateFinder: the confirmed candidates as (ref, scope); `state` must be the engine's. */
  liquidatable(state: ReadonlyEngineState): LiquidationCandidate[] {
    if (state !== this.engine.state) throw new Error('liquidation-price index: state of another engine');
    return this.candidates().map((c) => ({ ref: c.ref, scope: c.scope }));
  }

  private get state(): ReadonlyEngineState {
    return this.engine.state;
  }

  /** Marks the subaccounts touched by `events` for recomputation. */
  observe(events: readonly Sequenced[]): void {
    for (const e of events) {
      switch (e.type) {
        case 'moved':
          if (e.from.kind === 'balance' || e.from.kind === 'isolated') this.dirty.add(e.from.sub);
          if (e.to.kind === 'balance' || e.to.kind === 'isolated') this.dirty.add(e.to.sub);
          break;
        case 'traded':
          this.dirty.add(e.buyer);
          this.dirty.add(e.seller);
          this.epoch++;
          break;
        case 'prices_updated': {
          const seen = (k: string, v: bigint) => {
            if (this.lastPrices.get(k) !== v) {
              this.lastPrices.set(k, v);
              this.epoch++;
            }
          };
          for (const [m, px] of e.marks) seen(`mark:${m}`, px);
          for (const [a, px] of e.assets) seen(`asset:${a}`, px);
          for (const [a, r] of e.exchangeRates) seen(`rate:${a}`, r);
          break;
        }
        case 'margin_mode_set':
        case 'leverage_set':
          this.dirty.add(e.sub);
          break;
        case 'funding_settled':
          this.epoch++;
          for (const key of this.state.markets.get(e.market)?.holders ?? []) this.dirty.add(key);
          break;
        case 'position_funding_settled':
          this.dirty.add(e.sub);
          break;
        case 'expiry_settled':
        case 'market_configured':
        case 'asset_configured':
        case 'interest_accrued': // every balance of the asset changed
          this.epoch++;
          this.allDirty = true;
          break;
        default:
          break;
      }
    }
  }

  /** Confirmed liquidatable scopes at the current marks, in a deterministic order. */
  candidates(): IndexCandidate[] {
    this.refresh();
    const state = this.state;
    const out: IndexCandidate[] = [];
    const confirm = (
      e: { subKey: string; ref: SubaccountRef; scope: Scope },
      fromIndex: boolean,
    ): boolean => {
      const sub = state.subaccounts.get(e.subKey);
      if (!sub) return false;
      this.stats.exactEvaluations++;
      let bad: boolean;
      try {
        bad = isLiquidatable(evaluate(state, viewOf(state, sub, e.scope)));
      } catch (err) {
        if (err instanceof MissingPriceError) return false;
        throw err;
      }
      if (!bad) {
        if (fromIndex) this.stats.unconfirmed++;
        return true;
      }
      const command =
        e.scope.kind === 'isolated'
          ? { subaccount: e.ref, isolatedMarket: e.scope.market }
          : { subaccount: e.ref };
      out.push({ ref: e.ref, subKey: e.subKey, scope: e.scope, command });
      return false;
    };
    for (const [marketId, idx] of this.markets) {
      const mark = state.markets.get(marketId)?.markPx8;
      if (mark === undefined) continue;
      // Longs: liqPx + band ≥ mark. Walk down from the top until below mark − maxBand.
      for (let i = idx.longs.length - 1; i >= 0; i--) {
        const e = idx.longs[i]!;
        if (e.liqPx8 + idx.maxBandPx8 < mark) break;
        if (e.liqPx8 + e.bandPx8 >= mark) confirm(e, true);
      }
      // Shorts: liqPx − band ≤ mark. Walk up from the bottom.
      for (const e of idx.shorts) {
        if (e.liqPx8 - idx.maxBandPx8 > mark) break;
        if (e.liqPx8 - e.bandPx8 <= mark) confirm(e, true);
      }
    }
    for (const e of this.exact.values()) {
      if (e.healthyAt === this.epoch) {
        this.stats.skippedUnchanged++;
        continue;
      }
      e.healthyAt = confirm(e, false) ? this.epoch : -1;
    }
    return out;
  }

  /** Recomputes the entries of every dirty subaccount. */
  refresh(): void {
    const state = this.state;
    if (this.allDirty) {
      this.allDirty = false;
      this.dirty.clear();
      this.bySub.clear();
      this.markets.clear();
      this.exact.clear();
      this.stats.indexedScopes = 0;
      this.stats.exactScopes = 0;
      this.stats.neverLiquidatable = 0;
      for (const s of state.subaccounts.values()) this.add(s);
      return;
    }
    if (this.dirty.size === 0) return;
    for (const key of this.dirty) {
      this.remove(key);
      const s = state.subaccounts.get(key);
      if (s) this.add(s);
    }
    this.dirty.clear();
  }

  private remove(subKey: string): void {
    const entries = this.bySub.get(subKey);
    if (!entries) return;
    for (const e of entries.indexed) {
      const idx = this.markets.get(e.market)!;
      const arr = e.long ? idx.longs : idx.shorts;
      const i = lowerBound(arr, e);
      if (arr[i] !== e) throw new Error(`liquidation-price index: index entry ${e.id} not found`);
      arr.splice(i, 1);
      this.stats.indexedScopes--;
    }
    for (const e of entries.exact) {
      this.exact.delete(e.id);
      this.stats.exactScopes--;
    }
    this.stats.neverLiquidatable -= entries.never;
    this.bySub.delete(subKey);
  }

  private add(s: ReadonlySubaccount): void {
    if (s.positions.size === 0) return;
    const state = this.state;
    const entries = { indexed: [] as IndexEntry[], exact: [] as ExactEntry[], never: 0 };
    const settlement = state.settlement.id;
    let otherCollateral = false;
    for (const [asset, bal] of s.balances) if (asset !== settlement && bal !== 0n) otherCollateral = true;
    const crossPositions = [...s.positions.values()].filter((p) => !p.isolated);

    const place = (scope: Scope, market: string | undefined) => {
      const id = `${s.key}|${scope.kind === 'cross' ? 'cross' : `isolated:${scope.market}`}`;
      const m = market === undefined ? undefined : state.markets.get(market);
      // Inverse markets: the rounding band below is the linear one (valueDivisor / |size|), so
      // they are evaluated exactly at every step instead.
      if (
        market === undefined ||
        m === undefined ||
        m.config.margin.kind === 'openInterestScaled' ||
        m.config.contractType === 'inverse'
      ) {
        const e: ExactEntry = { id, subKey: s.key, ref: s.ref, scope, healthyAt: -1 };
        entries.exact.push(e);
        this.exact.set(id, e);
        this.stats.exactScopes++;
        return;
      }
      const view = scope.kind === 'cross' ? crossView(s) : isolatedView(state, s, market);
      this.stats.recomputations++;
      const liq = liquidationPrice(state, view, market);
      if (liq === null) {
        // No price in (0, 1e12] triggers it (e.g. a long with more collateral than its entry value).
        entries.never++;
        this.stats.neverLiquidatable++;
        return;
      }
      const size = view.positions[0]!.size;
      const absSize = size < 0n ? -size : size;
      const bandPx8 = (10n * valueDivisor(state.settlement.decimals)) / absSize + 1n;
      const e: IndexEntry = {
        id,
        subKey: s.key,
        ref: s.ref,
        scope,
        market,
        long: size > 0n,
        liqPx8: liq,
        bandPx8,
      };
      let idx = this.markets.get(market);
      if (!idx) {
        idx = { longs: [], shorts: [], maxBandPx8: 0n };
        this.markets.set(market, idx);
      }
      const arr = e.long ? idx.longs : idx.shorts;
      arr.splice(lowerBound(arr, e), 0, e);
      if (bandPx8 > idx.maxBandPx8) idx.maxBandPx8 = bandPx8;
      entries.indexed.push(e);
      this.stats.indexedScopes++;
    };

    for (const p of s.positions.values()) {
      if (p.isolated) place({ kind: 'isolated', market: p.market }, p.market);
    }
    if (crossPositions.length > 0) {
      const single = crossPositions.length === 1 && !otherCollateral;
      place({ kind: 'cross' }, single ? crossPositions[0]!.market : undefined);
    }
    if (entries.indexed.length > 0 || entries.exact.length > 0 || entries.never > 0)
      this.bySub.set(s.key, entries);
  }
}
