/**
 * Account reads: the accounts a key may see, and every figure of an account's subaccounts per scope
 * and per position (GET /v1/accounts, /v1/accounts/:account, /v1/accounts/:account/subaccounts/:sub).
 */
import { z } from 'zod';
import { subaccountKey } from '../../core/model/state.ts';
import { mayRead, requireRead } from '../access.ts';
import { ApiError } from '../errors.ts';
import { type RouteDef, route } from '../route.ts';
import { WireSubaccountSchema, wireSubaccount } from '../wire/account.ts';

const AccountListSchema = z.object({
  accounts: z.array(z.object({ account: z.string(), subaccounts: z.array(z.string()) })),
});

export const accountRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/v1/accounts',
    tag: 'accounts',
    summary: 'Accounts this key may read, with their subaccount ids',
    auth: ['trader', 'liquidator', 'operator'],
    response: AccountListSchema,
    handler: (ctx, { key }) => {
      const byAccount = new Map<string, string[]>();
      for (const s of ctx.sink.engine.state.subaccounts.values()) {
        if (!mayRead(key, s.ref.account)) continue;
        const list = byAccount.get(s.ref.account) ?? [];
        list.push(s.ref.sub);
        byAccount.set(s.ref.account, list);
      }
      return { accounts: [...byAccount].map(([account, subaccounts]) => ({ account, subaccounts })) };
    },
  }),
  route({
    method: 'get',
    path: '/v1/accounts/:account',
    tag: 'accounts',
    summary: "One account's risk: balances and every figure per scope and per position, for each subaccount",
    auth: ['trader', 'liquidator', 'operator'],
    response: z.object({ account: z.string(), subaccounts: z.array(WireSubaccountSchema) }),
    handler: (ctx, { key, params }) => {
      const account = params.account!;
      requireRead(key, account);
      const state = ctx.sink.engine.state;
      const subs = [...state.subaccounts.values()].filter((s) => s.ref.account === account);
      if (subs.length === 0) throw new ApiError('UNKNOWN_SUBACCOUNT', `unknown account ${account}`);
      return { account, subaccounts: subs.map((s) => wireSubaccount(state, s)) };
    },
  }),
  route({
    method: 'get',
    path: '/v1/accounts/:account/subaccounts/:sub',
    tag: 'accounts',
    summary: "One subaccount's risk: balances and every figure per scope and per position",
    auth: ['trader', 'liquidator', 'operator'],
    response: WireSubaccountSchema,
    handler: (ctx, { key, params }) => {
      const account = params.account!;
      requireRead(key, account);
      const state = ctx.sink.engine.state;
      const s = state.subaccounts.get(subaccountKey({ account, sub: params.sub! }));
      if (!s) throw new ApiError('UNKNOWN_SUBACCOUNT', `unknown subaccount ${account}/${params.sub}`);
      return wireSubaccount(state, s);
    },
  }),
];
