/**
 * Derive's (Lyra v2) portfolio margin risk manager, PMRM, from its published formulas
 * (docs.derive.xyz, "Portfolio Margin" and "Portfolio Margin Parameters"). One account margins
 * one base asset (ETH or BTC): USDC cash, a base balance, one perpetual and options grouped by
 * expiry. Requirements are *signed* margins: the account is healthy while MM ≥ 0, and a trade is
 * allowed while IM ≥ 0 after it.
 *
 *   MM = MtM + min(maxLoss, forward contingency, skew losses) + asset contingency
 *   IM = MtM + m′ · (min(maxLoss, forward contingency, skew losses) + asset contingency) + oracle contingency
 *   m′ = mFactor + max(0, pegThreshold − USDC price) · pegFactor               (depeg)
 *
 * MtM = USDC + base·S + perp value + Σ option values (Black-76 on the expiry's forward with
 * its rate, discount 1).
 *
 * maxLoss = min over scenarios k of (shocked value − value):
 *   base    base · S · shock_k
 *   perp    size · perpPrice · shock_k            (valued on its own price, not the index)
 *   expiry  Σ options at F_i(1 + shock_k), σ · (1 + volRange · ((30/365)/max(1/365, T_i))^p),
 *           × D_i when the shocked expiry value is positive, D_i = staticScale · e^{−(r_i·P1 + P2)·T_i}
 *           (a static discount on positive option value); p = shortPower below 30 days, longPower above
 * Scenarios: spot −18 % … +18 % in steps of 4.5 %, vol up / unchanged / down, but only vol up at
 * ±18 % (23 in all).
 *
 * forward (basis) contingency = Σ_i (addFactor + multFactor·T_i) · min(0, up_i − v_i, down_i − v_i),
 *   up/down the expiry's value with its forward moved ±5 %, vol unchanged.
 * asset contingency = −base·baseFactor·S − |perp|·perpFactor·S + Σ_j min(0, size_j)·optionFactor·S
 *   (the last term: every naked short option contract).
 *
 * PM2 (`derivePm2Params`) adds the skew scenarios and marks negative expiry values up
 * (`negativeDiscount`, `skew`).
 *
 * Parameters default to the published PM1 values. The docs' worked example discounts each
 * scenario's P&L (negative too) rather than the shocked positive value, and mixes two marks per
 * option; docs/portfolio-margin.md, "Derive PMRM", works an example through the formulas above.
 *
 * Float64 on purpose (risk screening, see model.ts).
 */
import { z } from 'zod';
import { black76Price, yearFraction } from '../pricing/black76.ts';
import { PortfolioInputError } from './model.ts';

