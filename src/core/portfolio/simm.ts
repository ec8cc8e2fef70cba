/**
 * Sensitivity-based margin in the structure of ISDA SIMM, for one risk class whose buckets
 * are the crypto underlyings (an alternative to the scenario risk matrix; docs/portfolio-margin.md).
 *
 * Sensitivities (quote currency, the account's own positions):
 *   delta  s_b      = Σ_{i on b} δ_i · P_i       value change per unit relative move of the underlying
 *                                                (δ_i in underlying units, P_i = S or F(T) the price
 *                                                 it is valued on; exact for linear positions)
 *   vega   s_b,t    = Σ_{options on b} size · ∂V/∂σ · σ     (VR = σ·∂V/∂σ), allocated linearly to
 *                                                 the two configured vol tenors around the expiry
 *                                                 (flat beyond the first and last), as SIMM does
 *   curv.  CVR_b,t  = −Σ SF(days) · σ_b · size · ∂V/∂σ      SF(d) = 0.5 · min(1, 14/d),
 *                                                 σ_b = RW_b · √(365/14) / Φ⁻¹(0.99)
 *   The curvature sign is the account's loss: short options (negative vega) give CVR > 0.
 *
 * Weighted sensitivities WS = RW · s (delta: RW_b, the 99% move of the underlying; vega: RW_vega).
 * Per sensitivity type, within a bucket b and then across buckets:
 *   K_b    = sqrt( Σ_k WS_k² + Σ_k Σ_{l≠k} ρ_kl WS_k WS_l )
 *   S_b    = max(min(Σ_k WS_k, K_b), −K_b)
 *   Margin = sqrt( Σ_b K_b² + Σ_b Σ_{c≠b} γ_bc S_b S_c )
 * Curvature uses ρ² and γ², and
 *   θ = min(Σ CVR / Σ |CVR|, 0),   λ = (Φ⁻¹(0.995)² − 1)(1 + θ) − θ,
 *   CurvatureMargin = max(Σ CVR + λ · sqrt(Σ K_b² + ΣΣ γ² S_b S_c), 0).
 * IM = DeltaMargin + VegaMargin + CurvatureMargin (SIMM's IM of a risk class); MM = fraction × IM.
 *
 * Risk weights and correlations are configuration. The defaults below are ILLUSTRATIVE: ISDA
 * publishes no crypto risk class, so they are not calibrated (simm.test.ts checks the formulas on
 * hand-computed cases and properties). No concentration risk factor (CR = 1). The generic
 * aggregation (simmAggregate, simmLambda, simmScalingFunction) is shared with the standard ISDA
 * SIMM v2.5 model (simm-standard.ts), which reproduces ISDA's unit tests.
 *
 * Float64 screening figures, like the rest of src/core/portfolio (see model.ts).
 */
import { z } from 'zod';
import { black76Greeks } from '../pricing/black76.ts';
import { normalInv } from '../pricing/normal.ts';
import { type MarketSnapshot, type PortfolioAccount, valuePosition } from './model.ts';

const fraction = z.number().min(0).max(1);
const correlation = z.number().min(-1).max(1);

export const SimmConfigSchema = z.object({
  name: z.string().min(1).max(64).default('simm'),
  /** Delta risk weight: the 99% move (fraction) of an underlying over the margin period. */
  deltaRiskWeight: z
    .object({
      default: z.number().positive().max(10).default(0.3),
      byUnderlying: z.record(z.string(), z.number().positive().max(10)).default({}),
    })
    .prefault({}),
  /** Vega risk weight applied to VR = σ·∂V/∂σ (a relative vol move). */
  vegaRiskWeight: z.number().positive().max(10).default(0.5),
  /** Vol tenors in days, increasing (SIMM: 2w, 1m, 3m, 6m, 1y, 2y, 3y, …). */
  vegaTenorsDays: z.array(z.number().positive()).min(1).default([14, 30, 91, 182, 365, 730]),
  /** ρ between two distinct vol tenors of one underlying (delta has one factor per bucket). */
  vegaTenorCorrelation: correlation.default(0.9),
  /** γ between buckets: a default and specific pairs. */
  crossBucket: z
    .object({
      default: correlation.default(0.7),
      pairs: z.array(z.object({ a: z.string(), b: z.string(), gamma: correlation })).default([]),
    })
    .prefault({}),
  /** Include the curvature margin (derived from vega). */
  curvature: z.boolean().default(true),
  maintenanceFraction: fraction.default(0.5),
});
export type SimmConfig = z.output<typeof SimmConfigSchema>;
export type SimmConfigInput = z.input<typeof SimmConfigSchema>;

