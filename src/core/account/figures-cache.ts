/**
 * Cached cross-scope figures per subaccount, kept up to date incrementally: the figures of a
 * cross scope are exact sums of per-part terms (the collateral, each position's PnL,
 * requirements and positive-health haircut, each market's order reservation), so after a fill
 * only the traded market's terms and the collateral are recomputed, not every position.
 *
 * Why: the pre-trade check and each side of a fill read the cross figures of an account; with
 * ten positions the naive `evaluate` prices all ten (bigint divisions, size-premium square
 * roots) twice per call. With this cache a check reprices one market.
 *
 * Exactness: every term is computed by `evaluate` itself (on a one-part view), and the totals
 * are the same sums `evaluate` forms, so a cached figure equals the naive one to the unit
 * (figures-cache.prop.test.ts checks it on random command sequences with crashes). The engine
 * calls `noteEvent` before applying each event: an event that touches one subaccount marks its
 * parts dirty; anything else (prices, funding, configuration, open-interest-scaled markets)
 * drops the whole cache.
 *
 * Portfolio-margin subaccounts: their requirement is not a sum over positions, so the cache keeps
 * the additive terms (PnL, haircuts, reservations, collateral at full value) as for any account
 * and the book's portfolio rows (portfolio-scope.ts PortfolioScopeRows): a change in one market
 * re-derives and re-prices only that market's row, and the requirement is re-aggregated from
 * the cached columns, equal to the bit to the full recomputation. It reads the clock (time to
 * expiry), so those figures are also recomputed when the engine's time moved.
 */
import { scalesInitWeights } from '../collateral/bank-totals.ts';
import { InlineMap } from '../model/inline-map.ts';
import type { ReadonlyEngineState, ReadonlySubaccount } from '../model/state.ts';
import {
  evaluate,
  marketOrdersReservation,
  type PositionFigures,
  positionFiguresAt,
  reservationInitialAt,
  reservationPositionSize,
  type ScopeFigures,
  type ScopeView,
  scopeFiguresFromSums,
} from './figures.ts';
import { addOrderTerms, type OrderLite, type OrderSums, reservationFromSums } from './open-orders.ts';
import { positiveHealthHaircut } from './pnl-haircut.ts';
import { bookFiguresQuote, bookInitialWithTrade } from './portfolio-book.ts';
import { PortfolioScopeRows, portfolioFiguresQuote } from './portfolio-scope.ts';
import { markOf, type PositionLite } from './prices.ts';

/** One position's additive terms (what it adds to the scope's sums). */
interface PositionTerms {
  readonly figures: PositionFigures;
  readonly pnl: bigint;
  readonly initial: bigint;
  readonly maintenance: bigint;
  readonly haircutInit: bigint;
  readonly haircutMaint: bigint;
}

interface Collateral {
  readonly init: bigint;
  readonly maint: bigint;
  readonly raw: bigint;
}

interface SubEntry {
  readonly sub: ReadonlySubaccount;
  collateral: Collateral | undefined;
  readonly positions: InlineMap<string, PositionTerms>;
  /** Reservation per market with resting orders (cross scope). */
  readonly reservations: Map<string, bigint>;
  /**
   * Per market, the sums and initial margins behind its reservation, for a hypothetical extra
   * order (crossFiguresWithOrder); computed on first use, dropped when the market turns dirty.
   */
  readonly orderParts: Map<string, OrderParts>;
  /**
   * The terms last computed for a hypothetical position (a fill's margin check): when the
   * position then becomes exactly that, refresh takes them instead of pricing it again.
   */
  pending: PendingTerms | undefined;
  /** Markets whose position terms and reservation must be recomputed. */
  readonly dirty: Set<string>;
  figures: ScopeFigures | undefined;
  /** The position terms' sums behind `figures`, patched as markets' terms are recomputed. */
  sums: Sums | undefined;
  /** Portfolio-margin subaccount: its book's rows, and the engine time `figures` were computed at. */
  readonly portfolio: PortfolioScopeRows | undefined;
  figuresTimeMs: number;
}

/** A market's reservation terms: its orders' sums and the initial margins they are measured by. */
interface OrderParts {
  readonly sums: Readonly<OrderSums>;
  /** The position size the orders are reserved against. */
  readonly size: bigint;
  readonly base: bigint;
  /** Initial margin at size + bids (0 when there are no bids) and at size − asks. */
  readonly imBids: bigint;
  readonly imAsks: bigint;
}

