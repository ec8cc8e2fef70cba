/**
 * The cheapest set of transfers that covers every venue's collateral deficit from the other
 * venues' surpluses (and an optional outside reserve): a transportation problem with per-route
 * fees, solved exactly.
 *
 * Model (all amounts in micro-USD, "usd6"; settlement stablecoins are taken at par):
 *   - node i has a surplus s_i it can send (what it can withdraw and still keep its own band)
 *     and node j a deficit d_j it must receive;
 *   - a route i → j charges fee(x) = flat_ij + rate_ij · x on an amount x, paid by the sender on
 *     top of the amount (the receiver gets exactly x), so sender i spends x + fee(x);
 *   - choose amounts x_ij ≥ 0 with Σ_i x_ij = d_j for every deficit (the receiver gets exactly
 *     what it lacks: more would only cost more fees) and Σ_j (x_ij + fee_ij(x_ij)) ≤ s_i for every
 *     sender, minimising the total fee Σ fee_ij(x_ij) (a flat fee is charged only on a route used).
 *
 * Solution. Flat fees make the cost a step at x = 0, so the problem is solved per support: for
 * every subset S of the flat-fee routes (the zero-flat routes are always allowed), the flats of S
 * are reserved from the senders' surpluses and the rest is a linear programme, min Σ rate·x
 * s.t. the equalities and the capacity rows, solved exactly (exact-lp.ts). The plan's cost is
 * the LP value plus the flats of the routes actually used. Optimality: an optimal plan x* with
 * support S* is feasible for S*'s programme, whose optimum costs no more and uses no route
 * outside S*; so the best over all subsets is a global optimum. (2^k programmes for k flat-fee
 * routes between senders and receivers; k is capped at 12.)
 *
 * Rounding: the programme's amounts are exact rationals; each transfer is rounded up to a whole
 * micro-unit (the receiver never gets less than its deficit) and its fee rounded up. If rounding
 * pushes a sender past its surplus (possible only when that surplus binds), the programme is
 * solved again with 3 micro-units per route held back from each sender, which rounding can never
 * exceed; so a returned plan is always feasible, and at most a few micro-units dearer than the
 * exact optimum.
 */
import { divRound, formatDecimal } from '../core/num/index.ts';
import { type LpResult, type Q, Q0, Q1, q, qadd, qcmp, qsign, solveLp } from './exact-lp.ts';

/** Micro-USD (6 decimals): the transfer plan's common unit. */
export const USD_DECIMALS = 6;
const PPM = 1_000_000n;
const MAX_FLAT_ROUTES = 12;
const ROUNDING_RESERVE = 3n;

export interface PlanNode {
  readonly id: string;
  /** What the node can send, usd6 (≥ 0). */
  readonly surplus: bigint;
  /** What the node must receive, usd6 (≥ 0). A node has a surplus or a deficit, not both. */
  readonly deficit: bigint;
}

export interface PlanRoute {
  readonly from: string;
  readonly to: string;
  /** Flat fee per transfer, usd6. */
  readonly flat: bigint;
  /** Proportional fee, parts per million of the amount. */
  readonly ratePpm: bigint;
}

export interface Transfer {
  readonly from: string;
  readonly to: string;
  /** Amount the receiver gets, usd6. */
  readonly amount: bigint;
  /** Fee the sender pays on top, usd6. */
  readonly fee: bigint;
}

export type TransferPlan =
  | { readonly status: 'ok'; readonly transfers: readonly Transfer[]; readonly totalFee: bigint }
  | {
      readonly status: 'infeasible';
      /** Total deficit and the total the senders could send (before fees), usd6. */
      readonly totalDeficit: bigint;
      readonly totalSurplus: bigint;
      /** Receivers that no route reaches. */
      readonly unreachable: readonly string[];
    };

export class TransferPlanError extends Error {
  override name = 'TransferPlanError';
  constructor(
    readonly code: 'TOO_MANY_FLAT_ROUTES' | 'BAD_NODE',
    message: string,
  ) {
    super(message);
  }
}

interface Edge {
  readonly from: number;
  readonly to: number;
  readonly route: PlanRoute;
}

