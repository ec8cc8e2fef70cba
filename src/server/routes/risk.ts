/**
 * Risk views (docs/risk-views.md): why each requirement is what it is (margin breakdown), the
 * figures after hypothetical trades, cash flows and price moves (what-if), the ADL queue, and the
 * socialized-loss ledger with the insurance fund's flows. All read-only.
 */
import { z } from 'zod';
import { marginBreakdown } from '../../core/account/breakdown.ts';
import { WhatIfError, whatIf } from '../../core/calculator/what-if.ts';
import { lossLedgerView } from '../../core/engine/loss-ledger.ts';
import { adlQueueView, UnknownMarketError } from '../../core/liquidation/adl-queue.ts';
import { subaccountKey } from '../../core/model/state.ts';
import { requireRead } from '../access.ts';
import { ApiError } from '../errors.ts';
import { type RouteDef, route } from '../route.ts';
import { idString } from '../wire/common.ts';
import { decimal, positiveDecimal } from '../wire/decimal.ts';

const WhatIfBody = z.strictObject({
  sub: idString.optional(),
  trades: z
    .array(
      z.strictObject({
        symbol: idString,
        side: z.enum(['buy', 'sell']),
        amount: positiveDecimal,
        price: positiveDecimal.optional(),
        liquidity: z.enum(['taker', 'maker']).optional(),
      }),
    )
    .max(100)
    .optional(),
  deposits: z
    .array(z.strictObject({ asset: idString, amount: decimal }))
    .max(100)
    .optional(),
  marks: z.record(idString, positiveDecimal).optional(),
  /** Uniform move in percent ("-10": every other price 10% lower). */
  shockPct: decimal.optional(),
});

const view = z.record(z.string(), z.unknown());

export const riskRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/v1/accounts/:account/subaccounts/:sub/margin-breakdown',
    tag: 'risk',
    summary:
      'Why each requirement is what it is: model, bracket tier, add-ons, collateral weights, per scope and position',
    auth: ['trader', 'liquidator', 'operator'],
    response: view,
    handler: (ctx, { key, params }) => {
      requireRead(key, params.account!);
      const state = ctx.sink.engine.state;
      const s = state.subaccounts.get(subaccountKey({ account: params.account!, sub: params.sub! }));
      if (!s) throw new ApiError('UNKNOWN_SUBACCOUNT', `unknown subaccount ${params.account}/${params.sub}`);
      return marginBreakdown(state, s);
    },
  }),
  route({
    method: 'post',
    path: '/v1/accounts/:account/what-if',
    tag: 'risk',
    summary:
      'The figures before and after hypothetical trades, deposits/withdrawals and price moves; changes nothing',
    auth: ['trader', 'liquidator', 'operator'],
    body: WhatIfBody,
    response: view,
    handler: (ctx, { key, body, params }) => {
      requireRead(key, params.account!);
      try {
        return whatIf(
          ctx.sink.engine.state,
          { account: params.account!, sub: body.sub ?? '0' },
          {
            ...(body.trades
              ? {
                  trades: body.trades.map((t) => ({
                    market: t.symbol,
                    side: t.side,
                    size: t.amount,
                    ...(t.price === undefined ? {} : { price: t.price }),
                    ...(t.liquidity === undefined ? {} : { liquidity: t.liquidity }),
                  })),
                }
              : {}),
            ...(body.deposits ? { deposits: body.deposits } : {}),
            ...(body.marks ? { marks: body.marks } : {}),
            ...(body.shockPct === undefined ? {} : { shockPct: body.shockPct }),
          },
        );
      } catch (e) {
        if (e instanceof WhatIfError) throw new ApiError(e.code, e.message);
        throw e;
      }
    },
  }),
  route({
    method: 'get',
    path: '/v1/adl-queue',
    tag: 'risk',
    summary: 'Auto-deleveraging queue per market and side: rank and 1-5 indicator of each position',
    auth: ['liquidator', 'operator'],
    query: z.strictObject({ symbol: idString.optional() }),
    response: z.object({ markets: z.array(view) }),
    handler: (ctx, { query }) => {
      try {
        return { markets: adlQueueView(ctx.sink.engine.state, query.symbol) };
      } catch (e) {
        if (e instanceof UnknownMarketError) throw new ApiError('UNKNOWN_MARKET', e.message);
        throw e;
      }
    },
  }),
  route({
    method: 'get',
    path: '/v1/socialized-losses',
    tag: 'risk',
    summary:
      'Socialized losses since the service started (who, how, how much) and the insurance fund flows by reason',
    auth: ['liquidator', 'operator'],
    response: view,
    handler: (ctx) => lossLedgerView(ctx.lossLedger(), ctx.sink.engine.state),
  }),
];
