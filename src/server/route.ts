/**
 * A route as data: method, path, who may call it, the zod schemas of its body and query, and its
 * handler. The app mounts every route from these definitions and GET /openapi.json is generated
 * from the same list, so the documentation cannot drift from what the server accepts.
 */
import type { z } from 'zod';
import type { ApiKey, Scope } from './auth.ts';
import type { AppContext } from './context.ts';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteRequest<B, Q> {
  readonly key: ApiKey | undefined;
  readonly body: B;
  readonly query: Q;
  readonly params: Record<string, string>;
}

export interface RouteDef<B = unknown, Q = unknown> {
  readonly method: Method;
  /** Hono path syntax: /v1/accounts/:account */
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  /** 'public': unsigned; else a signed request by a key holding one of these scopes. */
  readonly auth: 'public' | readonly Scope[];
  readonly body?: z.ZodType<B>;
  readonly query?: z.ZodType<Q>;
  /** Documented response schema (informational). */
  readonly response?: z.ZodType;
  /** Success status (200 unless given). */
  readonly status?: 200 | 201;
  /** true: the route changes state (refused while shutting down). */
  readonly mutates?: boolean;
  readonly handler: (ctx: AppContext, req: RouteRequest<B, Q>) => Promise<unknown> | unknown;
}

/** Keeps B and Q inferred from the schemas for each definition. */
export function route<B = undefined, Q = undefined>(def: RouteDef<B, Q>): RouteDef<unknown, unknown> {
  return def as unknown as RouteDef<unknown, unknown>;
}