interface PendingTerms {
  readonly market: string;
  readonly size: bigint;
  readonly entryValue: bigint;
  readonly cap: bigint | undefined;
  readonly terms: PositionTerms;
  /**
   * The sums the check read (the entry's own object, not patched since: every refresh drops
   * `pending`), the market's terms it replaced, and the patched sums it computed for its own
   * figures: PnL, initial margin and initial haircut with `terms` in place of `old`. A refresh
   * whose only change is the position becoming exactly this one takes them instead of adding
   * and subtracting the same bigints again.
   */
  readonly sums: Sums;
  readonly old: PositionTerms | undefined;
  readonly upnl: bigint;
  readonly im: bigint;
  readonly hcInit: bigint;
}

interface Sums {
  upnl: bigint;
  im: bigint;
  mm: bigint;
  hcInit: bigint;
  hcMaint: bigint;
  reserved: bigint;
  /** In the subaccount's position order; rebuilt after a market's terms changed. */
  positions: PositionFigures[] | undefined;
}

interface StateCache {
  subs: Map<string, SubEntry>;
}

const caches = new WeakMap<object, StateCache>();
/** At most this many subaccounts cached per state (the oldest entered is dropped first). */
export const MAX_CACHED_SUBACCOUNTS = 10_000;
let enabled = true;

/** Turns the cache off (every read computes naively) or back on: for tests comparing both paths. */
export function setFiguresCacheEnabled(on: boolean): void {
  enabled = on;
}

function cacheOf(state: ReadonlyEngineState): StateCache {
  let c = caches.get(state);
  if (c === undefined) {
    c = { subs: new Map() };
    caches.set(state, c);
  }
  return c;
}

/** Forgets every cached figure of `state` (after it was replaced wholesale, or anything global changed). */
export function invalidateAllFigures(state: ReadonlyEngineState): void {
  const c = caches.get(state);
  if (c !== undefined && c.subs.size > 0) c.subs = new Map();
}

/** Marks one market of a subaccount dirty (its position terms and order reservation). */
export function invalidateMarket(state: ReadonlyEngineState, subKey: string, market: string): void {
  const e = caches.get(state)?.subs.get(subKey);
  if (e === undefined) return;
  e.dirty.add(market);
  e.figures = undefined; // the sums are patched when the market's terms are recomputed (refresh)
}

/** Marks a subaccount's collateral dirty. */
export function invalidateCollateral(state: ReadonlyEngineState, subKey: string): void {
  const e = caches.get(state)?.subs.get(subKey);
  if (e === undefined) return;
  e.collateral = undefined;
  e.figures = undefined; // the position sums do not read the collateral
}

/** Forgets one subaccount's cached figures. */
export function invalidateSubaccount(state: ReadonlyEngineState, subKey: string): void {
  caches.get(state)?.subs.delete(subKey);
}

const NO_ORDERS: readonly OrderLite[] = Object.freeze([]);
const CROSS = Object.freeze({ kind: 'cross' as const });

/** Is the subaccount margined on its whole book (portfolio-scope.ts)? */
function isPortfolio(state: ReadonlyEngineState, sub: ReadonlySubaccount): boolean {
  return sub.portfolioMargin === true && state.portfolio !== undefined;
}

function collateralOf(state: ReadonlyEngineState, sub: ReadonlySubaccount): Collateral {
  // Only the settlement asset held (or nothing): evaluate counts it at face value in all three
  // figures, a portfolio book too.
  const n = sub.balances.size;
  const settled = n === 1 ? sub.balances.get(state.settlement.id) : undefined;
  if (n === 0 || settled !== undefined) {
    const v = settled ?? 0n;
    return { init: v, maint: v, raw: v };
  }
  const f = evaluate(state, {
    sub,
    scope: CROSS,
    positions: [],
    balances: sub.balances,
    settlementDelta: 0n,
    orders: NO_ORDERS,
    standalone: true,
  });
  // A portfolio book counts its collateral at full value: its price risk is in the scenarios.
  if (isPortfolio(state, sub))
    return { init: f.collateralRawQuote, maint: f.collateralRawQuote, raw: f.collateralRawQuote };
  return { init: f.collateralInitialQuote, maint: f.collateralMaintenanceQuote, raw: f.collateralRawQuote };
}