export const DerivePmrmParamsSchema = z.object({
  spotShocks: z
    .array(z.number().gt(-1).lt(10))
    .min(1)
    .default([0.18, 0.135, 0.09, 0.045, 0, -0.045, -0.09, -0.135, -0.18]),
  /** Spot shocks at which only the vol-up scenario is run (the edges). */
  volUpOnlyAbove: z.number().min(0).default(0.15),
  volRangeUp: z.number().min(0).default(0.5),
  volRangeDown: z.number().min(0).max(1).default(0.275),
  shortTermPower: z.number().min(0).default(0.3),
  longTermPower: z.number().min(0).default(0.13),
  rateParam1: z.number().default(1),
  rateParam2: z.number().default(0.12),
  staticScale: z.number().min(0).max(1).default(0.95),
  basisShock: z.number().min(0).max(1).default(0.05),
  basisAddFactor: z.number().min(0).default(0.5),
  basisMultFactor: z.number().min(0).default(2),
  baseFactor: z.number().min(0).default(0.03),
  perpFactor: z.number().min(0).default(0.03),
  optionFactor: z.number().min(0).default(0.015),
  mFactor: z.number().min(1).default(1.25),
  pegThreshold: z.number().default(0.99),
  pegFactor: z.number().min(0).default(4),
  /**
   * PM2: a negative shocked expiry value is marked *up* by
   * min(1/e^{−r·T}, staticScaleNeg / e^{−(r·negParam1 + negParam2)·T}); null (PM1): not at all.
   */
  negativeDiscount: z
    .object({ staticScaleNeg: z.number().min(1), negParam1: z.number(), negParam2: z.number() })
    .nullable()
    .default(null),
  /**
   * PM2 skew scenarios: each option's vol × (1 + m(k)), k = ln(K/F), m(k) = clamp(cap·k/k*, ±cap)
   * (linear: rotates the smile) or min(cap·|k|/k*, cap) (abs: steepens both wings), with
   * cap = baseCap + baseScale·√T, k* = max(minKStar, widthScale·√T·(volParamAdd + volParamScale·√T)).
   * skew P&L = dampening · Σ_expiries −|D_i·Σ shocked − Σ marks|; null (PM1): none.
   */
  skew: z
    .object({
      linearBaseCap: z.number(),
      linearBaseScale: z.number(),
      absBaseCap: z.number(),
      absBaseScale: z.number(),
      minKStar: z.number().positive(),
      widthScale: z.number().positive(),
      volParamAdd: z.number(),
      volParamScale: z.number(),
      linearDampening: z.number().min(0).max(1),
      absDampening: z.number().min(0).max(1),
    })
    .nullable()
    .default(null),
});
export type DerivePmrmParams = z.output<typeof DerivePmrmParamsSchema>;
export type DerivePmrmParamsInput = z.input<typeof DerivePmrmParamsSchema>;

/**
 * Derive's PM2 parameters as its "PM2" page publishes them: static discount 0.98 at 10 % a year
 * on positive expiry value, anti-discount 1.02 at 10 % on negative value (capped at the mark's
 * own discounting), forward ±4.5 %, option contingency 0.005, skew scenarios (linear cap 0.25
 * − 0.1·√T, k* ≥ 0.01, width 4, σ_est 0.6). The abs scenario's caps and both dampenings are not
 * published: the linear caps and a dampening of 1 stand in for them.
 */
export function derivePm2Params(): DerivePmrmParamsInput {
  return {
    staticScale: 0.98,
    rateParam1: 0,
    rateParam2: 0.1,
    negativeDiscount: { staticScaleNeg: 1.02, negParam1: 0, negParam2: 0.1 },
    basisShock: 0.045,
    optionFactor: 0.005,
    skew: {
      linearBaseCap: 0.25,
      linearBaseScale: -0.1,
      absBaseCap: 0.25,
      absBaseScale: -0.1,
      minKStar: 0.01,
      widthScale: 4,
      volParamAdd: 0.6,
      volParamScale: 0,
      linearDampening: 1,
      absDampening: 1,
    },
  };
}

/** PM2's skew multiplier m(k) for an option at log-moneyness k (see `skew`). */
export function deriveSkewMultiplier(
  skew: NonNullable<DerivePmrmParams['skew']>,
  scenario: 'linear' | 'abs',
  k: number,
  timeYears: number,
): number {
  const rt = Math.sqrt(timeYears);
  const cap =
    scenario === 'linear'
      ? skew.linearBaseCap + skew.linearBaseScale * rt
      : skew.absBaseCap + skew.absBaseScale * rt;
  const kStar = Math.max(skew.minKStar, skew.widthScale * rt * (skew.volParamAdd + skew.volParamScale * rt));
  if (scenario === 'abs') return Math.min((cap * Math.abs(k)) / kStar, cap);
  return k > 0 ? Math.min((cap * k) / kStar, cap) : Math.max((cap * k) / kStar, -cap);
}

