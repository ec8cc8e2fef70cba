/**
 * Transfer routes between venues (the `--routes FILE` of `plimsoll clearing`): what moving
 * collateral from one venue to another costs and how long it takes.
 *
 *   { "default": { "fee": "1", "rate": "0.0005" },          // optional: every pair not listed
 *     "routes": [ { "from": "binance", "to": "hyperliquid", "kind": "cex-withdrawal",
 *                   "fee": "1", "rate": "0", "haircut": "0",
 *                   "latency": { "medianMinutes": "5", "sigma": "0.5" } } ],
 *     "reserve": { "amount": "5000" } }                        // optional outside wallet
 *
 * fee: flat, USD (decimal string); rate: proportional fee (fraction, at most 6 places); both paid
 * by the sender on top of the amount. haircut: a bridge's value loss in transit (fraction), also
 * charged to the sender (it is a proportional cost; it adds to `rate` in the plan). kind:
 * 'same-venue' (between a venue's own wallets), 'cex-withdrawal', 'bridge' — descriptive. latency:
 * a lognormal time to arrival in minutes (median, σ of the log; σ = 0 is a fixed delay), used for
 * the probability that a top-up arrives before liquidation (arrival.ts). A pair with no route and
 * no default cannot move money. The reserve is an outside wallet (node id "reserve") that can
 * fund any venue through routes from "reserve" (or the default).
 */
import { z } from 'zod';
import { parseDecimal } from '../core/num/index.ts';
import { type PlanRoute, USD_DECIMALS } from './transfer-plan.ts';
import { ClearingInputError } from './venue-export.ts';

const decimal = z.string({ error: 'must be a decimal string (e.g. "1.5"), not a JSON number' });
const floatish = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    ctx.addIssue({ code: 'custom', message: 'must be a finite number ≥ 0' });
    return z.NEVER;
  }
  return n;
});

export const LatencySchema = z.strictObject({ medianMinutes: floatish, sigma: floatish.optional() });
const routeFields = {
  kind: z.enum(['same-venue', 'cex-withdrawal', 'bridge']).optional(),
  fee: decimal.optional(),
  rate: decimal.optional(),
  haircut: decimal.optional(),
  latency: LatencySchema.optional(),
};
export const RoutesFileSchema = z.strictObject({
  description: z.string().optional(),
  default: z.strictObject(routeFields).optional(),
  routes: z.array(z.strictObject({ from: z.string(), to: z.string(), ...routeFields })).optional(),
  reserve: z.strictObject({ amount: decimal, id: z.string().optional() }).optional(),
});
export type RoutesFile = z.input<typeof RoutesFileSchema>;

/** Lognormal transfer latency, minutes. */
export interface Latency {
  readonly medianMinutes: number;
  readonly sigma: number;
}

export interface Route extends PlanRoute {
  readonly kind: 'same-venue' | 'cex-withdrawal' | 'bridge' | 'unspecified';
  readonly latency: Latency | null;
}

export interface Routes {
  /** The route between two nodes, or null if money cannot move that way. */
  between(from: string, to: string): Route | null;
  readonly reserve: { readonly id: string; readonly amountUsd6: bigint } | null;
}

export const RESERVE_ID = 'reserve';

function usd6(text: string, where: string): bigint {
  const r = parseDecimal(text, USD_DECIMALS);
  if (!r.ok || r.value < 0n)
    throw new ClearingInputError(
      'BAD_AMOUNT',
      `${where}: ${JSON.stringify(text)} must be a decimal ≥ 0 with at most 6 places`,
    );
  return r.value;
}

function ppm(text: string, where: string): bigint {
  const r = parseDecimal(text, 6);
  if (!r.ok || r.value < 0n || r.value >= 1_000_000n)
    throw new ClearingInputError(
      'BAD_AMOUNT',
      `${where}: ${JSON.stringify(text)} must be a fraction in [0, 1) with at most 6 places`,
    );
  return r.value;
}

/** Validates a routes file (module header). */
export function readRoutes(raw: unknown): Routes {
  const parsed = RoutesFileSchema.safeParse(raw ?? {});
  if (!parsed.success)
    throw new ClearingInputError('INVALID_EXPORT', `routes: ${z.prettifyError(parsed.error)}`);
  const f = parsed.data;
  type Fields = {
    kind?: Route['kind'];
    fee?: string;
    rate?: string;
    haircut?: string;
    latency?: { medianMinutes: number; sigma?: number };
  };
  const build = (from: string, to: string, r: Fields, where: string): Route => ({
    from,
    to,
    kind: r.kind ?? 'unspecified',
    flat: usd6(r.fee ?? '0', `${where}.fee`),
    ratePpm: ppm(r.rate ?? '0', `${where}.rate`) + ppm(r.haircut ?? '0', `${where}.haircut`),
    latency:
      r.latency === undefined
        ? null
        : { medianMinutes: r.latency.medianMinutes, sigma: r.latency.sigma ?? 0 },
  });
  const listed = new Map<string, Route>();
  (f.routes ?? []).forEach((r, i) => {
    const key = `${r.from}→${r.to}`;
    if (listed.has(key))
      throw new ClearingInputError('INVALID_EXPORT', `routes[${i}]: a second route ${key}`);
    if (r.from === r.to)
      throw new ClearingInputError('INVALID_EXPORT', `routes[${i}]: from and to are the same`);
    listed.set(key, build(r.from, r.to, r, `routes[${i}]`));
  });
  const def = f.default;
  if (def !== undefined) build('*', '*', def, 'default'); // validate once
  return {
    between(from, to) {
      if (from === to) return null;
      return listed.get(`${from}→${to}`) ?? (def === undefined ? null : build(from, to, def, 'default'));
    },
    reserve:
      f.reserve === undefined
        ? null
        : { id: f.reserve.id ?? RESERVE_ID, amountUsd6: usd6(f.reserve.amount, 'reserve.amount') },
  };
}
