/**
 * Market data. Public reads (markets, assets, prices, insurance fund, server time) need no key.
 * Price feeds (`feed` scope, or an operator) post marks and asset prices, and raw observations to a
 * market's guarded oracle; funding ticks and expiry settlement are the operator's (a feed may post
 * funding with its index price). A missing `timeMs` is stamped with the server clock.
 */
import { z } from 'zod';
import { commandIdOf, execute, stampTime } from '../context.ts';
import { ApiError } from '../errors.ts';
import { type RouteDef, route } from '../route.ts';
import {
  CommandReplySchema,
  ExpiryBody,
  FundingBody,
  OracleObservationsBody,
  PricesBody,
} from '../wire/commands.ts';
import {
  WireAssetSchema,
  WireInsuranceSchema,
  WireMarketSchema,
  wireAssets,
  wireInsurance,
  wireMarket,
} from '../wire/market.ts';

export const marketDataRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/v1/time',
    tag: 'market data',
    summary: 'The server clock (ms): sign requests with a timestamp within the window of it',
    auth: 'public',
    response: z.object({ serverTime: z.number() }),
    handler: (ctx) => ({ serverTime: ctx.now() }),
  }),
  route({
    method: 'get',
    path: '/v1/markets',
    tag: 'market data',
    summary: 'Every market: mark, funding, open interest, fees, oracle state',
    auth: 'public',
    response: z.object({ markets: z.array(WireMarketSchema) }),
    handler: (ctx) => {
      const state = ctx.sink.engine.state;
      return { markets: [...state.markets.values()].map((m) => wireMarket(state, m)) };
    },
  }),
  route({
    method: 'get',
    path: '/v1/markets/:symbol',
    tag: 'market data',
    summary: 'One market',
    auth: 'public',
    response: WireMarketSchema,
    handler: (ctx, { params }) => {
      const state = ctx.sink.engine.state;
      const m = state.markets.get(params.symbol!);
      if (!m) throw new ApiError('UNKNOWN_MARKET', `unknown market ${params.symbol}`);
      return wireMarket(state, m);
    },
  }),
  route({
    method: 'get',
    path: '/v1/assets',
    tag: 'market data',
    summary: 'Collateral assets: decimals, weights, price',
    auth: 'public',
    response: z.object({ assets: z.array(WireAssetSchema) }),
    handler: (ctx) => ({ assets: wireAssets(ctx.sink.engine.state) }),
  }),
  route({
    method: 'get',
    path: '/v1/prices',
    tag: 'market data',
    summary: 'Current mark per market and price per collateral asset, as of journal seq `seq`',
    auth: 'public',
    response: z.object({
      timeMs: z.number(),
      /** The journal position these prices (and any read made with it) are as of. */
      seq: z.number(),
      marks: z.record(z.string(), z.string()),
      assets: z.record(z.string(), z.string()),
    }),
    handler: (ctx) => {
      const state = ctx.sink.engine.state;
      const marks: Record<string, string> = {};
      for (const m of state.markets.values()) {
        const w = wireMarket(state, m);
        if (w.markPrice !== null) marks[w.symbol] = w.markPrice;
      }
      const assets: Record<string, string> = {};
      for (const a of wireAssets(state)) if (a.price !== null) assets[a.asset] = a.price;
      return { timeMs: state.timeMs, seq: state.seq, marks, assets };
    },
  }),
  route({
    method: 'get',
    path: '/v1/insurance-fund',
    tag: 'market data',
    summary: 'Insurance fund per asset and the total written off to the socialized-loss ledger',
    auth: 'public',
    response: WireInsuranceSchema,
    handler: (ctx) => wireInsurance(ctx.sink.engine.state),
  }),
  route({
    method: 'post',
    path: '/v1/prices',
    tag: 'market data',
    summary: 'Post marks, collateral asset prices and exchange rates (feed)',
    auth: ['feed', 'operator'],
    body: PricesBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { body }) => {
      const c = {
        type: 'prices',
        ...stampTime(ctx, body, true),
        marks: body.marks ?? {},
        assets: body.assets ?? {},
        exchangeRates: body.exchangeRates ?? {},
        ...commandIdOf(body.commandId),
      };
      return (await execute(ctx, c)).reply;
    },
  }),
  route({
    method: 'post',
    path: '/v1/oracle/:symbol/observations',
    tag: 'market data',
    summary: "Post raw observations to a market's guarded oracle (feed)",
    auth: ['feed', 'operator'],
    body: OracleObservationsBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { body, params }) => {
      const c = {
        type: 'oracle',
        market: params.symbol!,
        ...stampTime(ctx, body, true),
        inputs: body.inputs,
        ...commandIdOf(body.commandId),
      };
      return (await execute(ctx, c)).reply;
    },
  }),
  route({
    method: 'post',
    path: '/v1/funding',
    tag: 'market data',
    summary: "Settle a perpetual's funding interval (premium index, or index price against the mark)",
    auth: ['feed', 'operator'],
    body: FundingBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { body }) => {
      const c = {
        type: 'funding_tick',
        market: body.symbol,
        ...stampTime(ctx, body, true),
        ...(body.premiumIndex === undefined ? {} : { premiumIndex: body.premiumIndex }),
        ...(body.indexPrice === undefined ? {} : { indexPrice: body.indexPrice }),
        ...commandIdOf(body.commandId),
      };
      return (await execute(ctx, c)).reply;
    },
  }),
  route({
    method: 'post',
    path: '/v1/expiries',
    tag: 'market data',
    summary: 'Settle an expired dated future or option at its settlement price',
    auth: ['operator'],
    body: ExpiryBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { body }) => {
      const c = {
        type: 'settle_expiry',
        market: body.symbol,
        price: body.price,
        ...stampTime(ctx, body, false),
        ...commandIdOf(body.commandId),
      };
      return (await execute(ctx, c)).reply;
    },
  }),
];
