/**
 * Standard ISDA SIMM (v2.5, 10-day) on CRIF sensitivities for the Equity and Commodity risk
 * classes: delta, vega and curvature margins with concentration risk, residual bucket, the
 * cross-risk-class ψ within a product class and the sum over product classes. Parameters:
 * simm-v2_5.ts. Checked against ISDA's SIMM unit tests (simm-standard.test.ts).
 *
 * Inputs are CRIF rows in the calculation currency (USD for the published parameters):
 *   Risk_Equity / Risk_Commodity        amount = value change for a 1% relative move of the qualifier
 *   Risk_EquityVol / Risk_CommodityVol  amount = value change for a 1 vol point move at tenor label1
 *
 * Per risk class, bucket b, qualifier k (rows of one qualifier are summed first):
 *   delta      s_k = Σ amount, CR_k = max(1, √(|s_k|/T_b)),  WS_k = RW_b·s_k·CR_k
 *   vega       σ_b = RW_b·√(365/14)/Φ⁻¹(0.99),  VR_k = HVR·σ_b·Σ_j amount_kj   (tenors summed)
 *              VCR_k = max(1, √(|VR_k|/VT_b)),  WS_k = VRW_b·VR_k·VCR_k
 *   curvature  CVR_k = Σ_j SF(t_j)·σ_b·amount_kj,  SF(t) = 0.5·min(1, 14/days)
 *              (none for equity bucket 12, volatility indices)
 *   K_b = √(ΣWS² + ΣΣ ρ_kl f_kl WS_k WS_l), f_kl = min(CR)/max(CR) (1 for curvature), then
 *   √(ΣK_b² + ΣΣ γ_bc S_b S_c) over non-residual buckets, plus K of the residual bucket.
 *   Curvature uses ρ², γ² and λ(θ) from simm.ts, the residual bucket with its own θ.
 * IM_r = delta + vega + curvature; IM_pc = √(Σ_r Σ_s ψ_rs IM_r IM_s); SIMM = Σ_pc IM_pc.
 *
 * Not covered: the other risk classes (IR, credit, FX), add-ons and product-class multipliers,
 * the 1-day calibration, base-correlation risk.
 */
import { z } from 'zod';
import { normalInv } from '../pricing/normal.ts';
import { type SimmBucketInput, simmAggregate, simmLambda, simmScalingFunction } from './simm.ts';
import {
  SIMM_TENOR_DAYS,
  SIMM_V2_5_COMMODITY,
  SIMM_V2_5_EQUITY,
  SIMM_V2_5_PSI_EQUITY_COMMODITY,
  type SimmRiskClassParams,
} from './simm-v2_5.ts';

export const SIMM_STANDARD_VERSION = 'ISDA SIMM v2.5 (10-day, USD)';

export type SimmRiskClass = 'Equity' | 'Commodity';
type Measure = 'delta' | 'vega';

const RISK_TYPES = {
  Risk_Equity: { riskClass: 'Equity', measure: 'delta' },
  Risk_EquityVol: { riskClass: 'Equity', measure: 'vega' },
  Risk_Commodity: { riskClass: 'Commodity', measure: 'delta' },
  Risk_CommodityVol: { riskClass: 'Commodity', measure: 'vega' },
} as const satisfies Record<string, { riskClass: SimmRiskClass; measure: Measure }>;
export type SimmRiskType = keyof typeof RISK_TYPES;

const PARAMS: Record<SimmRiskClass, SimmRiskClassParams> = {
  Equity: SIMM_V2_5_EQUITY,
  Commodity: SIMM_V2_5_COMMODITY,
};

const PRODUCT_CLASSES = ['RatesFX', 'Credit', 'Equity', 'Commodity'] as const;
export type SimmProductClass = (typeof PRODUCT_CLASSES)[number];

function bucketsOf(rc: SimmRiskClass): string[] {
  const p = PARAMS[rc];
  return p.residual ? [...p.buckets, p.residual] : [...p.buckets];
}

