/**
 * The single-process API on the cluster gateway: every route of the route table (the same list
 * GET /openapi.json documents) is mounted with its path and method, and answered in one of these
 * ways (`dispositionOf`):
 *
 * - `local`: the gateway itself (liveness, readiness of every partition, its metrics, the OpenAPI
 *   document, the clock, the audit trail of the operator changes it broadcast: gateway-audit.ts);
 * - `account`: the partition owning the request's account (path `:account`, else the body's or
 *   query's `account`, else a fill's buyer): its worker runs the route's own handler
 *   (partition-api.ts); a command the handler submits is published through JetStream and answered
 *   after the worker's journal commit;
 * - `order`: the partition holding the order (every partition is asked; the one that knows it
 *   answers); an amend or cancel goes to that partition's command subject;
 * - `any`: partition 0 answers (configuration, marks and oracle state are the same in every
 *   partition: they come from the broadcast stream); a command is broadcast to every partition;
 * - `merge`: every partition answers and the gateway combines the answers exactly (account lists
 *   concatenated, open interest and insurance balances summed as exact decimals, at-risk scopes
 *   re-ranked by the single process's own order);
 * - `gather`: a view that asks every partition (and where it needs them, partition 0's asset
 *   list, the coordinator's ledger, or a second read) and merges the answers (gateway-merge.ts):
 *   the state, the ADL queue, socialized losses, the overview, the liquidation map, the cascade;
 * - `unsupported`: a view that has no cluster meaning yet: 501 `CLUSTER_UNSUPPORTED` with the reason.
 *
 * Given API keys (`guard`), a signed route is checked as the single process checks it, by the
 * same code (server/request-guard.ts: signature, scope, rate limit; the body limit of
 * server/body.ts), before it is routed, and the verified key (without its secret) goes with the
 * request so the handler's own account checks apply in the partition. Without keys handlers run
 * as an operator (library use; bind such a gateway to a private address). Errors have the single
 * process's shape `{code, message, details?}` and statuses.
 */
import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { Counter, Registry } from 'prom-client';
import { formatDecimal, QTY_DECIMALS } from '../core/num/index.ts';
import { DEFAULT_DASHBOARD_DIR, DEFAULT_MAX_BODY_BYTES, type Env, mountDashboard } from '../server/app.ts';
import type { ApiKey } from '../server/auth.ts';
import { readBody } from '../server/body.ts';
import { ApiError, HTTP_STATUS } from '../server/errors.ts';
import { openApiDocument } from '../server/openapi.ts';
import type { RequestGuard } from '../server/request-guard.ts';
import type { RouteDef } from '../server/route.ts';
import { allRoutes } from '../server/routes/index.ts';
import type { ClusterClient, SubmitResult } from './client.ts';
import { readCoordinatorLedger } from './coordinator.ts';
import { GatewayAudit, memoryAuditStore, postgresAuditStore } from './gateway-audit.ts';
import {
  type CascadeRow,
  cascadeAcross,
  cascadeRows,
  coordinatorView,
  decimalUnits,
  MergeError,
  mergeAdlQueue,
  mergeInsurance,
  mergeLiquidationMaps,
  mergeLossLedgers,
  mergeOverviews,
  mergeState,
  sumDecimals,
} from './gateway-merge.ts';
import { ADL_CLEARING_ACCOUNT, partitionOf } from './partition.ts';
import { type ApiAnswer, type ApiRequest, apiSubject, GATEWAY_KEY } from './partition-api.ts';

export type Disposition =
  | { readonly kind: 'local' }
  | { readonly kind: 'account' }
  | { readonly kind: 'order' }
  | { readonly kind: 'any' }
  | {
      readonly kind: 'merge';
      readonly merge: (answers: unknown[], query: Record<string, string>, io: GatherIO) => unknown;
    }
  | {
      readonly kind: 'gather';
      readonly gather: (io: GatherIO, query: Record<string, string>) => Promise<unknown>;
    }
  | { readonly kind: 'unsupported'; readonly reason: string };

/** 501: the route exists in the single process but has no cluster meaning in this version. */
export const CLUSTER_UNSUPPORTED = 'CLUSTER_UNSUPPORTED';

const LOCAL = new Set([
  'GET /healthz',
  'GET /readyz',
  'GET /metrics',
  'GET /openapi.json',
  'GET /v1/time',
  'GET /v1/audit',
]);