/** The cheapest transfers covering every deficit (module header). */
export function planTransfers(nodes: readonly PlanNode[], routes: readonly PlanRoute[]): TransferPlan {
  for (const nd of nodes) {
    if (nd.surplus < 0n || nd.deficit < 0n || (nd.surplus > 0n && nd.deficit > 0n))
      throw new TransferPlanError(
        'BAD_NODE',
        `node ${nd.id}: needs surplus ≥ 0, deficit ≥ 0, not both positive`,
      );
  }
  const senders = nodes.map((nd, i) => ({ nd, i })).filter((x) => x.nd.surplus > 0n);
  const receivers = nodes.map((nd, i) => ({ nd, i })).filter((x) => x.nd.deficit > 0n);
  const totalDeficit = receivers.reduce((s, r) => s + r.nd.deficit, 0n);
  const totalSurplus = senders.reduce((s, r) => s + r.nd.surplus, 0n);
  if (receivers.length === 0) return { status: 'ok', transfers: [], totalFee: 0n };
  const index = new Map(nodes.map((nd, i) => [nd.id, i]));
  const edges: Edge[] = [];
  for (const r of routes) {
    const f = index.get(r.from);
    const t = index.get(r.to);
    if (f === undefined || t === undefined) continue;
    if (nodes[f]!.surplus > 0n && nodes[t]!.deficit > 0n) edges.push({ from: f, to: t, route: r });
  }
  const unreachable = receivers.filter((r) => !edges.some((e) => e.to === r.i)).map((r) => r.nd.id);
  const infeasible = { status: 'infeasible' as const, totalDeficit, totalSurplus, unreachable };
  if (unreachable.length > 0) return infeasible;

  const flatEdges = edges.filter((e) => e.route.flat > 0n);
  const freeEdges = edges.filter((e) => e.route.flat === 0n);
  if (flatEdges.length > MAX_FLAT_ROUTES)
    throw new TransferPlanError(
      'TOO_MANY_FLAT_ROUTES',
      `${flatEdges.length} routes with a flat fee between senders and receivers; at most ${MAX_FLAT_ROUTES} are solved exactly`,
    );

  let best: { cost: Q; transfers: Transfer[]; totalFee: bigint } | null = null;
  for (let mask = 0; mask < 1 << flatEdges.length; mask++) {
    const support = [...freeEdges, ...flatEdges.filter((_, k) => (mask >> k) & 1)];
    const solved = solveSupport(
      nodes,
      senders.map((s) => s.i),
      receivers.map((r) => r.i),
      support,
    );
    if (solved === null) continue;
    if (
      best === null ||
      qcmp(solved.cost, best.cost) < 0 ||
      (qcmp(solved.cost, best.cost) === 0 && solved.transfers.length < best.transfers.length)
    )
      best = solved;
  }
  if (best === null) return infeasible;
  return { status: 'ok', transfers: best.transfers, totalFee: best.totalFee };
}

function feeOf(route: PlanRoute, amount: bigint): bigint {
  return route.flat + divRound(amount * route.ratePpm, PPM, 'ceil');
}

/** The optimum on one support, rounded to whole micro-units and checked; null if infeasible. */
function solveSupport(
  nodes: readonly PlanNode[],
  senders: readonly number[],
  receivers: readonly number[],
  support: readonly Edge[],
): { cost: Q; transfers: Transfer[]; totalFee: bigint } | null {
  for (const reserve of [0n, ROUNDING_RESERVE]) {
    const lp = supportLp(nodes, senders, receivers, support, reserve);
    if (lp === null || lp.status !== 'optimal') return null;
    const transfers: Transfer[] = [];
    let cost = lp.value;
    support.forEach((e, k) => {
      const x = lp.x[k]!;
      if (qsign(x) <= 0) return;
      const amount = divRound(x.n, x.d, 'ceil');
      cost = qadd(cost, q(e.route.flat));
      transfers.push({ from: e.route.from, to: e.route.to, amount, fee: feeOf(e.route, amount) });
    });
    const spent = new Map<string, bigint>();
    for (const t of transfers) spent.set(t.from, (spent.get(t.from) ?? 0n) + t.amount + t.fee);
    const fits = senders.every((i) => (spent.get(nodes[i]!.id) ?? 0n) <= nodes[i]!.surplus);
    if (fits) return { cost, transfers, totalFee: transfers.reduce((s, t) => s + t.fee, 0n) };
  }
  return null;
}

/**
 * The linear programme of one support: variables x_e (one per route of the support), then one
 * slack per sender; rows: Σ x into receiver j = d_j; Σ (1 + rate) x out of sender i + slack_i =
 * s_i − Σ flats of i's routes − reserve per route. Minimise Σ rate · x.
 */
function supportLp(
  nodes: readonly PlanNode[],
  senders: readonly number[],
  receivers: readonly number[],
  support: readonly Edge[],
  reservePerRoute: bigint,
): LpResult | null {
  const nx = support.length;
  const nv = nx + senders.length;
  const c: Q[] = [...support.map((e) => q(e.route.ratePpm, PPM)), ...senders.map(() => Q0)];
  const A: Q[][] = [];
  const b: Q[] = [];
  for (const j of receivers) {
    A.push(Array.from({ length: nv }, (_, k) => (k < nx && support[k]!.to === j ? Q1 : Q0)));
    b.push(q(nodes[j]!.deficit));
  }
  for (const [s, i] of senders.entries()) {
    const out = support.filter((e) => e.from === i);
    const cap = nodes[i]!.surplus - out.reduce((sum, e) => sum + e.route.flat + reservePerRoute, 0n);
    if (cap < 0n) return null;
    A.push(
      Array.from({ length: nv }, (_, k) => {
        if (k < nx) return support[k]!.from === i ? q(PPM + support[k]!.route.ratePpm, PPM) : Q0;
        return k - nx === s ? Q1 : Q0;
      }),
    );
    b.push(q(cap));
  }
  return solveLp(c, A, b);
}

/** usd6 → "12.345678" (trailing zeros trimmed). */
export function usd(v: bigint): string {
  return formatDecimal(v, USD_DECIMALS);
}