export const CrifRowSchema = z
  .object({
    /** Defaults to the risk type's own product class (Equity or Commodity). */
    productClass: z.enum(PRODUCT_CLASSES).optional(),
    riskType: z.enum(Object.keys(RISK_TYPES) as [SimmRiskType, ...SimmRiskType[]]),
    qualifier: z.string().min(1).max(200),
    bucket: z.string().min(1),
    label1: z.string().default(''),
    amount: z.number().refine(Number.isFinite, 'amount must be a finite number'),
  })
  .superRefine((row, ctx) => {
    const { riskClass, measure } = RISK_TYPES[row.riskType];
    const valid = bucketsOf(riskClass);
    if (!valid.includes(row.bucket))
      ctx.addIssue({
        code: 'custom',
        path: ['bucket'],
        message: `unknown ${riskClass} bucket '${row.bucket}' (expected one of ${valid.join(', ')})`,
      });
    if (measure === 'vega' && !(row.label1 in SIMM_TENOR_DAYS))
      ctx.addIssue({
        code: 'custom',
        path: ['label1'],
        message: `${row.riskType} needs a vol tenor in label1 (one of ${Object.keys(SIMM_TENOR_DAYS).join(', ')})`,
      });
    if (measure === 'delta' && row.label1 !== '')
      ctx.addIssue({ code: 'custom', path: ['label1'], message: `${row.riskType} takes no label1` });
  });
export type CrifRow = z.output<typeof CrifRowSchema>;
export type CrifRowInput = z.input<typeof CrifRowSchema>;

export const CrifSchema = z.array(CrifRowSchema).max(1_000_000);

export interface SimmMeasureResult {
  margin: number;
  /** K_b per bucket that has sensitivities. */
  buckets: { bucket: string; k: number }[];
}

export interface SimmRiskClassResult {
  riskClass: SimmRiskClass;
  delta: SimmMeasureResult;
  vega: SimmMeasureResult;
  curvature: SimmMeasureResult & { theta: number; lambda: number };
  /** delta + vega + curvature. */
  margin: number;
}

export interface SimmProductClassResult {
  productClass: SimmProductClass;
  riskClasses: SimmRiskClassResult[];
  margin: number;
}

export interface SimmStandardResult {
  version: string;
  productClasses: SimmProductClassResult[];
  initialMargin: number;
}

const ALPHA = normalInv(0.99);

/** σ_b of SIMM's vega and curvature for equity and commodity: RW_b·√(365/14)/Φ⁻¹(0.99). */
export function simmVolScale(deltaRw: number): number {
  return (deltaRw * Math.sqrt(365 / 14)) / ALPHA;
}

/** Net amount per bucket and qualifier: SIMM nets a qualifier's rows before weighting. */
type Net = Map<string, Map<string, number>>;

function addTo(net: Net, bucket: string, qualifier: string, x: number): void {
  let q = net.get(bucket);
  if (!q) net.set(bucket, (q = new Map()));
  q.set(qualifier, (q.get(qualifier) ?? 0) + x);
}

interface Weighted {
  bucket: string;
  ws: number[];
  /** Concentration factor per entry (1 where there is none). */
  cr: number[];
}

/** Delta or vega margin from weighted sensitivities (concentration-adjusted ρ, residual apart). */
function weightedMargin(p: SimmRiskClassParams, items: Weighted[], squareCorr: boolean): SimmMeasureResult {
  const pow = (x: number) => (squareCorr ? x * x : x);
  const main = items.filter((w) => w.bucket !== p.residual);
  const residual = items.filter((w) => w.bucket === p.residual);
  const rho = (list: Weighted[]) => (b: number, k: number, l: number) => {
    const w = list[b]!;
    const f = Math.min(w.cr[k]!, w.cr[l]!) / Math.max(w.cr[k]!, w.cr[l]!);
    return pow(p.intraRho[w.bucket]!) * f;
  };
  const gamma = (b: number, c: number) =>
    pow(p.gamma[p.buckets.indexOf(main[b]!.bucket)]![p.buckets.indexOf(main[c]!.bucket)]!);
  const toInput = (w: Weighted): SimmBucketInput => ({ id: w.bucket, ws: w.ws });
  const agg = simmAggregate(main.map(toInput), rho(main), gamma);
  const res = simmAggregate(residual.map(toInput), rho(residual), () => 0);
  return {
    margin: agg.margin + res.margin,
    buckets: [
      ...main.map((w, i) => ({ bucket: w.bucket, k: agg.k[i]! })),
      ...residual.map((w, i) => ({ bucket: w.bucket, k: res.k[i]! })),
    ],
  };
}

function concentration(sum: number, thresholdMm: number): number {
  return Math.max(1, Math.sqrt(Math.abs(sum) / (thresholdMm * 1e6)));
}

