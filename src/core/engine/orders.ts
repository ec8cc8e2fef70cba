/**
 * Resting orders (docs/orders.md): placing, amending and cancelling them, and what fills,
 * liquidations and expiries do to them. An order holds no money; while it rests, the initial
 * margin of the worst case it could add (account/open-orders.ts) is reserved out of its
 * subaccount's cross free collateral, so every later initial-margin decision (another order,
 * a withdrawal, a transfer out, a risk-increasing fill, a borrow) sees it. Maintenance never
 * does: orders never bring a liquidation closer.
 *
 * `decidePlaceOrder` is the one decision: the `place_order` handler and the read-only
 * `checkOrder` (order-check.ts) both call it, so they cannot disagree.
 */
import { crossView, type ScopeView } from '../account/figures.ts';
import type { CrossChange } from '../account/figures-cache.ts';
import type { OrderLite } from '../account/open-orders.ts';
import { inSafeMode, type Order, type ReadonlyEngineState, type Subaccount } from '../model/state.ts';
import type { Command } from './commands.ts';
import type { CommandContext } from './context.ts';
import { reject } from './errors.ts';
import type { OrderCancelReason, OrderRecord } from './events.ts';
import { checkOpen, checkOrderLimits, checkSizeAndTick } from './market-checks.ts';
import * as fmt from './message-units.ts';
import { commandNow, refuseWhileCrossUnsafe } from './price-trust.ts';

/** At most this many resting orders per subaccount (each is priced on every margin check). */
export const MAX_OPEN_ORDERS_PER_SUBACCOUNT = 1000;

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

/** What placing an order would do to its subaccount's cross scope. */
export interface OrderDecision {
  readonly order: OrderRecord;
  readonly before: CrossChange;
  readonly after: CrossChange;
  /** after − before open-order initial margin: what this order reserves. */
  readonly orderInitialMarginQuote: bigint;
}

function subOrders(state: ReadonlyEngineState, subKey: string): OrderLite[] {
  return [...(state.ordersBySub.get(subKey)?.values() ?? [])];
}

function positionSize(sub: Subaccount, market: string): bigint {
  return sub.positions.get(market)?.size ?? 0n;
}

/**
 * Refuses a reduce-only order of `size` that could increase the position: it must be on the
 * side that closes the position, and with the other reduce-only orders on that side it may
 * close at most the whole position (Binance refuses such an order outright).
 */
function checkReduceOnly(
  state: ReadonlyEngineState,
  sub: Subaccount,
  market: string,
  side: 'buy' | 'sell',
  size: bigint,
  except?: string,
): void {
  const p = positionSize(sub, market);
  if (p === 0n || (side === 'sell') !== p > 0n)
    reject(
      'REDUCE_ONLY_REJECTED',
      `a reduce-only ${side} would not reduce the ${market} position (${fmt.qty(p)})`,
    );
  let others = 0n;
  for (const o of state.ordersBySub.get(sub.key)?.values() ?? [])
    if (o.market === market && o.reduceOnly && o.side === side && o.id !== except) others += o.size;
  const room = (p < 0n ? -p : p) - others;
  if (size > room)
    reject(
      'REDUCE_ONLY_REJECTED',
      `reduce-only orders would total ${fmt.qty(others + size)}, more than the ${market} position ${fmt.qty(p)}`,
    );
}

/** Refuses an order whose side of the book could fill the position past the market's maximum size. */
function checkWorstSize(
  sub: Subaccount,
  market: Cmd<'place_order'>['market'],
  maxSize: bigint,
  orders: readonly OrderLite[],
  side: 'buy' | 'sell',
): void {
  let sideTotal = 0n;
  for (const o of orders) if (o.market === market && !o.reduceOnly && o.side === side) sideTotal += o.size;
  checkWorstTotal(sub, market, maxSize, sideTotal, side);
}