const UNSUPPORTED: Record<string, string> = {};

export { sumDecimals };

/** What a `gather` view may ask: every partition, one partition, the coordinator's ledger. */
export interface GatherIO {
  /** Every partition's answer to a read route (its pattern, no params); an error answer is the view's. */
  all(path: string, query: Record<string, string>): Promise<unknown[]>;
  one(partition: number, path: string, query: Record<string, string>): Promise<unknown>;
  /** The settlement asset's decimals (partition 0's asset list: configuration is broadcast). */
  settlementDecimals(): Promise<number>;
  /** The coordinator's fund and payments, formatted; undefined when the gateway has no PostgreSQL URL. */
  coordinator(): Promise<ReturnType<typeof coordinatorView> | undefined>;
  /**
   * Per market, the long size (qty9) the ADL clearing account holds over every partition (its
   * pair subaccounts, and any clearing subaccount still open): positions that are not traders'.
   */
  clearingLongs(): Promise<Map<string, bigint>>;
}

/** A partition answered a gathered request with an error: the view answers it (its code and status). */
class Refused extends Error {
  constructor(readonly answer: ApiAnswer) {
    super('refused');
  }
}

/** How old the coordinator's figures in a gathered view may be. */
const COORDINATOR_MAX_AGE_MS = 1000;

/** The most at-risk scopes a partition lists in one answer (the at-risk route's own limit). */
const AT_RISK_MAX = 5000;

const GATHER: Record<string, Disposition> = {
  'GET /v1/state': {
    kind: 'gather',
    gather: async (io, q) => mergeState((await io.all('/v1/state', q)) as Parameters<typeof mergeState>[0]),
  },
  'GET /v1/adl-queue': {
    kind: 'gather',
    gather: async (io, q) =>
      mergeAdlQueue((await io.all('/v1/adl-queue', q)) as Parameters<typeof mergeAdlQueue>[0]),
  },
  'GET /v1/socialized-losses': {
    kind: 'gather',
    gather: async (io, q) => {
      const [parts, coordinator] = await Promise.all([io.all('/v1/socialized-losses', q), io.coordinator()]);
      return mergeLossLedgers(parts as Parameters<typeof mergeLossLedgers>[0], coordinator);
    },
  },
  'GET /v1/risk/liquidation-map': {
    kind: 'gather',
    gather: async (io, q) =>
      mergeLiquidationMaps(
        (await io.all('/v1/risk/liquidation-map', q)) as Parameters<typeof mergeLiquidationMaps>[0],
      ),
  },
  'GET /v1/risk/cascade': {
    kind: 'gather',
    gather: async (io, q) => {
      const parts = await io.all('/v1/risk/cascade', q);
      // the rounds after the first need every position of the market at one place: each
      // partition's at-risk scopes in that market list them (side, exact size, liquidation price)
      const scopes = (await io.all('/v1/risk/at-risk', {
        symbol: q.symbol ?? '',
        limit: String(AT_RISK_MAX),
      })) as { total: number; scopes: Parameters<typeof cascadeRows>[0] }[];
      const over = scopes.findIndex((s) => s.total > AT_RISK_MAX);
      if (over >= 0)
        throw new GatewayError(
          CLUSTER_UNSUPPORTED,
          `partition ${over} has more than ${AT_RISK_MAX} margin scopes in ${q.symbol}: the cascade is not gathered`,
          501,
        );
      const rows: CascadeRow[] = scopes.flatMap((s) => cascadeRows(s.scopes, q.symbol ?? ''));
      return cascadeAcross(
        parts as Parameters<typeof cascadeAcross>[0],
        rows,
        q,
        await io.settlementDecimals(),
      );
    },
  },
  'GET /v1/dashboard/overview': {
    kind: 'gather',
    gather: async (io, q) => {
      const [parts, qd, coordinator, clearing] = await Promise.all([
        io.all('/v1/dashboard/overview', q),
        io.settlementDecimals(),
        io.coordinator(),
        io.clearingLongs(),
      ]);
      return mergeOverviews(parts as Parameters<typeof mergeOverviews>[0], qd, coordinator, clearing);
    },
  },
};

