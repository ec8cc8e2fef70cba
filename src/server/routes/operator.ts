/**
 * Operator configuration: markets, assets, oracles, the liquidation policy and guards, and pausing
 * liquidations and forcing safe mode per market. Each change is an engine command (the engine journals it) and, once
 * durable, an audit record: key id, time, command, the configuration before and after (audit.ts).
 */
import { z } from 'zod';
import { auditSnapshot } from '../audit.ts';
import type { ApiKey } from '../auth.ts';
import { type AppContext, commandIdOf, execute } from '../context.ts';
import { ApiError } from '../errors.ts';
import { type RouteDef, route } from '../route.ts';
import { CommandReplySchema, ConfigBody, PauseBody, PolicyBody, SafeModeBody } from '../wire/commands.ts';

/** Runs an operator command and records before/after in the audit trail. */
async function audited(
  ctx: AppContext,
  key: ApiKey | undefined,
  command: Record<string, unknown> & { type: string },
  target: string,
) {
  const snapshot = () => auditSnapshot(ctx.sink.engine.state, command.type, target);
  const before = snapshot();
  const { reply } = await execute(ctx, command);
  if (!reply.replayed) {
    const commandId = command.commandId as string | undefined;
    ctx.audit.record({
      keyId: key?.id ?? '(none)',
      timeMs: ctx.now(),
      command: command.type,
      target,
      before: before ?? null,
      after: snapshot() ?? null,
      seq: reply.seq,
      ...(commandId === undefined ? {} : { commandId }),
    });
  }
  ctx.logger.info({ keyId: key?.id, command: command.type, target, seq: reply.seq }, 'configuration changed');
  return reply;
}

function requireIdMatch(config: Record<string, unknown>, id: string, what: string): void {
  if (config.id !== undefined && config.id !== id)
    throw new ApiError(
      'INVALID_REQUEST',
      `config.id ${String(config.id)} does not match the ${what} in the path (${id})`,
    );
}

export const operatorRoutes: RouteDef[] = [
  route({
    method: 'put',
    path: '/v1/markets/:symbol',
    tag: 'operator',
    summary: 'Create or replace a market configuration (set_market)',
    auth: ['operator'],
    body: ConfigBody,
    response: CommandReplySchema,
    mutates: true,
    handler: (ctx, { key, body, params }) => {
      const symbol = params.symbol!;
      requireIdMatch(body.config, symbol, 'market');
      const c = {
        type: 'set_market',
        config: { ...body.config, id: symbol },
        ...commandIdOf(body.commandId),
      };
      return audited(ctx, key, c, symbol);
    },
  }),
  route({
    method: 'put',
    path: '/v1/assets/:asset',
    tag: 'operator',
    summary: 'Create or replace a collateral asset configuration (set_asset)',
    auth: ['operator'],
    body: ConfigBody,
    response: CommandReplySchema,
    mutates: true,
    handler: (ctx, { key, body, params }) => {
      const asset = params.asset!;
      requireIdMatch(body.config, asset, 'asset');
      const c = { type: 'set_asset', config: { ...body.config, id: asset }, ...commandIdOf(body.commandId) };
      return audited(ctx, key, c, asset);
    },
  }),
  route({
    method: 'put',
    path: '/v1/oracles/:symbol',
    tag: 'operator',
    summary: "Configure a market's guarded oracle (set_oracle)",
    auth: ['operator'],
    body: ConfigBody,
    response: CommandReplySchema,
    mutates: true,
    handler: (ctx, { key, body, params }) => {
      const symbol = params.symbol!;
      const market = body.config.market;
      if (market !== undefined && market !== symbol)
        throw new ApiError(
          'INVALID_REQUEST',
          `config.market ${String(market)} does not match the market in the path (${symbol})`,
        );
      const c = {
        type: 'set_oracle',
        config: { ...body.config, market: symbol },
        ...commandIdOf(body.commandId),
      };
      return audited(ctx, key, c, symbol);
    },
  }),
  route({
    method: 'put',
    path: '/v1/policy',
    tag: 'operator',
    summary: 'Replace the liquidation policy, guards or portfolio margin model (set_policy)',
    auth: ['operator'],
    body: PolicyBody,
    response: CommandReplySchema,
    mutates: true,
    handler: (ctx, { key, body }) => {
      const { commandId, ...rest } = body;
      const c = { type: 'set_policy', ...rest, ...commandIdOf(commandId) };
      return audited(ctx, key, c, 'policy');
    },
  }),
  route({
    method: 'put',
    path: '/v1/markets/:symbol/liquidations',
    tag: 'operator',
    summary: 'Pause (paused: true) or resume liquidations in a market',
    auth: ['operator'],
    body: PauseBody,
    response: CommandReplySchema,
    mutates: true,
    handler: (ctx, { key, body, params }) => {
      const symbol = params.symbol!;
      const c = {
        type: 'pause_liquidations',
        market: symbol,
        paused: body.paused,
        ...commandIdOf(body.commandId),
      };
      return audited(ctx, key, c, symbol);
    },
  }),
  route({
    method: 'put',
    path: '/v1/markets/:symbol/safe-mode',
    tag: 'operator',
    summary:
      "Force a market into safe mode (forced: true: liquidations wait, risk-increasing trades and withdrawals against it are refused) or release the force (the oracle's own reasons still apply)",
    auth: ['operator'],
    body: SafeModeBody,
    response: CommandReplySchema,
    mutates: true,
    handler: (ctx, { key, body, params }) => {
      const symbol = params.symbol!;
      const c = {
        type: 'force_safe_mode',
        market: symbol,
        forced: body.forced,
        ...commandIdOf(body.commandId),
      };
      return audited(ctx, key, c, symbol);
    },
  }),
  route({
    method: 'get',
    path: '/v1/audit',
    tag: 'operator',
    summary: 'The newest configuration changes: key id, time, command, before and after',
    auth: ['operator'],
    query: z.strictObject({
      limit: z
        .string()
        .regex(/^[0-9]{1,4}$/)
        .optional(),
    }),
    response: z.object({ records: z.array(z.record(z.string(), z.unknown())) }),
    handler: (ctx, { query }) => ({ records: ctx.audit.list(Number(query.limit ?? '100')) }),
  }),
];