/**
 * The terms one (non-zero) cross position adds: what `evaluate` adds to its sums for it, by the
 * same per-position computation (positionFiguresAt, positiveHealthHaircut). The maintenance is
 * the position's own: the fee to close depends on the whole scope's equity and is added once, to
 * the sums (scopeFiguresFromSums). Cached states have no lazy funding (cacheable).
 */
function termsOf(state: ReadonlyEngineState, sub: ReadonlySubaccount, p: PositionLite): PositionTerms {
  const market = state.markets.get(p.market)!;
  const f = positionFiguresAt(state, market, sub, p, 0n);
  const pnl = f.unrealizedPnlQuote;
  const cut = positiveHealthHaircut(
    market.config.positiveHealthWeight,
    pnl,
    f.initialQuote,
    f.maintenanceQuote,
  );
  return {
    figures: f,
    pnl,
    initial: f.initialQuote,
    maintenance: f.maintenanceQuote,
    haircutInit: cut.initialQuote,
    haircutMaint: cut.maintenanceQuote,
  };
}

/** The cross scope's positions as `crossView` lists them (one allocation per call). */
function crossPositions(sub: ReadonlySubaccount): PositionLite[] {
  const out: PositionLite[] = [];
  for (const p of sub.positions.values()) if (!p.isolated) out.push(p);
  return out;
}

/** The reservation of `orders` (all in `market`) for the cross scope, with `positions` held. */
function reservationOf(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  positions: readonly PositionLite[],
  market: string,
  orders: readonly OrderLite[],
): bigint {
  if (orders.length === 0) return 0n;
  const view: ScopeView = { sub, scope: CROSS, positions, balances: sub.balances, settlementDelta: 0n };
  return marketOrdersReservation(state, view, market, orders).totalQuote;
}

/** The subaccount's leverage cap in `market` (most have none: the empty map is not searched). */
function capOf(sub: ReadonlySubaccount, market: string): bigint | undefined {
  return sub.maxLeverage.size > 0 ? sub.maxLeverage.get(market) : undefined;
}

/** Does the subaccount have resting orders in `market`? (without building their list) */
function hasOrdersIn(state: ReadonlyEngineState, subKey: string, market: string): boolean {
  const mine = state.ordersBySub.size > 0 ? state.ordersBySub.get(subKey) : undefined;
  if (mine !== undefined) for (const o of mine.values()) if (o.market === market) return true;
  return false;
}

function ordersIn(state: ReadonlyEngineState, subKey: string, market: string): OrderLite[] {
  const out: OrderLite[] = [];
  const mine = state.ordersBySub.get(subKey);
  if (mine !== undefined) for (const o of mine.values()) if (o.market === market) out.push(o);
  return out;
}

function fresh(state: ReadonlyEngineState, sub: ReadonlySubaccount): SubEntry {
  const e: SubEntry = {
    sub,
    collateral: undefined,
    positions: new InlineMap(),
    reservations: new Map(),
    orderParts: new Map(),
    pending: undefined,
    dirty: new Set(),
    figures: undefined,
    sums: undefined,
    portfolio: isPortfolio(state, sub) ? new PortfolioScopeRows() : undefined,
    figuresTimeMs: state.timeMs,
  };
  const cross = crossPositions(sub);
  for (const p of cross) if (p.size !== 0n) e.positions.set(p.market, termsOf(state, sub, p));
  const byMarket = new Map<string, OrderLite[]>();
  for (const o of state.ordersBySub.get(sub.key)?.values() ?? []) {
    const list = byMarket.get(o.market);
    if (list) list.push(o);
    else byMarket.set(o.market, [o]);
  }
  for (const [m, list] of byMarket) e.reservations.set(m, reservationOf(state, sub, cross, m, list));
  return e;
}