const MERGE: Record<string, Disposition> = {
  'GET /v1/accounts': {
    kind: 'merge',
    merge: (answers) => ({
      accounts: answers
        .flatMap((a) => (a as { accounts: { account: string }[] }).accounts)
        .sort((x, y) => (x.account < y.account ? -1 : x.account > y.account ? 1 : 0)),
    }),
  },
  'GET /v1/markets': {
    kind: 'merge',
    merge: async (answers, _q, io) => ({
      markets: mergeMarkets(
        answers.map((a) => (a as { markets: Market[] }).markets),
        await io.clearingLongs(),
      ),
    }),
  },
  'GET /v1/markets/:symbol': {
    kind: 'merge',
    merge: async (answers, _q, io) =>
      mergeMarkets(
        answers.map((a) => [a as Market]),
        await io.clearingLongs(),
      )[0],
  },
  'GET /v1/insurance-fund': {
    kind: 'merge',
    merge: (answers) => mergeInsurance(answers as Parameters<typeof mergeInsurance>[0]),
  },
  'GET /v1/risk/at-risk': {
    kind: 'merge',
    merge: (answers, query) => mergeAtRisk(answers as AtRisk[], Number(query.limit ?? '200')),
  },
};

const ORDER = new Set(['GET /v1/orders/:orderId', 'PATCH /v1/orders/:orderId', 'DELETE /v1/orders/:orderId']);

/** How the gateway answers a route of the single-process table. */
export function dispositionOf(r: Pick<RouteDef, 'method' | 'path'>): Disposition {
  const key = `${r.method.toUpperCase()} ${r.path}`;
  if (LOCAL.has(key)) return { kind: 'local' };
  const reason = UNSUPPORTED[key];
  if (reason !== undefined) return { kind: 'unsupported', reason };
  const merge = MERGE[key] ?? GATHER[key];
  if (merge) return merge;
  if (ORDER.has(key)) return { kind: 'order' };
  if (r.path.includes(':account')) return { kind: 'account' };
  return ACCOUNT_BODY.has(key) ? { kind: 'account' } : { kind: 'any' };
}

/** Routes whose account is in the body or query. */
const ACCOUNT_BODY = new Set([
  'POST /v1/deposits',
  'POST /v1/withdrawals',
  'POST /v1/transfers',
  'POST /v1/insurance-fund/contributions',
  'POST /v1/orders',
  'POST /v1/orders/check',
  'GET /v1/orders',
  'POST /v1/fills',
  'POST /v1/liquidations',
]);

class GatewayError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: ContentfulStatusCode,
  ) {
    super(message);
  }
}

export interface ApiMountOptions {
  readonly waitMs: number;
  /** Milliseconds a partition has to answer an API request (default 5,000). */
  readonly askMs?: number;
  /** API keys: signed routes are verified (as in the single process); absent, none is. */
  readonly guard?: RequestGuard;
  /** Largest request body (default the single process's, 64 KiB). */
  readonly maxBodyBytes?: number;
  /** The cluster's PostgreSQL: the coordinator's fund in the overview and socialized losses. */
  readonly pgUrl?: string;
  /** The risk console's built files served at /dashboard/ as `plimsoll serve` does (false: not served). */
  readonly dashboardDir?: string | false;
}