/** The illustrative default configuration (see the module header). */
export function simmPreset(overrides: SimmConfigInput = {}): SimmConfig {
  return SimmConfigSchema.parse(overrides);
}

const Z99 = normalInv(0.99);
const Z995 = normalInv(0.995);

/** SIMM's curvature scaling function SF(t) = 0.5 · min(1, 14 / days). */
export function simmScalingFunction(days: number): number {
  return 0.5 * Math.min(1, 14 / Math.max(days, 1e-9));
}

/** SIMM's λ for curvature: (Φ⁻¹(0.995)² − 1)(1 + θ) − θ. */
export function simmLambda(theta: number): number {
  return (Z995 * Z995 - 1) * (1 + theta) - theta;
}

// ---- the generic aggregation ----

export interface SimmBucketInput {
  id: string;
  /** Weighted sensitivities WS_k of the bucket's risk factors. */
  ws: number[];
}

export interface SimmAggregate {
  /** K_b per bucket (input order). */
  k: number[];
  /** S_b per bucket. */
  s: number[];
  /** sqrt(Σ K_b² + ΣΣ γ S_b S_c). */
  margin: number;
}

/**
 * The SIMM two-level aggregation: K_b within each bucket with ρ(b, k, l), then across buckets
 * with γ(b, c) and S_b = max(min(ΣWS, K_b), −K_b). Pass squared correlations for curvature.
 */
export function simmAggregate(
  buckets: readonly SimmBucketInput[],
  rho: (bucket: number, k: number, l: number) => number,
  gamma: (b: number, c: number) => number,
): SimmAggregate {
  const k: number[] = [];
  const s: number[] = [];
  buckets.forEach((b, bi) => {
    let v = 0;
    let sum = 0;
    for (let i = 0; i < b.ws.length; i++) {
      const wi = b.ws[i]!;
      sum += wi;
      v += wi * wi;
      for (let j = 0; j < b.ws.length; j++) if (j !== i) v += rho(bi, i, j) * wi * b.ws[j]!;
    }
    const kb = Math.sqrt(Math.max(v, 0));
    k.push(kb);
    s.push(Math.max(Math.min(sum, kb), -kb));
  });
  let total = 0;
  for (let b = 0; b < buckets.length; b++) {
    total += k[b]! * k[b]!;
    for (let c = 0; c < buckets.length; c++) if (c !== b) total += gamma(b, c) * s[b]! * s[c]!;
  }
  return { k, s, margin: Math.sqrt(Math.max(total, 0)) };
}

// ---- sensitivities of an account ----

export interface SimmBucket {
  underlying: string;
  spot: number;
  deltaRiskWeight: number;
  /** Σ δ·P (quote per unit relative move). */
  deltaSensitivity: number;
  deltaWs: number;
  deltaK: number;
  /** VR = σ·∂V/∂σ per vol tenor (quote), and its weighted sensitivity. */
  vega: { tenorDays: number; sensitivity: number; ws: number }[];
  vegaK: number;
  /** Curvature exposure per vol tenor (quote; > 0 is a loss). */
  curvature: { tenorDays: number; cvr: number }[];
  curvatureK: number;
}

export interface SimmRequirement {
  config: string;
  model: 'simm';
  currency: 'quote';
  equity: number;
  buckets: SimmBucket[];
  deltaMargin: number;
  vegaMargin: number;
  curvatureMargin: number;
  theta: number;
  lambda: number;
  initialMargin: number;
  maintenanceMargin: number;
}

/** Linear allocation of an amount at `days` to the two surrounding tenors (flat beyond the ends). */
export function allocateToTenors(tenors: readonly number[], days: number, amount: number): number[] {
  const out = tenors.map(() => 0);
  const n = tenors.length;
  if (days <= tenors[0]!) out[0] = amount;
  else if (days >= tenors[n - 1]!) out[n - 1] = amount;
  else {
    let j = 0;
    while (tenors[j + 1]! < days) j++;
    const w = (tenors[j + 1]! - days) / (tenors[j + 1]! - tenors[j]!);
    out[j] = amount * w;
    out[j + 1] = amount * (1 - w);
  }
  return out;
}

function gammaOf(config: SimmConfig, a: string, b: string): number {
  const p = config.crossBucket.pairs.find((q) => (q.a === a && q.b === b) || (q.a === b && q.b === a));
  return p ? p.gamma : config.crossBucket.default;
}