function refresh(state: ReadonlyEngineState, e: SubEntry): void {
  const sub = e.sub;
  if (e.collateral === undefined) e.collateral = collateralOf(state, sub);
  if (e.dirty.size > 0) {
    let cross: PositionLite[] | undefined; // only markets with orders read it
    const sums = e.sums;
    for (const m of e.dirty) {
      // (empty maps, the common case of an account without resting orders, are not searched)
      if (e.orderParts.size > 0) e.orderParts.delete(m);
      const p = sub.positions.get(m);
      const old = e.positions.get(m);
      const oldReserved = e.reservations.size > 0 ? (e.reservations.get(m) ?? 0n) : 0n;
      let t: PositionTerms | undefined;
      let patched: PendingTerms | undefined;
      if (p !== undefined && !p.isolated && p.size !== 0n) {
        // The terms depend on the position's market, size and entry value, the leverage cap and
        // the market (its mark and configuration: any change to those drops the whole cache).
        const q = e.pending;
        if (
          q !== undefined &&
          q.market === m &&
          q.size === p.size &&
          q.entryValue === p.entryValue &&
          q.cap === capOf(sub, m)
        ) {
          t = q.terms;
          // the check's patched sums hold when they were computed from these very sums and terms
          // and this market is the only change
          if (q.sums === sums && q.old === old && e.dirty.size === 1) patched = q;
        } else t = termsOf(state, sub, p);
        e.positions.set(m, t);
      } else e.positions.delete(m);
      if (hasOrdersIn(state, sub.key, m))
        e.reservations.set(
          m,
          reservationOf(state, sub, (cross ??= crossPositions(sub)), m, ordersIn(state, sub.key, m)),
        );
      else if (e.reservations.size > 0) e.reservations.delete(m);
      if (sums !== undefined) {
        // exact (bigint) patch: the sums stay Σ over the current terms
        if (patched !== undefined && t !== undefined) {
          // the same patch, its PnL, initial margin and haircut already formed by the check
          sums.upnl = patched.upnl;
          sums.im = patched.im;
          sums.hcInit = patched.hcInit;
          if (old !== undefined) {
            sums.mm -= old.maintenance;
            if (old.haircutMaint !== 0n) sums.hcMaint -= old.haircutMaint;
          }
          sums.mm += t.maintenance;
          if (t.haircutMaint !== 0n) sums.hcMaint += t.haircutMaint;
        } else {
          if (old !== undefined) subtractTerms(sums, old);
          if (t !== undefined) addTerms(sums, t);
        }
        const reserved = e.reservations.size > 0 ? (e.reservations.get(m) ?? 0n) : 0n;
        if (reserved !== oldReserved) sums.reserved += reserved - oldReserved;
        sums.positions = undefined;
      }
    }
    e.dirty.clear();
  }
  e.pending = undefined;
}

function entryFor(state: ReadonlyEngineState, sub: ReadonlySubaccount): SubEntry {
  const c = cacheOf(state);
  let e = c.subs.get(sub.key);
  if (e !== undefined && e.sub !== sub) e = undefined;
  try {
    if (e === undefined) {
      e = fresh(state, sub);
      // Bounded: a venue with a million accounts keeps the most recently entered ones only.
      if (c.subs.size >= MAX_CACHED_SUBACCOUNTS) c.subs.delete(c.subs.keys().next().value!);
      c.subs.set(sub.key, e);
    }
    refresh(state, e);
  } catch (err) {
    c.subs.delete(sub.key); // a missing price mid-way: leave nothing half-computed behind
    throw err;
  }
  return e;
}

function cacheable(state: ReadonlyEngineState): boolean {
  // Drift's arithmetic evaluates a whole account in its own integer passes; its parts are not
  // shown to add up here (the property test covers the engine's arithmetic), so it is not cached.
  if (state.config.marginArithmetic === 'drift-v2') return false;
  // Lazy funding adds a whole-scope term (unsettled funding), outside the per-part sums.
  if (state.config.fundingSettlement === 'lazy') return false;
  // Init weights scaled by venue-wide bank totals (Mango): any account's deposit or borrow changes
  // every holder's collateral, which the per-subaccount invalidation does not track.
  if (scalesInitWeights(state)) return false;
  return enabled;
}

function crossViewOf(sub: ReadonlySubaccount): ScopeView {
  return { sub, scope: CROSS, positions: crossPositions(sub), balances: sub.balances, settlementDelta: 0n };
}

/**
 * The figures of the subaccount's cross scope (with its resting orders): equal to
 * `evaluate(state, crossView(sub))`. The returned object is shared: do not change it.
 */
