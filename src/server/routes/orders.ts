/**
 * Orders: resting limit orders whose initial margin is reserved while they rest (docs/orders.md).
 * A trader places, amends and cancels its own accounts' orders (operators any); the matching engine
 * reports fills against them at POST /v1/fills (`buyOrderId`/`sellOrderId`). `POST /v1/orders/check`
 * answers "would this order be accepted, and what margin would it reserve?" without changing
 * anything: 200 with `ok: true` and the figures, or `ok: false` and the rejection the order would
 * get (a malformed order is a 400 like everywhere). A foreign order is reported as unknown (404).
 */
import { z } from 'zod';
import type { ReadonlyEngineState } from '../../core/model/state.ts';
import { formatDecimal, PRICE_DECIMALS, QTY_DECIMALS } from '../../core/num/index.ts';
import { mayMove, mayRead, requireMove, requireRead } from '../access.ts';
import type { ApiKey } from '../auth.ts';
import { type AppContext, commandIdOf, execute, stampTime } from '../context.ts';
import { ApiError } from '../errors.ts';
import { type RouteDef, route } from '../route.ts';
import { AmendOrderBody, CheckOrderBody, CommandReplySchema, PlaceOrderBody } from '../wire/commands.ts';
import { idString, toRef } from '../wire/common.ts';

export const WireOrderSchema = z.object({
  orderId: z.string(),
  account: z.string(),
  sub: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  /** Remaining size. */
  amount: z.string(),
  price: z.string(),
  reduceOnly: z.boolean(),
});
type WireOrder = z.infer<typeof WireOrderSchema>;

function wireOrder(state: ReadonlyEngineState, id: string): WireOrder | undefined {
  const o = state.orders.get(id);
  if (!o) return undefined;
  const ref = state.subaccounts.get(o.sub)?.ref ?? {
    account: o.sub.split('/')[0]!,
    sub: o.sub.split('/')[1] ?? '0',
  };
  return {
    orderId: o.id,
    account: ref.account,
    sub: ref.sub,
    symbol: o.market,
    side: o.side,
    amount: formatDecimal(o.size, QTY_DECIMALS),
    price: formatDecimal(o.pricePx8, PRICE_DECIMALS),
    reduceOnly: o.reduceOnly,
  };
}

/** The order, if this key may act on it (a foreign order is reported as unknown). */
function ownOrder(ctx: AppContext, key: ApiKey | undefined, id: string, act: 'read' | 'move'): WireOrder {
  const o = wireOrder(ctx.sink.engine.state, id);
  const allowed =
    o !== undefined &&
    (act === 'read'
      ? mayRead(key, o.account) || key?.scopes.includes('venue') === true
      : mayMove(key, o.account));
  if (!o || !allowed) throw new ApiError('UNKNOWN_ORDER', `unknown order ${id}`);
  return o;
}

function placeCommand(body: z.infer<typeof CheckOrderBody>) {
  return {
    type: 'place_order',
    orderId: body.orderId,
    subaccount: toRef(body),
    market: body.symbol,
    side: body.side,
    size: body.amount,
    price: body.price,
    reduceOnly: body.reduceOnly ?? false,
  };
}

