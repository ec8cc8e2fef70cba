/**
 * The HTTP service: `createContext` gathers what handlers need, `createApp` mounts every route of
 * the route table on a hono app (testable with `app.request()`, no socket), and `startServer`
 * listens with @hono/node-server and shuts down gracefully (stop accepting, finish in-flight
 * commands with `sink.drain()`, then `onClose` closes the journal).
 *
 * Per request: one log line and HTTP metrics; the body limit (413); for a signed route the
 * signature check (401), the key's scope (403) and rate limit (429); then the JSON body and query
 * are parsed with the route's zod schemas (400) and the handler runs. Every failure is
 * `{code, message, details?}` with the status of errors.ts, never a stack trace.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { foldLossLedger, lossLedgerFrom } from '../core/engine/loss-ledger.ts';
import { AgentDecisionLog } from './agent-decisions.ts';
import { type AuditLog, MemoryAuditLog } from './audit.ts';
import type { ApiKey } from './auth.ts';
import { readBody } from './body.ts';
import type { CommandSink } from './command-sink.ts';
import type { AppContext } from './context.ts';
import { DashboardHistory } from './dashboard/history.ts';
import type { ReadRange } from './dashboard/journal-history.ts';
import { RiskSnapshots } from './dashboard/risk-snapshot.ts';
import { ApiError } from './errors.ts';
import { createLogger, type Logger } from './log.ts';
import { createMetrics, type ServerMetrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rate-limit.ts';
import { RequestGuard } from './request-guard.ts';
import type { RouteDef } from './route.ts';
import { allRoutes } from './routes/index.ts';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export interface ContextOptions {
  readonly sink: CommandSink;
  readonly audit?: AuditLog;
  readonly logger?: Logger;
  readonly metrics?: ServerMetrics;
  readonly now?: () => number;
  readonly notReady?: () => string | undefined;
  /** Agents' decisions (default: in memory only). */
  readonly agentDecisions?: AgentDecisionLog;
  /** Durable events from the journal, for an account's whole event history (dashboard). */
  readonly readRange?: ReadRange;
}

export function createContext(opts: ContextOptions): AppContext {
  const sink = opts.sink;
  const metrics = opts.metrics ?? createMetrics(() => sink.engine.state);
  const ledger = lossLedgerFrom(sink.engine.state);
  const snapshots = new RiskSnapshots(() => sink.engine.state, { now: Date.now });
  const history = new DashboardHistory(() => sink.engine.state);
  sink.onCommitted((events) => {
    metrics.observeEvents(events);
    for (const e of events) foldLossLedger(ledger, e);
    snapshots.observe(events);
    history.observe(events);
  });
  return {
    lossLedger: () => ledger,
    dashboard: { snapshots, history, ...(opts.readRange ? { readRange: opts.readRange } : {}) },
    sink,
    audit: opts.audit ?? new MemoryAuditLog(),
    agentDecisions: opts.agentDecisions ?? new AgentDecisionLog(),
    metrics,
    logger: opts.logger ?? createLogger(),
    now: opts.now ?? Date.now,
    ...(opts.notReady ? { notReady: opts.notReady } : {}),
    shuttingDown: false,
  };
}

export interface AppOptions {
  readonly keys: readonly ApiKey[];
  /** Accepted clock difference of a signed request, ms (default 5,000). */
  readonly authWindowMs?: number;
  readonly rateLimit?: RateLimitOptions;
  readonly maxBodyBytes?: number;
  /** More routes (the WebSocket helper's, orders): mounted and documented like the rest. */
  readonly extraRoutes?: readonly RouteDef[];
  /**
   * The built risk console (docs/dashboard.md) served at /dashboard/ (and / redirects there);
   * default the package's dist/dashboard; false: not served.
   */
  readonly dashboardDir?: string | false;
}

/** Where `npm run build` puts the risk console (src/dashboard built by vite). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

const DASHBOARD_CSP =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Static files of the risk console, before the API routes (method ALL: not an API route). */
export function mountDashboard(app: Hono<Env>, dir: string): void {
  let files: MiddlewareHandler<Env> | undefined; // made once the files exist (it warns otherwise)
  app.use(async (c, next) => {
    const path = c.req.path;
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    if (path === '/' || path === '/dashboard') return c.redirect('/dashboard/', 302);
    if (!path.startsWith('/dashboard/')) return next();
    if (!existsSync(dir))
      return c.text('the risk console is not built: run `npm run build` (vite builds src/dashboard)', 404);
    c.header('Content-Security-Policy', DASHBOARD_CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    files ??= serveStatic<Env>({
      root: dir,
      rewriteRequestPath: (p) => p.replace(/^\/dashboard/, '') || '/',
    });
    return files(c, next);
  });
}

export type Env = { Variables: { keyId: string | undefined } };

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function errorResponse(c: Context, e: ApiError): Response {
  return c.json(e.body(), e.status, e.headers);
}

/**
 * A route's body (JSON text) and query validated by its schemas: MALFORMED_JSON or
 * INVALID_REQUEST (with the schema's details) otherwise. The service and a cluster partition's
 * API take their input this way.
 */
export function parseRouteInput(
  r: Pick<RouteDef, 'body' | 'query'>,
  text: string,
  rawQuery: unknown,
): { body: unknown; query: unknown } {
  let body: unknown;
  if (r.body) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiError('MALFORMED_JSON', 'request body is not valid JSON');
    }
    const parsed = r.body.safeParse(json);
    if (!parsed.success) {
      const { message, details } = zodDetails(parsed.error);
      throw new ApiError('INVALID_REQUEST', message, details);
    }
    body = parsed.data;
  }
  let query: unknown = {};
  if (r.query) {
    const parsed = r.query.safeParse(rawQuery);
    if (!parsed.success) {
      const { message, details } = zodDetails(parsed.error);
      throw new ApiError('INVALID_REQUEST', message, details);
    }
    query = parsed.data;
  }
  return { body, query };
}

