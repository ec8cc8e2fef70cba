/**
 * Liveness, readiness, Prometheus metrics and the OpenAPI document (all public).
 * /healthz: the process answers. /readyz: the engine is open and not halted, the journal writable,
 * and the server is not shutting down (503 NOT_READY otherwise, with the reason).
 */
import { z } from 'zod';
import { ApiError } from '../errors.ts';
import { type RouteDef, route } from '../route.ts';

export function systemRoutes(openApi: () => unknown): RouteDef[] {
  return [
    route({
      method: 'get',
      path: '/healthz',
      tag: 'system',
      summary: 'Liveness: the process answers',
      auth: 'public',
      response: z.object({ status: z.literal('ok') }),
      handler: () => ({ status: 'ok' }),
    }),
    route({
      method: 'get',
      path: '/readyz',
      tag: 'system',
      summary: 'Readiness: engine open and not halted, journal writable, not shutting down',
      auth: 'public',
      response: z.object({ status: z.literal('ready'), seq: z.number() }),
      handler: (ctx) => {
        const engine = ctx.sink.engine;
        const reason = (ctx.shuttingDown ? 'shutting down' : undefined) ?? engine.halted ?? ctx.notReady?.();
        if (reason !== undefined) throw new ApiError('NOT_READY', reason);
        return { status: 'ready', seq: engine.state.seq };
      },
    }),
    route({
      method: 'get',
      path: '/metrics',
      tag: 'system',
      summary: 'Prometheus metrics (text exposition format)',
      auth: 'public',
      handler: async (ctx) =>
        new Response(await ctx.metrics.registry.metrics(), {
          headers: { 'content-type': ctx.metrics.registry.contentType },
        }),
    }),
    route({
      method: 'get',
      path: '/v1/state',
      tag: 'system',
      summary: "The engine's journal position and state hash (equal hashes: equal states)",
      auth: ['operator'],
      response: z.object({ seq: z.number(), timeMs: z.number(), stateHash: z.string() }),
      handler: (ctx) => {
        const engine = ctx.sink.engine;
        return { seq: engine.state.seq, timeMs: engine.state.timeMs, stateHash: engine.stateHash() };
      },
    }),
    route({
      method: 'get',
      path: '/openapi.json',
      tag: 'system',
      summary: 'This document: OpenAPI 3.1 generated from the route table and its schemas',
      auth: 'public',
      handler: () => openApi(),
    }),
  ];
}