/** checkWorstSize on the side's total size of orders that can fill (not reduce-only). */
function checkWorstTotal(
  sub: Subaccount,
  market: string,
  maxSize: bigint,
  sideTotal: bigint,
  side: 'buy' | 'sell',
): void {
  const worst = positionSize(sub, market) + (side === 'buy' ? sideTotal : -sideTotal);
  if ((worst < 0n ? -worst : worst) > maxSize)
    reject(
      'POSITION_TOO_LARGE',
      `if every ${side} order filled the position would be ${fmt.qty(worst)}, beyond the market's maximum size ${fmt.qty(maxSize)}`,
    );
}

/** An order that adds risk may not be placed (or grown) while a market it touches has no trustworthy price. */
function refuseUnsafe(ctx: CommandContext, sub: Subaccount, market: string, timeMs: number | undefined) {
  const m = ctx.market(market);
  if (inSafeMode(m))
    reject('SAFE_MODE', `${market} is in safe mode: only orders that reduce risk are accepted (${sub.key})`);
  refuseWhileCrossUnsafe(ctx, market, sub, commandNow(ctx.state, timeMs), 'an order that adds risk', sub.key);
}

/** The cross scope with `orders` resting instead of the subaccount's current ones. */
function withOrders(sub: Subaccount, orders: readonly OrderLite[]): ScopeView {
  return { ...crossView(sub), orders };
}

/**
 * The decision `place_order` takes, without emitting anything: the order it would rest and
 * the cross scope before and after. Rejects (throws) exactly when the command would be rejected.
 *
 * Margin rule: an order that raises the reservation needs free collateral ≥ 0 after it
 * (reservation included); a reduce-only order reserves nothing and needs none.
 */
export function decidePlaceOrder(ctx: CommandContext, c: Cmd<'place_order'>): OrderDecision {
  ctx.checkTime(c.timeMs);
  const sub = ctx.subaccount(c.subaccount);
  const market = ctx.market(c.market);
  checkOpen(ctx, c.market, c.timeMs);
  if (ctx.state.orders.has(c.orderId))
    reject('DUPLICATE_ORDER_ID', `order id ${c.orderId} is already resting`);
  checkSizeAndTick(market, c.size, c.price);
  if (market.markPx8 === undefined) reject('NO_PRICE', `market ${c.market} has no mark price yet`);
  checkOrderLimits(market, c.side, c.size, c.price);
  const resting = ctx.state.ordersBySub.get(sub.key);
  const count = resting?.size ?? 0;
  if (count >= MAX_OPEN_ORDERS_PER_SUBACCOUNT)
    reject('TOO_MANY_ORDERS', `${sub.key} has ${count} resting orders, the most allowed`);
  const order: OrderRecord = {
    id: c.orderId,
    sub: sub.key,
    market: c.market,
    side: c.side,
    sizeQty9: c.size,
    pricePx8: c.price,
    reduceOnly: c.reduceOnly,
  };
  if (c.reduceOnly) checkReduceOnly(ctx.state, sub, c.market, c.side, c.size);
  else {
    // the side's worst case with this order resting too
    let sideTotal = c.size;
    if (resting !== undefined)
      for (const o of resting.values())
        if (o.market === c.market && !o.reduceOnly && o.side === c.side) sideTotal += o.size;
    checkWorstTotal(sub, c.market, market.config.maxPositionSize, sideTotal, c.side);
    refuseUnsafe(ctx, sub, c.market, c.timeMs);
  }
  const lite: OrderLite = {
    id: c.orderId,
    market: c.market,
    side: c.side,
    size: c.size,
    pricePx8: c.price,
    reduceOnly: c.reduceOnly,
  };
  // Only this market's orders change: the other markets' reservations stay as they are.
  const before = ctx.crossFigures(sub);
  const after = ctx.crossWithOrder(sub, lite);
  const orderIm = after.openOrderInitialMarginQuote - before.openOrderInitialMarginQuote;
  if (orderIm > 0n && after.freeCollateralQuote < 0n)
    reject(
      'INSUFFICIENT_MARGIN',
      `${sub.key}: the order reserves ${fmt.quote(ctx.state, orderIm)}; free collateral would be ${fmt.quote(ctx.state, after.freeCollateralQuote)}`,
    );
  return { order, before, after, orderInitialMarginQuote: orderIm };
}

