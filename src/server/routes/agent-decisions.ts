/**
 * Agent decisions (src/server/agent-decisions.ts): a trader's agent posts each decision for one of
 * its own accounts (a trader key only for the accounts on it, operators any); the account's readers
 * list them. A stored decision goes to the account's viewers on the event stream as an
 * `agent_decision` notice (outside the event sequence: it is not an engine fact).
 */
import { z } from 'zod';
import { requireMove, requireRead } from '../access.ts';
import { AgentDecisionBody, AgentDecisionSchema } from '../agent-decisions.ts';
import type { AppContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { type RouteDef, route } from '../route.ts';

function requireAccount(ctx: AppContext, account: string): void {
  for (const s of ctx.sink.engine.state.subaccounts.values()) if (s.ref.account === account) return;
  throw new ApiError('UNKNOWN_SUBACCOUNT', `unknown account ${account}`);
}

export const agentDecisionRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: '/v1/accounts/:account/agent-decisions',
    tag: 'accounts',
    summary:
      "Record a decision of the account's margin agent (what it saw, did and how that went); a repeated id changes nothing",
    auth: ['trader', 'operator'],
    body: AgentDecisionBody,
    response: z.object({ decision: AgentDecisionSchema, replayed: z.boolean() }),
    status: 201,
    mutates: true,
    handler: (ctx, { key, body, params }) => {
      const account = params.account!;
      requireMove(key, account);
      requireAccount(ctx, account);
      return ctx.agentDecisions.record({ ...body, account, keyId: key!.id, receivedMs: ctx.now() });
    },
  }),
  route({
    method: 'get',
    path: '/v1/accounts/:account/agent-decisions',
    tag: 'accounts',
    summary: "The newest decisions of the account's margin agent, oldest first",
    auth: ['trader', 'liquidator', 'operator'],
    query: z.strictObject({
      limit: z
        .string()
        .regex(/^[0-9]{1,4}$/, { error: 'limit: a whole number' })
        .transform(Number)
        .refine((n) => n >= 1 && n <= 1000, { error: 'limit: between 1 and 1000' })
        .optional(),
    }),
    response: z.object({ account: z.string(), decisions: z.array(AgentDecisionSchema) }),
    handler: (ctx, { key, query, params }) => {
      const account = params.account!;
      requireRead(key, account);
      return { account, decisions: ctx.agentDecisions.list(account, query.limit ?? 50) };
    },
  }),
];
