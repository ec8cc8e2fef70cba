/**
 * Moving money: deposits (credited by the operator, who holds custody), withdrawals and transfers
 * between an account's own subaccounts (its trader or the operator), insurance fund contributions
 * (operator), and a subaccount's margin settings (margin mode, leverage, isolated margin, portfolio
 * margin). Each request becomes one engine command.
 */
import { requireMove } from '../access.ts';
import { commandIdOf, execute, stampTime } from '../context.ts';
import { type RouteDef, route } from '../route.ts';
import {
  CommandReplySchema,
  DepositBody,
  InsuranceContributionBody,
  IsolatedMarginBody,
  LeverageBody,
  MarginModeBody,
  PortfolioMarginBody,
  TransferBody,
  WithdrawalBody,
} from '../wire/commands.ts';
import { toRef } from '../wire/common.ts';

export const fundRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/v1/deposits',
    tag: 'funds',
    summary: "Credit a deposit to a subaccount (custody is the operator's: operator scope)",
    auth: ['operator'],
    body: DepositBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { body }) => {
      const c = {
        type: 'deposit',
        to: toRef(body),
        asset: body.asset,
        amount: body.amount,
        ...commandIdOf(body.commandId),
      };
      return (await execute(ctx, { ...c, ...stampTime(ctx, body, false) })).reply;
    },
  }),
  route({
    method: 'post',
    path: '/v1/withdrawals',
    tag: 'funds',
    summary: 'Withdraw from a subaccount (its free collateral must cover it)',
    auth: ['trader', 'operator'],
    body: WithdrawalBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { key, body }) => {
      requireMove(key, body.account);
      const c = {
        type: 'withdraw',
        from: toRef(body),
        asset: body.asset,
        amount: body.amount,
        ...commandIdOf(body.commandId),
      };
      return (await execute(ctx, { ...c, ...stampTime(ctx, body, false) })).reply;
    },
  }),
  route({
    method: 'post',
    path: '/v1/transfers',
    tag: 'funds',
    summary: "Move collateral between two of an account's own subaccounts",
    auth: ['trader', 'operator'],
    body: TransferBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { key, body }) => {
      requireMove(key, body.account);
      const c = {
        type: 'transfer',
        from: { account: body.account, sub: body.fromSub },
        to: { account: body.account, sub: body.toSub },
        asset: body.asset,
        amount: body.amount,
        ...commandIdOf(body.commandId),
      };
      return (await execute(ctx, { ...c, ...stampTime(ctx, body, false) })).reply;
    },
  }),
  route({
    method: 'post',
    path: '/v1/insurance-fund/contributions',
    tag: 'funds',
    summary: "Move an amount from a subaccount's balance into the insurance fund",
    auth: ['operator'],
    body: InsuranceContributionBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { body }) => {
      const c = {
        type: 'fund_insurance',
        from: toRef(body),
        asset: body.asset,
        amount: body.amount,
        ...commandIdOf(body.commandId),
      };
      return (await execute(ctx, { ...c, ...stampTime(ctx, body, false) })).reply;
    },
  }),
  route({
    method: 'put',
    path: '/v1/accounts/:account/subaccounts/:sub/margin-mode',
    tag: 'funds',
    summary: "Set a market's margin mode (cross or isolated) for a subaccount",
    auth: ['trader', 'operator'],
    body: MarginModeBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { key, body, params }) => {
      requireMove(key, params.account!);
      const c = {
        type: 'set_margin_mode',
        subaccount: { account: params.account!, sub: params.sub! },
        market: body.symbol,
        mode: body.marginMode,
        ...commandIdOf(body.commandId),
      };
      return (await execute(ctx, c)).reply;
    },
  }),
  route({
    method: 'put',
    path: '/v1/accounts/:account/subaccounts/:sub/leverage',
    tag: 'funds',
    summary:
      "Cap a market's leverage for a subaccount (raises its initial margin only); null removes the cap",
    auth: ['trader', 'operator'],
    body: LeverageBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { key, body, params }) => {
      requireMove(key, params.account!);
      const c = {
        type: 'set_leverage',
        subaccount: { account: params.account!, sub: params.sub! },
        market: body.symbol,
        maxLeverage: body.leverage,
        ...commandIdOf(body.commandId),
      };
      return (await execute(ctx, c)).reply;
    },
  }),
  route({
    method: 'post',
    path: '/v1/accounts/:account/subaccounts/:sub/isolated-margin',
    tag: 'funds',
    summary: 'Add (+) or release (−) margin of an isolated position',
    auth: ['trader', 'operator'],
    body: IsolatedMarginBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { key, body, params }) => {
      requireMove(key, params.account!);
      const c = {
        type: 'adjust_isolated_margin',
        subaccount: { account: params.account!, sub: params.sub! },
        market: body.symbol,
        amount: body.amount,
        ...commandIdOf(body.commandId),
      };
      return (await execute(ctx, { ...c, ...stampTime(ctx, body, false) })).reply;
    },
  }),
  route({
    method: 'put',
    path: '/v1/accounts/:account/subaccounts/:sub/portfolio-margin',
    tag: 'funds',
    summary: "Margin the subaccount's cross scope with the venue's portfolio model (or per position)",
    auth: ['trader', 'operator'],
    body: PortfolioMarginBody,
    response: CommandReplySchema,
    mutates: true,
    handler: async (ctx, { key, body, params }) => {
      requireMove(key, params.account!);
      const c = {
        type: 'set_portfolio_margin',
        subaccount: { account: params.account!, sub: params.sub! },
        enabled: body.enabled,
        ...commandIdOf(body.commandId),
      };
      return (await execute(ctx, c)).reply;
    },
  }),
];