export const orderRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/v1/orders',
    tag: 'orders',
    summary: 'Place a resting limit order; its initial margin is reserved while it rests',
    auth: ['trader', 'operator'],
    body: PlaceOrderBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { key, body }) => {
      requireMove(key, body.account);
      const c = { ...placeCommand(body), ...stampTime(ctx, body, false), ...commandIdOf(body.commandId) };
      return (await execute(ctx, c, 'order')).reply;
    },
  }),
  route({
    method: 'post',
    path: '/v1/orders/check',
    tag: 'orders',
    summary: 'Would this order be accepted, and what initial margin would it reserve? Changes nothing',
    auth: ['trader', 'operator'],
    body: CheckOrderBody,
    response: z.union([
      z.object({
        ok: z.literal(true),
        orderInitialMargin: z.string(),
        before: z.record(z.string(), z.string()),
        after: z.record(z.string(), z.string()),
      }),
      z.object({ ok: z.literal(false), rejection: z.object({ code: z.string(), message: z.string() }) }),
    ]),
    handler: (ctx, { key, body }) => {
      requireRead(key, body.account);
      const started = performance.now();
      const r = ctx.sink.engine.checkOrder({
        ...placeCommand(body),
        ...(body.timeMs === undefined ? {} : { timeMs: body.timeMs }),
      });
      ctx.metrics.pretradeCheck.observe({ kind: 'order_check' }, (performance.now() - started) / 1000);
      if (!r.ok && r.rejection.code === 'MALFORMED_COMMAND') throw ApiError.fromRejection(r.rejection);
      return r.ok ? r : { ok: false, rejection: { code: r.rejection.code, message: r.rejection.message } };
    },
  }),
  route({
    method: 'get',
    path: '/v1/orders',
    tag: 'orders',
    summary: "An account's resting orders (optionally one subaccount or market)",
    auth: ['trader', 'liquidator', 'venue', 'operator'],
    query: z.strictObject({ account: idString, sub: idString.optional(), symbol: idString.optional() }),
    response: z.object({ orders: z.array(WireOrderSchema) }),
    handler: (ctx, { key, query }) => {
      if (!mayRead(key, query.account) && key?.scopes.includes('venue') !== true)
        throw new ApiError('FORBIDDEN', `this key may not read account ${query.account}`);
      const state = ctx.sink.engine.state;
      const orders: WireOrder[] = [];
      for (const [subKey, byId] of state.ordersBySub) {
        const ref = state.subaccounts.get(subKey)?.ref;
        if (!ref || ref.account !== query.account) continue;
        if (query.sub !== undefined && ref.sub !== query.sub) continue;
        for (const id of byId.keys()) {
          const o = wireOrder(state, id);
          if (o && (query.symbol === undefined || o.symbol === query.symbol)) orders.push(o);
        }
      }
      return { orders };
    },
  }),
  route({
    method: 'get',
    path: '/v1/orders/:orderId',
    tag: 'orders',
    summary: 'One resting order',
    auth: ['trader', 'liquidator', 'venue', 'operator'],
    response: WireOrderSchema,
    handler: (ctx, { key, params }) => ownOrder(ctx, key, params.orderId!, 'read'),
  }),
  route({
    method: 'patch',
    path: '/v1/orders/:orderId',
    tag: 'orders',
    summary: "Amend a resting order's remaining size and/or price (the reservation follows)",
    auth: ['trader', 'operator'],
    body: AmendOrderBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { key, body, params }) => {
      ownOrder(ctx, key, params.orderId!, 'move');
      if (body.amount === undefined && body.price === undefined)
        throw new ApiError('INVALID_REQUEST', 'give amount and/or price');
      const c = {
        type: 'amend_order',
        orderId: params.orderId!,
        ...(body.amount === undefined ? {} : { size: body.amount }),
        ...(body.price === undefined ? {} : { price: body.price }),
        ...stampTime(ctx, body, false),
        ...commandIdOf(body.commandId),
      };
      return (await execute(ctx, c, 'order')).reply;
    },
  }),
  route({
    method: 'delete',
    path: '/v1/orders/:orderId',
    tag: 'orders',
    summary: 'Cancel a resting order (its reservation is released); `?commandId=` makes it idempotent',
    auth: ['trader', 'operator'],
    query: z.strictObject({ commandId: z.string().optional() }),
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { key, query, params }) => {
      ownOrder(ctx, key, params.orderId!, 'move');
      const c = {
        type: 'cancel_order',
        orderId: params.orderId!,
        ...stampTime(ctx, { commandId: query.commandId }, false),
        ...commandIdOf(query.commandId),
      };
      return (await execute(ctx, c)).reply;
    },
  }),
];