export function zodDetails(error: z.ZodError): { message: string; details: Record<string, unknown> } {
  const issues = error.issues.slice(0, 10).map((i) => ({
    path: i.path.map(String).join('.') || '(body)',
    message: i.message,
  }));
  return { message: issues.map((i) => `${i.path}: ${i.message}`).join('; '), details: { issues } };
}

export interface PlimsollApp {
  readonly app: Hono<Env>;
  readonly ctx: AppContext;
  readonly routes: readonly RouteDef[];
}

export function createApp(ctx: AppContext, opts: AppOptions): PlimsollApp {
  const app = new Hono<Env>();
  const guard = new RequestGuard({
    keys: opts.keys,
    ...(opts.authWindowMs === undefined ? {} : { windowMs: opts.authWindowMs }),
    rateLimit: opts.rateLimit ?? DEFAULT_RATE_LIMIT,
    now: ctx.now,
  });
  let doc: unknown;
  const routes: RouteDef[] = [...allRoutes(() => doc), ...(opts.extraRoutes ?? [])];
  doc = openApiDocument(routes, packageVersion());

  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const ms = performance.now() - started;
    const route = c.req.routePath === '/*' ? '(unmatched)' : c.req.routePath;
    const status = c.res.status;
    ctx.metrics.httpRequests.inc({ method: c.req.method, route, status: String(status) });
    ctx.metrics.httpDuration.observe({ method: c.req.method, route }, ms / 1000);
    ctx.logger.info(
      { method: c.req.method, route, status, ms: Math.round(ms * 1000) / 1000, keyId: c.get('keyId') },
      'request',
    );
  });
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (opts.dashboardDir !== false) mountDashboard(app, opts.dashboardDir ?? DEFAULT_DASHBOARD_DIR);

  for (const r of routes) {
    app.on(r.method.toUpperCase(), r.path, async (c) => {
      const text = await readBody(c, maxBodyBytes);
      let key: ApiKey | undefined;
      if (r.auth !== 'public') {
        const url = new URL(c.req.url);
        key = guard.check(
          r,
          {
            method: c.req.method,
            pathQuery: url.pathname + url.search,
            body: text,
            header: (name) => c.req.header(name),
          },
          (k) => c.set('keyId', k.id),
        );
      }
      const { body, query } = parseRouteInput(r, text, c.req.query());
      if (r.mutates && ctx.shuttingDown) throw new ApiError('SHUTTING_DOWN', 'the server is shutting down');
      const out = await r.handler(ctx, { key, body, query, params: c.req.param() as Record<string, string> });
      if (out instanceof Response) return out;
      return c.json(out as object, r.status ?? 200);
    });
  }

  app.notFound((c) =>
    errorResponse(c, new ApiError('NOT_FOUND', `no route ${c.req.method} ${new URL(c.req.url).pathname}`)),
  );
  app.onError((e, c) => {
    if (e instanceof ApiError) return errorResponse(c, e);
    ctx.logger.error({ err: e, method: c.req.method, path: new URL(c.req.url).pathname }, 'internal error');
    return errorResponse(c, new ApiError('INTERNAL', 'internal error (logged on the server)'));
  });
  return { app, ctx, routes };
}

export interface StartOptions {
  readonly app: PlimsollApp;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Called after the last in-flight command is durable (close the journal here). */
  readonly onClose?: () => void | Promise<void>;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** The node http server (the WebSocket endpoint attaches to its 'upgrade' event). */
  readonly server: Server;
  /** Stops accepting, finishes in-flight commands, then runs onClose. Idempotent. */
  close(): Promise<void>;
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { app, ctx } = opts.app;
  const host = opts.host ?? '127.0.0.1';
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: opts.port ?? 8080 }, () =>
      resolve(s as Server),
    ) as Server;
    s.once('error', reject);
  });
  // Keep idle keep-alive connections open longer than clients do (undici closes its idle sockets
  // after 4 s, most HTTP clients and load balancers within 60 s): the client then always closes
  // first, so a request is never written onto a socket the server is closing at that moment —
  // the race that surfaces as ECONNRESET when the event loop is busy (a crash tick) and the
  // server's 5 s default timer fires late.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    server,
    close() {
      closing ??= (async () => {
        ctx.shuttingDown = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await ctx.sink.drain();
        // connections still open after a grace period are cut
        const timer = setTimeout(() => server.closeAllConnections(), 5_000);
        await closed;
        clearTimeout(timer);
        await opts.onClose?.();
      })();
      return closing;
    },
  };
}