export function cachedCrossFigures(state: ReadonlyEngineState, sub: ReadonlySubaccount): ScopeFigures {
  if (!cacheable(state)) return evaluate(state, crossViewOf(sub));
  const e = entryFor(state, sub);
  if (e.figures !== undefined && (e.portfolio === undefined || e.figuresTimeMs === state.timeMs))
    return e.figures;
  const s = sumsOf(state, e);
  let im = s.im;
  let mm = s.mm;
  if (e.portfolio !== undefined) {
    // the kept book (portfolio-book.ts) when it reproduces the model, else the lean full path
    const pm =
      bookFiguresQuote(state, sub, e.portfolio) ??
      portfolioFiguresQuote(state, crossPositions(sub), undefined, sub.balances, e.portfolio);
    im = pm.initialQuote;
    mm = pm.maintenanceQuote;
  }
  e.figuresTimeMs = state.timeMs;
  e.figures = scopeFiguresFromSums({
    collateral: e.collateral!,
    unrealizedPnl: s.upnl,
    haircut: { init: s.hcInit, maint: s.hcMaint },
    initialMargin: im,
    maintenanceMargin: mm,
    reserved: s.reserved,
    positions: (s.positions ??= positionFiguresOf(e)),
    crossCloseFees: true,
  });
  return e.figures;
}

function addTerms(s: Sums, t: PositionTerms): void {
  s.upnl += t.pnl;
  s.im += t.initial;
  s.mm += t.maintenance;
  if (t.haircutInit !== 0n) s.hcInit += t.haircutInit;
  if (t.haircutMaint !== 0n) s.hcMaint += t.haircutMaint;
}

function subtractTerms(s: Sums, t: PositionTerms): void {
  s.upnl -= t.pnl;
  s.im -= t.initial;
  s.mm -= t.maintenance;
  if (t.haircutInit !== 0n) s.hcInit -= t.haircutInit;
  if (t.haircutMaint !== 0n) s.hcMaint -= t.haircutMaint;
}

/** The subaccount's cross position figures in its position order (as evaluate lists them). */
function positionFiguresOf(e: SubEntry): PositionFigures[] {
  const out: PositionFigures[] = [];
  for (const p of e.sub.positions.values()) {
    if (p.isolated || p.size === 0n) continue;
    out.push(e.positions.get(p.market)!.figures);
  }
  return out;
}

/** The entry's additive sums (standalone requirements; a portfolio book replaces IM and MM). */
function sumsOf(state: ReadonlyEngineState, e: SubEntry): Sums {
  if (e.sums !== undefined) return e.sums;
  const sub = e.sub;
  let upnl = 0n;
  let im = 0n;
  let mm = 0n;
  let hcInit = 0n;
  let hcMaint = 0n;
  const positions: PositionFigures[] = [];
  // In the subaccount's position order, as evaluate lists them.
  for (const p of sub.positions.values()) {
    if (p.isolated || p.size === 0n) continue;
    let t = e.positions.get(p.market);
    if (t === undefined) {
      t = termsOf(state, sub, p);
      e.positions.set(p.market, t);
    }
    upnl += t.pnl;
    im += t.initial;
    mm += t.maintenance;
    hcInit += t.haircutInit;
    hcMaint += t.haircutMaint;
    positions.push(t.figures);
  }
  let reserved = 0n;
  for (const r of e.reservations.values()) reserved += r;
  e.sums = { upnl, im, mm, hcInit, hcMaint, reserved, positions };
  return e.sums;
}

/** The figures a cross-scope decision needs after a hypothetical change in one market. */
export interface CrossChange {
  readonly initialMarginQuote: bigint;
  readonly openOrderInitialMarginQuote: bigint;
  readonly freeCollateralQuote: bigint;
}

/**
 * The cross scope's figures if, in `market` only, the position became `next` (undefined: as it
 * is) and the resting orders there became `orders` (undefined: as they are), with
 * `settlementDelta` added to the settlement balance. Equal to `evaluate` on the same
 * hypothetical view (`withPosition`, the orders replaced); only that market is repriced.
 */
