/**
 * The clearing view: several venues' exports read onto their presets and shown as one book —
 * total collateral, each venue's margin figures and liquidation prices, the venue closest to
 * liquidation, the cheapest transfers that keep every liquidation price outside a band around
 * its mark, and what netting the positions in one cross-margined account would free.
 *
 * Steps (each exact; floats only in the optional arrival probabilities):
 *   1. every export is validated and mapped to its preset (venue-export.ts) — any problem
 *      refuses the whole view, nothing is half-applied;
 *   2. each venue's figures and band needs (venue-risk.ts);
 *   3. the transfer plan (transfer-plan.ts) over the routes (routes.ts);
 *   4. the plan is confirmed: every venue's book is rebuilt with its net cash flow and its band
 *      needs recomputed — a receiver must need nothing more, a sender must still keep its band
 *      and its initial margin; a failure is an InvariantError (a bug), never a silent plan;
 *   5. netting (netting.ts).
 */
import { formatDecimal, InvariantError, rescale } from '../core/num/index.ts';
import { type NettingResult, netting } from './netting.ts';
import type { Routes } from './routes.ts';
import {
  type PlanNode,
  type PlanRoute,
  planTransfers,
  type Transfer,
  type TransferPlan,
  USD_DECIMALS,
} from './transfer-plan.ts';
import { ClearingInputError, type VenueBook } from './venue-export.ts';
import { bookAfter, type VenueRisk, venueRisk } from './venue-risk.ts';

export interface ClearingOptions {
  /** Band: each liquidation price at least this fraction from its mark, ppm (200000 = 20%). */
  readonly bandPpm: bigint;
  readonly routes: Routes;
  /** Preset for the netted book (default dydx-v4). */
  readonly netPreset?: string;
}

export interface VenueAfter {
  readonly venue: string;
  /** Net cash flow, usd6 (received − sent − fees). */
  readonly netFlowUsd6: bigint;
  readonly walletBalance: string;
  readonly closestDistance: string | null;
}

export interface ClearingView {
  readonly bandPpm: bigint;
  readonly venues: readonly VenueRisk[];
  /** Σ venues' collateral (wallets + isolated margins), usd6 (stablecoins at par). */
  readonly totalCollateralUsd6: bigint;
  /** Σ cross equity, usd6. */
  readonly totalEquityUsd6: bigint;
  readonly closest: { readonly venue: string; readonly market: string; readonly distance: string } | null;
  readonly plan: TransferPlan;
  readonly after: readonly VenueAfter[] | null;
  readonly netting: NettingResult;
}

export const DEFAULT_NET_PRESET = 'dydx-v4';

function toUsd6(text: string, decimals: number, rounding: 'floor' | 'ceil'): bigint {
  const neg = text.startsWith('-');
  const [i = '0', f = ''] = text.replace('-', '').split('.');
  const v = BigInt(i) * 10n ** BigInt(decimals) + BigInt((f || '0').padEnd(decimals, '0').slice(0, decimals));
  return rescale(neg ? -v : v, decimals, USD_DECIMALS, rounding);
}

/** The whole clearing view (module header). */
export function clearingView(books: readonly VenueBook[], options: ClearingOptions): ClearingView {
  const seen = new Set<string>();
  for (const b of books) {
    if (seen.has(b.venue)) throw new ClearingInputError('DUPLICATE_VENUE', `venue ${b.venue} given twice`);
    seen.add(b.venue);
  }
  if (options.routes.reserve && seen.has(options.routes.reserve.id))
    throw new ClearingInputError(
      'DUPLICATE_VENUE',
      `the reserve's id ${options.routes.reserve.id} is also a venue`,
    );
  const risks = books.map((b) => venueRisk(b, options.bandPpm));

  let closest: ClearingView['closest'] = null;
  for (const r of risks)
    for (const p of r.positions) {
      if (p.distance === null) continue;
      const d = toUsd6(p.distance.replace('-', ''), 6, 'floor');
      if (closest === null || d < toUsd6(closest.distance.replace('-', ''), 6, 'floor'))
        closest = { venue: r.venue, market: p.market, distance: p.distance };
    }

  const nodes: PlanNode[] = risks.map((r) => ({
    id: r.venue,
    surplus: r.surplusUsd6,
    deficit: r.deficitUsd6,
  }));
  const reserve = options.routes.reserve;
  if (reserve) nodes.push({ id: reserve.id, surplus: reserve.amountUsd6, deficit: 0n });
  const routes: PlanRoute[] = [];
  for (const a of nodes)
    for (const b of nodes) {
      const r = options.routes.between(a.id, b.id);
      if (r) routes.push(r);
    }
  const plan = planTransfers(nodes, routes);
  const after = plan.status === 'ok' ? confirm(books, risks, plan.transfers, options.bandPpm) : null;

  return {
    bandPpm: options.bandPpm,
    venues: risks,
    totalCollateralUsd6: risks.reduce((s, r) => s + toUsd6(r.collateral, r.settlementDecimals, 'floor'), 0n),
    totalEquityUsd6: risks.reduce((s, r) => s + toUsd6(r.equity, r.settlementDecimals, 'floor'), 0n),
    closest,
    plan,
    after,
    netting: netting(books, risks, options.netPreset ?? DEFAULT_NET_PRESET),
  };
}

/** Step 4 of the module header: every venue rebuilt with its flow keeps its band. */
function confirm(
  books: readonly VenueBook[],
  risks: readonly VenueRisk[],
  transfers: readonly Transfer[],
  bandPpm: bigint,
): VenueAfter[] {
  return books.map((book, i) => {
    const risk = risks[i]!;
    let flow = 0n;
    for (const t of transfers) {
      if (t.to === book.venue) flow += t.amount;
      if (t.from === book.venue) flow -= t.amount + t.fee;
    }
    const qd = risk.settlementDecimals;
    // usd6 → the settlement unit: exact for 6+ decimals; a coarser asset rounds against the venue.
    const flowQ = rescale(flow, USD_DECIMALS, qd, 'floor');
    const next = bookAfter(book, risk, flowQ);
    const again = venueRisk(next, bandPpm);
    if (again.deficitUsd6 !== 0n)
      throw new InvariantError(
        `clearing: after the plan ${book.venue} still lacks ${formatDecimal(again.deficitUsd6, 6)}`,
      );
    if (flow < 0n && again.freeCollateral.startsWith('-'))
      throw new InvariantError(`clearing: the plan takes ${book.venue} below its initial margin`);
    return {
      venue: book.venue,
      netFlowUsd6: flow,
      walletBalance: again.walletBalance,
      closestDistance: again.closestDistance,
    };
  });
}