/** SIMM-style margin of an account (see the module header). */
export function simmMargin(
  account: PortfolioAccount,
  snapshot: MarketSnapshot,
  config: SimmConfig = simmPreset(),
): SimmRequirement {
  const tenors = config.vegaTenorsDays;
  for (let i = 1; i < tenors.length; i++)
    if (!(tenors[i]! > tenors[i - 1]!)) throw new RangeError('simm: vegaTenorsDays must increase');
  const ids = [...new Set(account.positions.map((p) => p.underlying))].sort();
  const idx = new Map(ids.map((id, i) => [id, i]));
  const rwOf = (id: string) => config.deltaRiskWeight.byUnderlying[id] ?? config.deltaRiskWeight.default;
  const delta = ids.map(() => 0);
  const vega = ids.map(() => tenors.map(() => 0));
  const curv = ids.map(() => tenors.map(() => 0));
  let equity = account.collateral;
  for (const p of account.positions) {
    const v = valuePosition(p, snapshot);
    equity += v.value;
    const b = idx.get(p.underlying)!;
    delta[b]! += v.delta * v.underlyingPrice;
    if (p.type !== 'option' || v.timeYears <= 0) continue;
    const g = black76Greeks({
      kind: p.kind,
      forward: v.underlyingPrice,
      strike: p.strike,
      timeYears: v.timeYears,
      vol: v.vol,
      rate: snapshot.rate,
    });
    const unitVega = p.settlement === 'inverse' ? (g.vega * v.spot) / v.underlyingPrice : g.vega;
    const dvdsigma = p.size * unitVega;
    const days = v.timeYears * 365;
    const sigmaB = (rwOf(p.underlying) * Math.sqrt(365 / 14)) / Z99;
    const vr = allocateToTenors(tenors, days, dvdsigma * v.vol);
    const cv = allocateToTenors(tenors, days, -simmScalingFunction(days) * sigmaB * dvdsigma);
    for (let t = 0; t < tenors.length; t++) {
      vega[b]![t]! += vr[t]!;
      curv[b]![t]! += cv[t]!;
    }
  }
  const gamma = (b: number, c: number) => gammaOf(config, ids[b]!, ids[c]!);
  const rhoTenor = (_b: number, k: number, l: number) => (k === l ? 1 : config.vegaTenorCorrelation);

  const deltaAgg = simmAggregate(
    ids.map((id, b) => ({ id, ws: [rwOf(id) * delta[b]!] })),
    () => 1,
    gamma,
  );
  const vegaAgg = simmAggregate(
    ids.map((id, b) => ({ id, ws: vega[b]!.map((x) => config.vegaRiskWeight * x) })),
    rhoTenor,
    gamma,
  );
  let curvatureMargin = 0;
  let theta = 0;
  let lambda = simmLambda(0);
  let curvK = ids.map(() => 0);
  if (config.curvature) {
    const agg = simmAggregate(
      ids.map((id, b) => ({ id, ws: curv[b]! })),
      (b, k, l) => rhoTenor(b, k, l) ** 2,
      (b, c) => gamma(b, c) ** 2,
    );
    curvK = agg.k;
    let sum = 0;
    let abs = 0;
    for (const row of curv)
      for (const x of row) {
        sum += x;
        abs += Math.abs(x);
      }
    theta = abs > 0 ? Math.min(sum / abs, 0) : 0;
    lambda = simmLambda(theta);
    curvatureMargin = Math.max(sum + lambda * agg.margin, 0);
  }
  const buckets: SimmBucket[] = ids.map((id, b) => ({
    underlying: id,
    spot: snapshot.underlyings[id]!.spot,
    deltaRiskWeight: rwOf(id),
    deltaSensitivity: delta[b]!,
    deltaWs: rwOf(id) * delta[b]!,
    deltaK: deltaAgg.k[b]!,
    vega: tenors
      .map((t, j) => ({ tenorDays: t, sensitivity: vega[b]![j]!, ws: config.vegaRiskWeight * vega[b]![j]! }))
      .filter((x) => x.sensitivity !== 0),
    vegaK: vegaAgg.k[b]!,
    curvature: tenors.map((t, j) => ({ tenorDays: t, cvr: curv[b]![j]! })).filter((x) => x.cvr !== 0),
    curvatureK: curvK[b]!,
  }));
  const initialMargin = deltaAgg.margin + vegaAgg.margin + curvatureMargin;
  return {
    config: config.name,
    model: 'simm',
    currency: 'quote',
    equity,
    buckets,
    deltaMargin: deltaAgg.margin,
    vegaMargin: vegaAgg.margin,
    curvatureMargin,
    theta,
    lambda,
    initialMargin,
    maintenanceMargin: config.maintenanceFraction * initialMargin,
  };
}