const positive = z.number().finite().gt(0);
export const DerivePmrmAccountSchema = z.object({
  nowMs: z.number().int().positive(),
  spot: positive,
  usdc: z.number().finite().default(0),
  /** USDC's price in USD (depeg contingency). */
  usdcPrice: positive.default(1),
  base: z.number().finite().min(0).default(0),
  perp: z
    .object({ size: z.number().finite(), price: positive, unrealizedPnl: z.number().finite().default(0) })
    .optional(),
  expiries: z
    .array(
      z.object({
        expiryMs: z.number().int().positive(),
        forward: positive,
        rate: z.number().finite().default(0),
        options: z.array(
          z.object({
            kind: z.enum(['call', 'put']),
            strike: positive,
            size: z.number().finite(),
            vol: z.number().finite().min(0),
          }),
        ),
      }),
    )
    .default([]),
  /** Oracle contingency (≤ 0), an input: it depends on feed confidences. */
  oracleContingency: z.number().finite().max(0).default(0),
});
export type DerivePmrmAccountInput = z.input<typeof DerivePmrmAccountSchema>;

export interface DeriveScenario {
  spotShock: number;
  vol: 'up' | 'unchanged' | 'down';
  /** Shocked value − value, quote. */
  pnl: number;
}

export interface DerivePmrmResult {
  mtm: number;
  scenarios: DeriveScenario[];
  maxLoss: number;
  worstScenario: DeriveScenario;
  forwardContingency: number;
  /** PM2 skew scenario losses (≤ 0), null without skew scenarios. */
  skewLosses: { linear: number; abs: number } | null;
  /** Per expiry: the basis loss before its (add + mult·T) factor. */
  basisLosses: number[];
  baseContingency: number;
  perpContingency: number;
  optionContingency: number;
  assetContingency: number;
  oracleContingency: number;
  mFactor: number;
  maintenanceMargin: number;
  initialMargin: number;
}

/** The IV multiplier of Derive's scenarios for a time to expiry in years. */
export function deriveIvShock(p: DerivePmrmParams, direction: 1 | -1, timeYears: number): number {
  const power = timeYears * 365 < 30 ? p.shortTermPower : p.longTermPower;
  const k = (30 / 365 / Math.max(1 / 365, timeYears)) ** power;
  return 1 + (direction > 0 ? p.volRangeUp : -p.volRangeDown) * k;
}

/** The static discount of an expiry's positive value. */
export function deriveDiscount(p: DerivePmrmParams, rate: number, timeYears: number): number {
  return p.staticScale * Math.exp(-(rate * p.rateParam1 + p.rateParam2) * timeYears);
}

/** The factor on an expiry's shocked value: discount if positive; PM2's mark-up if negative. */
export function deriveValueFactor(
  p: DerivePmrmParams,
  value: number,
  rate: number,
  timeYears: number,
): number {
  if (value > 0) return deriveDiscount(p, rate, timeYears);
  const n = p.negativeDiscount;
  if (!n) return 1;
  return Math.min(
    1 / Math.exp(-rate * timeYears),
    n.staticScaleNeg / Math.exp(-(rate * n.negParam1 + n.negParam2) * timeYears),
  );
}