/** Mounts every route of the single-process table on `app` (before the cluster-only routes). */
export function mountSingleProcessApi(app: Hono, client: ClusterClient, opts: ApiMountOptions): RouteDef[] {
  // the console reads the same API (its overview, at-risk, map and cascade are gathered here)
  if (opts.dashboardDir !== false)
    mountDashboard(app as unknown as Hono<Env>, opts.dashboardDir ?? DEFAULT_DASHBOARD_DIR);
  let doc: unknown;
  const routes = allRoutes(() => doc);
  doc = openApiDocument(routes, 'cluster');
  const registry = new Registry();
  const requests = new Counter({
    name: 'plimsoll_gateway_requests',
    help: 'Requests answered by the cluster gateway',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const askMs = opts.askMs ?? 5000;
  // a partition without a listener yet (starting, restarting) is asked again until askMs is spent
  const ask = async (p: number, req: ApiRequest): Promise<ApiAnswer> => {
    const until = Date.now() + askMs;
    for (;;) {
      try {
        const m = await client.bus.nc.request(apiSubject(client.names, p), JSON.stringify(req), {
          timeout: Math.max(1, until - Date.now()),
        });
        return m.json<ApiAnswer>();
      } catch (err) {
        const noResponders = /no responders/i.test((err as Error).message);
        if (!noResponders || Date.now() + 50 >= until)
          throw new GatewayError('PARTITION_UNAVAILABLE', `partition ${p}: ${(err as Error).message}`, 503);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const all = (req: ApiRequest) =>
    Promise.all(Array.from({ length: client.partitions }, (_, p) => ask(p, req)));
  const audit = new GatewayAudit({
    store: opts.pgUrl === undefined ? memoryAuditStore() : postgresAuditStore(opts.pgUrl, client.names),
    ask,
    partitions: client.partitions,
    settleMs: opts.waitMs,
  });

  let ledger: { at: number; read: ReturnType<typeof readCoordinatorLedger> } | undefined;
  let clearing: { at: number; read: Promise<Map<string, bigint>> } | undefined;
  const bodyOf = (a: ApiAnswer): unknown => {
    if (a.kind !== 'reply') throw new Refused(a);
    return a.body;
  };
  const io: GatherIO = {
    all: async (path, query) => (await all({ method: 'get', path, params: {}, query })).map(bodyOf),
    one: async (p, path, query) => bodyOf(await ask(p, { method: 'get', path, params: {}, query })),
    settlementDecimals: async () => {
      const { assets } = (await io.one(0, '/v1/assets', {})) as {
        assets: { decimals: number; settlement: boolean }[];
      };
      const s = assets.find((a) => a.settlement);
      if (!s) throw new GatewayError('INTERNAL', 'partition 0 lists no settlement asset', 500);
      return s.decimals;
    },
    coordinator: async () => {
      const pgUrl = opts.pgUrl;
      if (pgUrl === undefined) return undefined;
      // one read (one PostgreSQL session) a second at most, however often the console polls
      if (!ledger || Date.now() - ledger.at > COORDINATOR_MAX_AGE_MS) {
        const read = readCoordinatorLedger(pgUrl, client.names);
        ledger = { at: Date.now(), read };
        read.catch(() => {
          if (ledger?.read === read) ledger = undefined;
        });
      }
      const [figures, qd] = await Promise.all([ledger.read, io.settlementDecimals()]);
      return coordinatorView(figures, qd);
    },
    clearingLongs: async () => {
      // each partition lists the clearing account's subaccounts (a scan of its subaccounts):
      // one read a second at most, however often the console polls
      if (!clearing || Date.now() - clearing.at > COORDINATOR_MAX_AGE_MS) {
        const read = clearingLongsOf(client);
        clearing = { at: Date.now(), read };
        read.catch(() => {
          if (clearing?.read === read) clearing = undefined;
        });
      }
      return clearing.read;
    },
  };

  const local = async (path: string): Promise<Response | unknown> => {
    switch (path) {
      case '/healthz':
        return { status: 'ok' };
      case '/readyz': {
        const s = await Promise.all(
          Array.from({ length: client.partitions }, (_, p) =>
            client.query(p, undefined, 1000).catch(() => undefined),
          ),
        );
        const down = s.flatMap((x, p) => (x === undefined ? [p] : []));
        if (down.length > 0)
          throw new GatewayError('NOT_READY', `partitions ${down.join(', ')} do not answer`, 503);
        // progress counter: the sum of the partitions' journal positions
        return { status: 'ready', seq: s.reduce((t, x) => t + (x?.status.seq ?? 0), 0) };
      }
      case '/metrics':
        return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } });
      case '/openapi.json':
        return doc;
      default:
        return { serverTime: Date.now() };
    }
  };

  /**
   * Publishes a command a handler submitted. An amend or cancel names only the order: it carries
   * the order's `subaccount` in the cluster (the engine ignores the field), which routes it to the
   * partition holding the order, whose worker checks the order is that subaccount's.
   */
  const submit = async (partition: number | undefined, a: ApiAnswer & { kind: 'command' }) => {
    const c = a.command;
    if (partition !== undefined && (c.type === 'amend_order' || c.type === 'cancel_order')) {
      const o = await ask(partition, {
        method: 'get',
        path: '/v1/orders/:orderId',
        params: { orderId: String(c.orderId) },
        query: {},
      });
      if (o.kind !== 'reply')
        return {
          ok: false as const,
          rejection: { code: 'UNKNOWN_ORDER', message: `unknown order ${String(c.orderId)}` },
          partition,
        };
      const ref = o.body as { account: string; sub: string };
      return client.submit({ ...c, subaccount: { account: ref.account, sub: ref.sub } }, opts.waitMs);
    }
    return client.submit(c, opts.waitMs);
  };

  for (const r of routes) {
    const d = dispositionOf(r);
    app.on(r.method.toUpperCase(), r.path, async (c) => {
      let status: ContentfulStatusCode = 200;
      try {
        const res = await handle(c, r, d);
        status = res.status as ContentfulStatusCode;
        return res;
      } catch (e) {
        if (e instanceof ApiError) {
          status = e.status;
          return c.json(e.body(), e.status, e.headers);
        }
        const g =
          e instanceof GatewayError
            ? e
            : new GatewayError('INTERNAL', (e as Error).message ?? String(e), 500);
        status = g.status;
        return c.json({ code: g.code, message: g.message }, g.status);
      } finally {
        requests.inc({ method: r.method, route: r.path, status: String(status) });
      }
    });
  }

  async function handle(c: Context, r: RouteDef, d: Disposition): Promise<Response> {
    const raw = await readBody(c, opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    let key: ApiKey | undefined;
    if (opts.guard !== undefined && r.auth !== 'public') {
      const url = new URL(c.req.url);
      key = opts.guard.check(r, {
        method: c.req.method,
        pathQuery: url.pathname + url.search,
        body: raw,
        header: (name) => c.req.header(name),
      });
    }
    if (d.kind === 'unsupported') throw new GatewayError(CLUSTER_UNSUPPORTED, d.reason, 501);
    if (d.kind === 'local') {
      if (r.path === '/v1/audit') return reply(c, await audit.list(r, c.req.query()));
      const out = await local(r.path);
      return out instanceof Response ? out : c.json(out as object, 200);
    }
    const text = r.body ? raw : undefined;
    const query = c.req.query();
    const req: ApiRequest = {
      method: r.method,
      path: r.path,
      params: c.req.param() as Record<string, string>,
      query,
      ...(text === undefined ? {} : { body: text }),
      ...(key === undefined
        ? {}
        : { key: { id: key.id, scopes: key.scopes, ...(key.accounts ? { accounts: key.accounts } : {}) } }),
    };
    let partition: number | undefined;
    let a: ApiAnswer;
    if (d.kind === 'gather') {
      try {
        return c.json((await d.gather(io, query)) as object, 200);
      } catch (e) {
        if (e instanceof Refused) return reply(c, e.answer);
        if (e instanceof MergeError) throw new GatewayError('INTERNAL', e.message, 500);
        throw e;
      }
    }
    if (d.kind === 'merge') {
      const answers = await all(req);
      const bad = answers.find((x) => x.kind !== 'reply');
      if (bad) return reply(c, bad);
      return c.json(
        (await d.merge(
          answers.map((x) => (x as { body: unknown }).body),
          query,
          io,
        )) as object,
        200,
      );
    }
    if (d.kind === 'order') {
      const answers = await all(req);
      const found = answers.findIndex((x) => !(x.kind === 'error' && x.code === 'UNKNOWN_ORDER'));
      partition = Math.max(0, found);
      a = answers[partition]!;
    } else if (d.kind === 'account') {
      const account = accountOf(req.params, text, query);
      // a malformed body has no account: any partition answers with the route's own validation error
      partition = account === undefined ? 0 : partitionOf(account, client.partitions);
      a = await ask(partition, req);
    } else {
      partition = 0;
      a = await ask(0, req);
    }
    if (a.kind !== 'command') return reply(c, a);
    // an operator change (broadcast) is recorded once acknowledged, under the request's key (if any)
    const change = d.kind === 'any' ? await audit.before(a.command) : undefined;
    const result = await submit(partition, a);
    await audit.after(change, key?.id ?? (c.get('keyId') as string | undefined) ?? GATEWAY_KEY.id, result);
    const [status, body] = answer(result);
    return c.json(body as object, status === 200 ? ((r.status ?? 200) as ContentfulStatusCode) : status);
  }
  return routes;
}

function reply(c: Context, a: ApiAnswer): Response {
  if (a.kind === 'reply') {
    if (typeof a.body === 'string') return c.body(a.body, a.status as ContentfulStatusCode);
    return c.json(a.body as object, a.status as ContentfulStatusCode);
  }
  if (a.kind === 'error') {
    const status = (HTTP_STATUS as Record<string, ContentfulStatusCode>)[a.code] ?? 422;
    return c.json({ code: a.code, message: a.message, ...(a.details ? { details: a.details } : {}) }, status);
  }
  throw new GatewayError('INTERNAL', 'a command where a reply was expected', 500);
}

/** The HTTP status and body for a worker's outcome. */
export function answer(r: SubmitResult): [ContentfulStatusCode, unknown] {
  if (r.ok === 'pending') {
    return [
      202,
      { code: 'ACCEPTED', message: `durable in ${r.subject} at stream sequence ${r.streamSeq}`, ...r },
    ];
  }
  if (r.ok) {
    return [200, { seq: r.seq, ...(r.replayed ? { replayed: true } : {}), events: r.events }];
  }
  const { code, message, details } = r.rejection as { code: string; message: string; details?: unknown };
  const known = (HTTP_STATUS as Record<string, ContentfulStatusCode>)[code];
  return [known ?? 422, { code, message, ...(details === undefined ? {} : { details }) }];
}

/** The account a request is about: path, else body or query `account`, else a fill's buyer. */
export function accountOf(
  params: Record<string, string>,
  text: string | undefined,
  query: Record<string, string>,
): string | undefined {
  if (params.account !== undefined) return params.account;
  let body: { account?: unknown; buyer?: { account?: unknown } } | undefined;
  try {
    body = text === undefined ? undefined : (JSON.parse(text) as typeof body);
  } catch {
    body = undefined;
  }
  const a = body?.account ?? body?.buyer?.account ?? query.account;
  return typeof a === 'string' ? a : undefined;
}

/** Per market, the clearing account's long size over every partition (GatherIO.clearingLongs). */
async function clearingLongsOf(client: ClusterClient): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  const answers = await Promise.all(
    Array.from({ length: client.partitions }, (_, p) => client.query(p, ADL_CLEARING_ACCOUNT)),
  );
  for (const a of answers) {
    for (const s of a.subaccounts ?? []) {
      for (const [m, size] of Object.entries(s.positions)) {
        const q = BigInt(size);
        if (q > 0n) out.set(m, (out.get(m) ?? 0n) + q);
      }
    }
  }
  return out;
}

// ---- exact merges ----------------------------------------------------------------------------

interface Market {
  symbol: string;
  openInterest: string;
}
interface AtRiskScope {
  rank: number;
  account: string;
  liquidationProbability: number;
  score: number;
}
interface AtRisk {
  seq: number;
  timeMs: number;
  computeMs: number;
  total: number;
  scopes: AtRiskScope[];
}

/**
 * Partition 0's market views with open interest summed over every partition, less the ADL
 * clearing account's longs (`clearing`): open interest is traders' positions, as in the single
 * process (which has no clearing account); the clearing account's is reported beside it.
 */
function mergeMarkets(lists: Market[][], clearing: ReadonlyMap<string, bigint>): Market[] {
  return lists[0]!.map((m) => {
    const held = clearing.get(m.symbol) ?? 0n;
    const all = decimalUnits(
      sumDecimals(lists.map((l) => l.find((x) => x.symbol === m.symbol)?.openInterest ?? '0')),
      QTY_DECIMALS,
    );
    return {
      ...m,
      openInterest: formatDecimal(all - held, QTY_DECIMALS),
      // the single process has no clearing account: the field is there only when it holds some
      ...(held > 0n ? { clearingOpenInterest: formatDecimal(held, QTY_DECIMALS) } : {}),
    };
  });
}

/** Every partition's scopes in the single process's order (probability, score, account), re-ranked. */
function mergeAtRisk(parts: AtRisk[], limit: number): unknown {
  const scopes = parts
    .flatMap((p) => p.scopes)
    .sort(
      (a, b) =>
        b.liquidationProbability - a.liquidationProbability ||
        b.score - a.score ||
        (a.account < b.account ? -1 : a.account > b.account ? 1 : 0),
    )
    .slice(0, limit)
    .map((s, i) => ({ ...s, rank: i + 1 }));
  return {
    ...parts[0],
    seq: parts.reduce((t, p) => t + p.seq, 0),
    timeMs: Math.max(...parts.map((p) => p.timeMs)),
    computeMs: Math.max(...parts.map((p) => p.computeMs)),
    total: parts.reduce((t, p) => t + p.total, 0),
    scopes,
  };
}
