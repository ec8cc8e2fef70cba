/**
 * Trades and liquidations. Fills are reported by the matching engine (`venue` scope, or an
 * operator): a fill moves both sides' positions and is checked pre-trade by the engine (margin,
 * position limits, price band); its latency feeds `plimsoll_pretrade_check_seconds{kind="fill"}`.
 * Liquidations are requested by a keeper (`liquidator` scope, or an operator); a liquidator key may
 * take the position over only into one of its own accounts.
 */
import { requireMove } from '../access.ts';
import { execute, stampTime } from '../context.ts';
import { type RouteDef, route } from '../route.ts';
import { CommandReplySchema, FillBody, LiquidationBody } from '../wire/commands.ts';
import { toRef } from '../wire/common.ts';

export const tradingRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/v1/fills',
    tag: 'trading',
    summary:
      'Report a fill from the matching engine between a buyer and a seller subaccount (optionally against their resting orders)',
    auth: ['venue', 'operator'],
    body: FillBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { body }) => {
      const c = {
        type: 'fill',
        market: body.symbol,
        buyer: toRef(body.buyer),
        seller: toRef(body.seller),
        size: body.amount,
        price: body.price,
        taker: body.taker ?? 'buyer',
        ...(body.buyOrderId === undefined ? {} : { buyOrderId: body.buyOrderId }),
        ...(body.sellOrderId === undefined ? {} : { sellOrderId: body.sellOrderId }),
        ...stampTime(ctx, body, false),
        ...(body.commandId === undefined ? {} : { commandId: body.commandId }),
      };
      return (await execute(ctx, c, 'fill')).reply;
    },
  }),
  route({
    method: 'post',
    path: '/v1/liquidations',
    tag: 'trading',
    summary: "Liquidate a subaccount's cross scope (or one isolated position) that is below maintenance",
    auth: ['liquidator', 'operator'],
    body: LiquidationBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { key, body }) => {
      if (body.liquidator) requireMove(key, body.liquidator.account);
      const c = {
        type: 'liquidate',
        subaccount: toRef(body),
        ...(body.isolatedSymbol === undefined ? {} : { isolatedMarket: body.isolatedSymbol }),
        ...(body.liquidator === undefined ? {} : { liquidator: toRef(body.liquidator) }),
        ...(body.fillPrice === undefined ? {} : { fillPrice: body.fillPrice }),
        ...(body.collateralAsset === undefined ? {} : { collateralAsset: body.collateralAsset }),
        ...(body.debtToCover === undefined ? {} : { debtToCover: body.debtToCover }),
        ...stampTime(ctx, body, false),
        ...(body.commandId === undefined ? {} : { commandId: body.commandId }),
      };
      return (await execute(ctx, c)).reply;
    },
  }),
];