function sortedBuckets(p: SimmRiskClassParams, net: Net): string[] {
  const order = p.residual ? [...p.buckets, p.residual] : [...p.buckets];
  return [...net.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

function deltaMargin(p: SimmRiskClassParams, net: Net): SimmMeasureResult {
  const items = sortedBuckets(p, net).map((bucket) => {
    const sums = [...net.get(bucket)!.values()];
    const cr = sums.map((s) => concentration(s, p.deltaThresholdMm[bucket]!));
    return { bucket, cr, ws: sums.map((s, i) => p.deltaRw[bucket]! * s * cr[i]!) };
  });
  return weightedMargin(p, items, false);
}

function vegaMargin(p: SimmRiskClassParams, net: Net): SimmMeasureResult {
  const items = sortedBuckets(p, net).map((bucket) => {
    const vr = [...net.get(bucket)!.values()].map((s) => p.hvr * simmVolScale(p.deltaRw[bucket]!) * s);
    const cr = vr.map((v) => concentration(v, p.vegaThresholdMm[bucket]!));
    return { bucket, cr, ws: vr.map((v, i) => p.vegaRw[bucket]! * v * cr[i]!) };
  });
  return weightedMargin(p, items, false);
}

/** Curvature: ρ², γ², no concentration; θ and λ separately for the residual bucket. */
function curvatureMargin(p: SimmRiskClassParams, net: Net): SimmRiskClassResult['curvature'] {
  const order = sortedBuckets(p, net);
  const cvr = (bucket: string) => [...net.get(bucket)!.values()];
  const thetaOf = (xs: number[]) => {
    const abs = xs.reduce((a, x) => a + Math.abs(x), 0);
    return abs > 0 ? Math.min(xs.reduce((a, x) => a + x, 0) / abs, 0) : 0;
  };
  const part = (buckets: string[]) => {
    const items = buckets.map((bucket) => ({ bucket, ws: cvr(bucket), cr: cvr(bucket).map(() => 1) }));
    const agg = weightedMargin(p, items, true);
    const all = items.flatMap((w) => w.ws);
    const theta = thetaOf(all);
    const lambda = simmLambda(theta);
    const sum = all.reduce((a, x) => a + x, 0);
    return { margin: Math.max(sum + lambda * agg.margin, 0), buckets: agg.buckets, theta, lambda };
  };
  const main = part(order.filter((b) => b !== p.residual));
  const res = part(order.filter((b) => b === p.residual));
  return {
    margin: main.margin + res.margin,
    buckets: [...main.buckets, ...res.buckets],
    theta: main.theta,
    lambda: main.lambda,
  };
}

function riskClassMargin(rc: SimmRiskClass, rows: readonly CrifRow[]): SimmRiskClassResult {
  const p = PARAMS[rc];
  const delta: Net = new Map();
  const vega: Net = new Map();
  const curv: Net = new Map();
  for (const r of rows) {
    if (RISK_TYPES[r.riskType].measure === 'delta') {
      addTo(delta, r.bucket, r.qualifier, r.amount);
      continue;
    }
    addTo(vega, r.bucket, r.qualifier, r.amount);
    if (p.noCurvature?.includes(r.bucket)) continue;
    const sf = simmScalingFunction(SIMM_TENOR_DAYS[r.label1]!);
    addTo(curv, r.bucket, r.qualifier, sf * simmVolScale(p.deltaRw[r.bucket]!) * r.amount);
  }
  const d = deltaMargin(p, delta);
  const v = vegaMargin(p, vega);
  const c = curvatureMargin(p, curv);
  return { riskClass: rc, delta: d, vega: v, curvature: c, margin: d.margin + v.margin + c.margin };
}

function psi(a: SimmRiskClass, b: SimmRiskClass): number {
  return a === b ? 1 : SIMM_V2_5_PSI_EQUITY_COMMODITY;
}

/**
 * SIMM initial margin of CRIF rows (validated with CrifSchema; throws a ZodError naming the row
 * and field otherwise).
 */
export function simmStandardMargin(input: readonly CrifRowInput[]): SimmStandardResult {
  const rows = CrifSchema.parse(input);
  const productClasses: SimmProductClassResult[] = [];
  for (const pc of PRODUCT_CLASSES) {
    const inPc = rows.filter((r) => (r.productClass ?? RISK_TYPES[r.riskType].riskClass) === pc);
    if (inPc.length === 0) continue;
    const riskClasses = (['Equity', 'Commodity'] as const)
      .map((rc) => inPc.filter((r) => RISK_TYPES[r.riskType].riskClass === rc))
      .filter((rs) => rs.length > 0)
      .map((rs) => riskClassMargin(RISK_TYPES[rs[0]!.riskType].riskClass, rs));
    let v = 0;
    for (const a of riskClasses)
      for (const b of riskClasses) v += psi(a.riskClass, b.riskClass) * a.margin * b.margin;
    productClasses.push({ productClass: pc, riskClasses, margin: Math.sqrt(Math.max(v, 0)) });
  }
  return {
    version: SIMM_STANDARD_VERSION,
    productClasses,
    initialMargin: productClasses.reduce((a, x) => a + x.margin, 0),
  };
}