export function placeOrder(ctx: CommandContext, c: Cmd<'place_order'>): void {
  ctx.emit({ type: 'order_placed', order: decidePlaceOrder(ctx, c).order });
}

function restingOrder(ctx: CommandContext, orderId: string): Readonly<Order> {
  const o = ctx.state.orders.get(orderId);
  if (!o) reject('UNKNOWN_ORDER', `no resting order ${orderId}`);
  return o;
}

/**
 * A new remaining size and/or limit price. When the amend raises the reservation it is
 * checked like a new order (free collateral ≥ 0 after, no unsafe market, worst-case size
 * within the market's maximum); an amend that lowers it is always accepted.
 */
export function amendOrder(ctx: CommandContext, c: Cmd<'amend_order'>): void {
  ctx.checkTime(c.timeMs);
  const o = restingOrder(ctx, c.orderId);
  const market = ctx.market(o.market);
  checkOpen(ctx, o.market, c.timeMs);
  const sub = ctx.state.subaccounts.get(o.sub)!;
  const size = c.size ?? o.size;
  const price = c.price ?? o.pricePx8;
  checkSizeAndTick(market, size, price);
  // The amended order meets the filters like a new one; the band judges a new limit only (a
  // size-only amend keeps a limit accepted earlier, though the mark may have moved since).
  checkOrderLimits(c.price === undefined ? { ...market, markPx8: undefined } : market, o.side, size, price);
  const orders = subOrders(ctx.state, sub.key).map((x) =>
    x.id === o.id ? { ...x, size, pricePx8: price } : x,
  );
  if (o.reduceOnly) checkReduceOnly(ctx.state, sub, o.market, o.side, size, o.id);
  else {
    if (size > o.size) checkWorstSize(sub, o.market, market.config.maxPositionSize, orders, o.side);
    const before = ctx.figures(crossView(sub));
    const after = ctx.figures(withOrders(sub, orders));
    if (after.openOrderInitialMarginQuote > before.openOrderInitialMarginQuote) {
      refuseUnsafe(ctx, sub, o.market, c.timeMs);
      if (after.freeCollateralQuote < 0n)
        reject(
          'INSUFFICIENT_MARGIN',
          `${sub.key}: free collateral after amending ${o.id} would be ${fmt.quote(ctx.state, after.freeCollateralQuote)}`,
        );
    }
  }
  ctx.emit({ type: 'order_amended', orderId: o.id, sizeQty9: size, pricePx8: price, reason: 'user' });
}

export function cancelOrder(ctx: CommandContext, c: Cmd<'cancel_order'>): void {
  ctx.checkTime(c.timeMs);
  const o = restingOrder(ctx, c.orderId);
  ctx.emit({ type: 'order_cancelled', orderId: o.id, reason: 'user' });
}

/**
 * The resting order a fill names for one side, checked against the fill: same market,
 * subaccount and side, size within its remainder, price at or better than its limit, and a
 * reduce-only order only reduces.
 */
export function restingOrderForFill(
  ctx: CommandContext,
  orderId: string,
  side: 'buy' | 'sell',
  sub: Subaccount,
  market: string,
  size: bigint,
  price: bigint,
): Readonly<Order> {
  const o = restingOrder(ctx, orderId);
  const mismatch = (why: string) => reject('ORDER_MISMATCH', `order ${orderId}: ${why}`);
  if (o.market !== market) mismatch(`rests in ${o.market}, the fill is in ${market}`);
  if (o.side !== side) mismatch(`is a ${o.side} order, named as the ${side} side`);
  if (o.sub !== sub.key) mismatch(`belongs to ${o.sub}, not ${sub.key}`);
  if (size > o.size) mismatch(`fill ${fmt.qty(size)} exceeds the remaining ${fmt.qty(o.size)}`);
  if (side === 'buy' ? price > o.pricePx8 : price < o.pricePx8)
    mismatch(`fill price ${fmt.px(price)} is worse than the limit ${fmt.px(o.pricePx8)}`);
  if (o.reduceOnly) {
    const p = positionSize(sub, market);
    const reduces = side === 'buy' ? p < 0n && size <= -p : p > 0n && size <= p;
    if (!reduces)
      reject('REDUCE_ONLY_REJECTED', `order ${orderId} is reduce-only and the fill would not reduce`);
  }
  return o;
}