export function crossFiguresWithChange(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  market: string,
  next: PositionLite | undefined,
  orders: readonly OrderLite[] | undefined,
  settlementDelta: bigint,
): CrossChange {
  if (!cacheable(state)) return naiveChange(state, sub, market, next, orders, settlementDelta);
  let freeInit: bigint;
  let im: bigint;
  let reserved: bigint;
  let e: SubEntry;
  /** The new position's terms are already in freeInit and im (a margined account's fill check). */
  let termsIn = false;
  const portfolio = isPortfolio(state, sub);
  if (portfolio) {
    // Only the additive sums: the book's requirement is computed once, on the changed book, below.
    e = entryFor(state, sub);
    const s = sumsOf(state, e);
    freeInit = e.collateral!.init + s.upnl - s.hcInit + settlementDelta;
    im = 0n;
    reserved = s.reserved;
  } else {
    // The cached figures' equity (initial), IM and reservation, straight from their sums
    // (scopeFiguresFromSums) without building the figures object.
    e = entryFor(state, sub);
    const s = sumsOf(state, e);
    reserved = s.reserved;
    if (next !== undefined && next.size !== 0n) {
      // The fill's check: the sums patched with the new position's terms, kept for the refresh
      // after the trade (the same values it would form).
      const old = e.positions.get(market);
      const t = termsOf(state, sub, next);
      let upnl = s.upnl;
      let hcInit = s.hcInit;
      im = s.im;
      if (old !== undefined) {
        upnl -= old.pnl;
        im -= old.initial;
        if (old.haircutInit !== 0n) hcInit -= old.haircutInit;
      }
      upnl += t.pnl;
      im += t.initial;
      if (t.haircutInit !== 0n) hcInit += t.haircutInit;
      freeInit = e.collateral!.init + upnl - hcInit + settlementDelta;
      const cap = capOf(sub, market);
      e.pending = {
        market,
        size: next.size,
        entryValue: next.entryValue,
        cap,
        terms: t,
        sums: s,
        old,
        upnl,
        im,
        hcInit,
      };
      termsIn = true;
    } else {
      freeInit = e.collateral!.init + s.upnl - s.hcInit + settlementDelta;
      im = s.im;
    }
  }
  let positions: readonly PositionLite[] | undefined;
  if (next !== undefined && !termsIn) {
    const old = e.positions.get(market);
    if (old !== undefined) {
      freeInit -= old.pnl - old.haircutInit;
      im -= old.initial;
    }
    // (a portfolio book's change, or a position closed: nothing kept for the refresh)
    if (next.size !== 0n) {
      const t = termsOf(state, sub, next);
      freeInit += t.pnl - t.haircutInit;
      im += t.initial;
    }
  }
  const held = sub.positions.get(market);
  const isolated = held?.isolated ?? sub.isolatedMarkets.has(market);
  // The reservation reads the cross position's size; an isolated market's orders read the held one.
  const repriceOrders = orders !== undefined || (next !== undefined && !isolated);
  const list = repriceOrders
    ? (orders ?? (hasOrdersIn(state, sub.key, market) ? ordersIn(state, sub.key, market) : NO_ORDERS))
    : undefined;
  // no orders there, before or after: nothing reserved to reprice (the common fill)
  if (list !== undefined && (list.length > 0 || (e.reservations.size > 0 && e.reservations.has(market)))) {
    if (next !== undefined && !isolated) {
      const cross = crossPositions(sub).filter((p) => p.market !== market);
      if (next.size !== 0n) cross.push(next);
      positions = cross;
    } else positions = crossPositions(sub);
    reserved -= e.reservations.get(market) ?? 0n;
    reserved += reservationOf(state, sub, positions, market, list);
  }
  if (portfolio) {
    if (next === undefined) {
      // Only orders change (an order check): the book is the cached one, in the same order, so
      // its requirement is the cached figures' (computed once per book and clock, not per check).
      im = cachedCrossFigures(state, sub).initialMarginQuote;
    } else {
      // The changed book in the order evaluate sees it (naiveChange: the market's position
      // last): from the kept book, only the traded market's underlying re-summed
      // (portfolio-book.ts); else its rows re-derived only where they changed.
      const fast = bookInitialWithTrade(state, sub, e.portfolio!, market, next);
      if (fast !== undefined) im = fast;
      else {
        const book = crossPositions(sub).filter((p) => p.market !== market);
        if (next.size !== 0n) book.push(next);
        im = portfolioFiguresQuote(state, book, undefined, sub.balances, e.portfolio).initialQuote;
      }
    }
  }
  return {
    initialMarginQuote: im,
    openOrderInitialMarginQuote: reserved,
    freeCollateralQuote: freeInit - im - reserved,
  };
}