/** PMRM margins of one account (see the header). */
export function derivePmrm(accountInput: unknown, paramsInput: unknown = {}): DerivePmrmResult {
  const pr = DerivePmrmParamsSchema.safeParse(paramsInput);
  if (!pr.success)
    throw new PortfolioInputError(
      'bad_params',
      pr.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  const ar = DerivePmrmAccountSchema.safeParse(accountInput);
  if (!ar.success)
    throw new PortfolioInputError(
      'bad_input',
      ar.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  const p = pr.data;
  const a = ar.data;
  const S = a.spot;
  const expiries = a.expiries.map((e) => {
    if (!(e.expiryMs > a.nowMs))
      throw new PortfolioInputError(
        'expired',
        `expiry ${new Date(e.expiryMs).toISOString()} is not after the valuation time`,
      );
    return { ...e, T: yearFraction(a.nowMs, e.expiryMs) };
  });
  const expiryValue = (e: (typeof expiries)[number], forward: number, volMult: number) => {
    let v = 0;
    for (const o of e.options)
      v +=
        o.size *
        black76Price({
          kind: o.kind,
          forward,
          strike: o.strike,
          timeYears: e.T,
          vol: o.vol * volMult,
          rate: e.rate,
        });
    return v;
  };
  const values = expiries.map((e) => expiryValue(e, e.forward, 1));
  const perpSize = a.perp?.size ?? 0;
  const perpPrice = a.perp?.price ?? S;
  function skewLoss(params: DerivePmrmParams, scenario: 'linear' | 'abs'): number {
    const skew = params.skew!;
    let total = 0;
    expiries.forEach((e, i) => {
      let shocked = 0;
      for (const o of e.options) {
        const m = deriveSkewMultiplier(skew, scenario, Math.log(o.strike / e.forward), e.T);
        shocked +=
          o.size *
          black76Price({
            kind: o.kind,
            forward: e.forward,
            strike: o.strike,
            timeYears: e.T,
            vol: o.vol * (1 + m),
            rate: e.rate,
          });
      }
      total -= Math.abs(shocked * deriveValueFactor(params, shocked, e.rate, e.T) - values[i]!);
    });
    return (scenario === 'linear' ? skew.linearDampening : skew.absDampening) * total;
  }
  const mtm = a.usdc + a.base * S + (a.perp?.unrealizedPnl ?? 0) + values.reduce((x, y) => x + y, 0);

  const scenarios: DeriveScenario[] = [];
  for (const shock of p.spotShocks) {
    const vols: DeriveScenario['vol'][] =
      Math.abs(shock) > p.volUpOnlyAbove ? ['up'] : ['up', 'unchanged', 'down'];
    for (const vol of vols) {
      let pnl = a.base * S * shock + perpSize * perpPrice * shock;
      expiries.forEach((e, i) => {
        const mult = vol === 'unchanged' ? 1 : deriveIvShock(p, vol === 'up' ? 1 : -1, e.T);
        const shocked = expiryValue(e, e.forward * (1 + shock), mult);
        pnl += shocked * deriveValueFactor(p, shocked, e.rate, e.T) - values[i]!;
      });
      scenarios.push({ spotShock: shock, vol, pnl });
    }
  }
  let worst = scenarios[0]!;
  for (const s of scenarios) if (s.pnl < worst.pnl) worst = s;
  const maxLoss = worst.pnl;

  const basisLosses = expiries.map((e, i) =>
    Math.min(
      0,
      expiryValue(e, e.forward * (1 + p.basisShock), 1) - values[i]!,
      expiryValue(e, e.forward * (1 - p.basisShock), 1) - values[i]!,
    ),
  );
  const forwardContingency = expiries.reduce(
    (acc, e, i) => acc + (p.basisAddFactor + p.basisMultFactor * e.T) * basisLosses[i]!,
    0,
  );
  const skewLosses: { linear: number; abs: number } | null = p.skew
    ? { linear: skewLoss(p, 'linear'), abs: skewLoss(p, 'abs') }
    : null;
  const baseContingency = -a.base * p.baseFactor * S;
  const perpContingency = -Math.abs(perpSize) * p.perpFactor * S;
  let optionContingency = 0;
  for (const e of expiries)
    for (const o of e.options) optionContingency += Math.min(0, o.size) * p.optionFactor * S;
  const assetContingency = baseContingency + perpContingency + optionContingency;
  const mFactor = p.mFactor + Math.max(0, p.pegThreshold - a.usdcPrice) * p.pegFactor;
  const risk =
    Math.min(maxLoss, forwardContingency, skewLosses?.linear ?? 0, skewLosses?.abs ?? 0) + assetContingency;
  return {
    mtm,
    scenarios,
    maxLoss,
    worstScenario: worst,
    forwardContingency,
    skewLosses,
    basisLosses,
    baseContingency,
    perpContingency,
    optionContingency,
    assetContingency,
    oracleContingency: a.oracleContingency,
    mFactor,
    maintenanceMargin: mtm + risk,
    initialMargin: mtm + mFactor * risk + a.oracleContingency,
  };
}