/** The subaccount's orders as they rest after `filled` of `orderId` executes. */
export function ordersAfterFill(
  state: ReadonlyEngineState,
  subKey: string,
  orderId: string,
  filled: bigint,
): OrderLite[] {
  const out: OrderLite[] = [];
  for (const o of subOrders(state, subKey)) {
    if (o.id !== orderId) out.push(o);
    else if (o.size > filled) out.push({ ...o, size: o.size - filled });
  }
  return out;
}

/** Cancels a subaccount's orders (in `market`, or all of them) for `reason`. */
export function cancelSubaccountOrders(
  ctx: CommandContext,
  subKey: string,
  market: string | undefined,
  reason: OrderCancelReason,
): void {
  for (const o of [...(ctx.state.ordersBySub.get(subKey)?.values() ?? [])])
    if (market === undefined || o.market === market)
      ctx.emit({ type: 'order_cancelled', orderId: o.id, reason });
}

/** Cancels every order resting in `market` (its expiry settles it). */
export function cancelMarketOrders(ctx: CommandContext, market: string, reason: OrderCancelReason): void {
  for (const o of [...ctx.state.orders.values()])
    if (o.market === market) ctx.emit({ type: 'order_cancelled', orderId: o.id, reason });
}

/**
 * Keeps reduce-only orders reduce-only after a position changed: orders on the side that would
 * now increase it are cancelled, and the rest, oldest first, may together close at most the
 * whole position; the order that crosses that line is trimmed, later ones cancelled.
 */
export function trimReduceOnly(ctx: CommandContext, subKey: string, market: string): void {
  const mine = ctx.state.ordersBySub.get(subKey);
  if (mine === undefined) return;
  // most traders have no reduce-only order in the market: then there is nothing to copy or price
  let any = false;
  for (const o of mine.values())
    if (o.market === market && o.reduceOnly) {
      any = true;
      break;
    }
  if (!any) return;
  const sub = ctx.state.subaccounts.get(subKey)!;
  const p = positionSize(sub, market);
  let room = p < 0n ? -p : p;
  const closing = p > 0n ? 'sell' : 'buy';
  for (const o of [...mine.values()]) {
    if (o.market !== market || !o.reduceOnly) continue;
    if (p === 0n || o.side !== closing || room === 0n) {
      ctx.emit({ type: 'order_cancelled', orderId: o.id, reason: 'reduce_only' });
      continue;
    }
    if (o.size > room)
      ctx.emit({
        type: 'order_amended',
        orderId: o.id,
        sizeQty9: room,
        pricePx8: o.pricePx8,
        reason: 'reduce_only',
      });
    room -= o.size < room ? o.size : room;
  }
}

/**
 * After a command traded (a fill, a liquidation, a takeover, ADL), trims the reduce-only
 * orders of every subaccount whose position in the traded market changed. The engine runs it
 * after each accepted command, so no path that moves a position can leave a reduce-only order
 * able to increase it.
 */
export function trimReduceOnlyAfterTrades(ctx: CommandContext): void {
  if (ctx.state.orders.size === 0) return;
  // (subaccount, market) pairs in first-traded order, each once; collected before trimming,
  // which emits. A command trades a handful of times: a list beats a set of joined keys.
  const subs: string[] = [];
  const markets: string[] = [];
  for (const e of ctx.events) {
    if (e.type !== 'traded') continue;
    notePair(subs, markets, e.buyer, e.market);
    notePair(subs, markets, e.seller, e.market);
  }
  for (let i = 0; i < subs.length; i++) trimReduceOnly(ctx, subs[i]!, markets[i]!);
}

function notePair(subs: string[], markets: string[], sub: string, market: string): void {
  for (let i = 0; i < subs.length; i++) if (subs[i] === sub && markets[i] === market) return;
  subs.push(sub);
  markets.push(market);
}