/**
 * The cross scope's figures if `order` were added to the resting orders of its market: equal to
 * `crossFiguresWithChange(state, sub, order.market, undefined, [...that market's orders, order], 0n)`.
 * With the cache, the market's resting orders are not priced again: the order's terms are added
 * to their cached sums (the reservation is a sum over orders, so the total is the same to the
 * unit) and only the worst case on the order's side is measured anew. The pre-trade check and
 * `place_order` take this path.
 */
export function crossFiguresWithOrder(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  order: OrderLite,
): CrossChange {
  const market = order.market;
  if (!cacheable(state) || isPortfolio(state, sub))
    return crossFiguresWithChange(
      state,
      sub,
      market,
      undefined,
      [...ordersIn(state, sub.key, market), order],
      0n,
    );
  const base = cachedCrossFigures(state, sub);
  const e = entryFor(state, sub);
  let parts = e.orderParts.get(market);
  if (parts === undefined) {
    parts = orderPartsOf(state, sub, market, ordersIn(state, sub.key, market));
    e.orderParts.set(market, parts);
  }
  const m = state.markets.get(market)!;
  const mark = markOf(m);
  const cfg = m.config;
  const sums: OrderSums = {
    bids: parts.sums.bids,
    asks: parts.sums.asks,
    loss: parts.sums.loss,
    fee: parts.sums.fee,
  };
  addOrderTerms(sums, order, mark, cfg.takerFee, state.settlement.decimals, cfg);
  const cap = sub.maxLeverage.get(market);
  // only the side the order adds to has a new worst case
  const imBids =
    sums.bids === parts.sums.bids
      ? parts.imBids
      : reservationInitialAt(state, m, parts.size + sums.bids, mark, cap);
  const imAsks =
    sums.asks === parts.sums.asks
      ? parts.imAsks
      : reservationInitialAt(state, m, parts.size - sums.asks, mark, cap);
  const total = reservationFromSums(sums, parts.base, imBids, imAsks).totalQuote;
  const reserved = base.openOrderInitialMarginQuote - (e.reservations.get(market) ?? 0n) + total;
  const im = base.initialMarginQuote;
  return {
    initialMarginQuote: im,
    openOrderInitialMarginQuote: reserved,
    freeCollateralQuote: base.equityInitialQuote - im - reserved,
  };
}

/** A market's reservation terms for the cross scope as it is (marketOrdersReservation's, kept apart). */
function orderPartsOf(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  market: string,
  orders: readonly OrderLite[],
): OrderParts {
  const m = state.markets.get(market)!;
  const mark = markOf(m);
  const cfg = m.config;
  const view: ScopeView = {
    sub,
    scope: CROSS,
    positions: crossPositions(sub),
    balances: sub.balances,
    settlementDelta: 0n,
  };
  const size = reservationPositionSize(view, market);
  const sums: OrderSums = { bids: 0n, asks: 0n, loss: 0n, fee: 0n };
  for (const o of orders) addOrderTerms(sums, o, mark, cfg.takerFee, state.settlement.decimals, cfg);
  const cap = sub.maxLeverage.get(market);
  return {
    sums,
    size,
    base: reservationInitialAt(state, m, size, mark, cap),
    imBids: sums.bids > 0n ? reservationInitialAt(state, m, size + sums.bids, mark, cap) : 0n,
    imAsks: sums.asks > 0n ? reservationInitialAt(state, m, size - sums.asks, mark, cap) : 0n,
  };
}

/** `crossFiguresWithChange` the slow way: one full evaluate of the hypothetical view. */
export function naiveChange(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  market: string,
  next: PositionLite | undefined,
  orders: readonly OrderLite[] | undefined,
  settlementDelta: bigint,
): CrossChange {
  let positions = crossPositions(sub);
  if (next !== undefined) {
    positions = positions.filter((p) => p.market !== market);
    if (next.size !== 0n) positions.push(next);
  }
  let all: readonly OrderLite[] | undefined;
  if (orders !== undefined) {
    const others = [...(state.ordersBySub.get(sub.key)?.values() ?? [])].filter((o) => o.market !== market);
    all = [...others, ...orders];
  }
  const f = evaluate(state, {
    sub,
    scope: CROSS,
    positions,
    balances: sub.balances,
    settlementDelta,
    ...(all !== undefined ? { orders: all } : {}),
  });
  return {
    initialMarginQuote: f.initialMarginQuote,
    openOrderInitialMarginQuote: f.openOrderInitialMarginQuote,
    freeCollateralQuote: f.freeCollateralQuote,
  };
}
