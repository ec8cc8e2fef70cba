/**
 * Standard ISDA SIMM (v2.5, 10-day, calculation currency USD) on CRIF sensitivities for the
 * Equity, Commodity and FX risk classes: delta, vega and curvature margins with concentration
 * risk, the residual bucket, the cross-risk-class ψ within a product class and the sum over
 * product classes. Parameters: simm-v2_5.ts. Checked against ISDA's SIMM unit tests
 * (simm-standard.test.ts).
 *
 * Inputs are CRIF rows in USD:
 *   Risk_Equity / Risk_Commodity / Risk_FX   amount = value change for a 1% relative move of the
 *                                            qualifier (an issuer, a commodity, a currency)
 *   Risk_EquityVol / Risk_CommodityVol / Risk_FXVol
 *                                            amount = value change for a 1 vol point move at tenor
 *                                            label1 (FX vol qualifiers are pairs, e.g. EURUSD)
 *
 * Per risk class, bucket b, qualifier k (rows of one qualifier are summed first):
 *   delta      s_k = Σ amount, CR_k = max(1, √(|s_k|/T)),  WS_k = RW·s_k·CR_k
 *   vega       σ = RW·√(365/14)/Φ⁻¹(0.99),  VR_k = HVR·σ·Σ_j amount_kj   (tenors summed)
 *              VCR_k = max(1, √(|VR_k|/VT)),  WS_k = VRW·VR_k·VCR_k
 *   curvature  CVR_k = Σ_j SF(t_j)·σ·amount_kj,  SF(t) = 0.5·min(1, 14/days)
 *              (none for equity bucket 12, volatility indices)
 *   K_b = √(ΣWS² + ΣΣ ρ_kl f_kl WS_k WS_l), f_kl = min(CR)/max(CR) (1 for curvature), then
 *   √(ΣK_b² + ΣΣ γ_bc S_b S_c) over non-residual buckets, plus K of the residual bucket.
 *   Curvature uses ρ², γ² and λ(θ) from simm.ts, the residual bucket with its own θ.
 * FX: one bucket; RW, ρ and T depend on the currencies' volatility group and category; FX
 * sensitivity to the calculation currency (USD) carries no risk and is dropped.
 * IM_r = delta + vega + curvature; IM_pc = √(Σ_r Σ_s ψ_rs IM_r IM_s); SIMM = Σ_pc IM_pc.
 *
 * Not covered: interest-rate and credit risk classes, add-ons and product-class multipliers,
 * the 1-day calibration, calculation currencies other than USD.
 */
import { z } from 'zod';
import { normalInv } from '../pricing/normal.ts';
import { type SimmBucketInput, simmAggregate, simmLambda, simmScalingFunction } from './simm.ts';
import {
  SIMM_TENOR_DAYS,
  SIMM_V2_5_COMMODITY,
  SIMM_V2_5_EQUITY,
  SIMM_V2_5_FX,
  SIMM_V2_5_PSI_EQUITY_COMMODITY,
  SIMM_V2_5_PSI_FX_COMMODITY,
  SIMM_V2_5_PSI_FX_EQUITY,
  type SimmRiskClassParams,
} from './simm-v2_5.ts';

export const SIMM_STANDARD_VERSION = 'ISDA SIMM v2.5 (10-day, USD)';
const CALCULATION_CURRENCY = 'USD';

export type SimmRiskClass = 'Equity' | 'Commodity' | 'FX';
const RISK_CLASSES: readonly SimmRiskClass[] = ['Equity', 'Commodity', 'FX'];
type Measure = 'delta' | 'vega';

const RISK_TYPES = {
  Risk_Equity: { riskClass: 'Equity', measure: 'delta', productClass: 'Equity' },
  Risk_EquityVol: { riskClass: 'Equity', measure: 'vega', productClass: 'Equity' },
  Risk_Commodity: { riskClass: 'Commodity', measure: 'delta', productClass: 'Commodity' },
  Risk_CommodityVol: { riskClass: 'Commodity', measure: 'vega', productClass: 'Commodity' },
  Risk_FX: { riskClass: 'FX', measure: 'delta', productClass: 'RatesFX' },
  Risk_FXVol: { riskClass: 'FX', measure: 'vega', productClass: 'RatesFX' },
} as const satisfies Record<string, { riskClass: SimmRiskClass; measure: Measure; productClass: string }>;
export type SimmRiskType = keyof typeof RISK_TYPES;

const PRODUCT_CLASSES = ['RatesFX', 'Credit', 'Equity', 'Commodity'] as const;
export type SimmProductClass = (typeof PRODUCT_CLASSES)[number];

const ALPHA = normalInv(0.99);

/** σ of SIMM's vega and curvature for equity, commodity and FX: RW·√(365/14)/Φ⁻¹(0.99). */
export function simmVolScale(deltaRw: number): number {
  return (deltaRw * Math.sqrt(365 / 14)) / ALPHA;
}

/** What differs between risk classes; the aggregation below is shared. */
interface ClassSpec {
  /** Bucket order (γ follows it); the residual bucket, if any, last. */
  buckets: readonly string[];
  residual?: string;
  /** Canonical qualifier (FX pairs are unordered). */
  key(measure: Measure, qualifier: string): string;
  /** Rows that carry no risk (FX delta to the calculation currency). */
  ignoresDelta(qualifier: string): boolean;
  deltaRw(bucket: string, q: string): number;
  deltaThreshold(bucket: string, q: string): number;
  volScale(bucket: string, q: string): number;
  vegaRw(bucket: string): number;
  hvr: number;
  vegaThreshold(bucket: string, q: string): number;
  hasCurvature(bucket: string): boolean;
  rho(measure: Measure, bucket: string, q1: string, q2: string): number;
  gamma(b: string, c: string): number;
}

const MM = 1e6;

function bucketedSpec(p: SimmRiskClassParams): ClassSpec {
  return {
    buckets: p.residual ? [...p.buckets, p.residual] : p.buckets,
    residual: p.residual,
    key: (_m, q) => q,
    ignoresDelta: () => false,
    deltaRw: (b) => p.deltaRw[b]!,
    deltaThreshold: (b) => p.deltaThresholdMm[b]! * MM,
    volScale: (b) => simmVolScale(p.deltaRw[b]!),
    vegaRw: (b) => p.vegaRw[b]!,
    hvr: p.hvr,
    vegaThreshold: (b) => p.vegaThresholdMm[b]! * MM,
    hasCurvature: (b) => !p.noCurvature?.includes(b),
    rho: (_m, b) => p.intraRho[b]!,
    gamma: (b, c) => p.gamma[p.buckets.indexOf(b)]![p.buckets.indexOf(c)]!,
  };
}

const FX = SIMM_V2_5_FX;
const fxGroup = (ccy: string) => (FX.highVol.includes(ccy) ? 1 : 0);
const fxCategory = (ccy: string) => (FX.category1.includes(ccy) ? 1 : FX.category2.includes(ccy) ? 2 : 3);
const pairOf = (pair: string): [string, string] => {
  const a = pair.slice(0, 3);
  const b = pair.slice(3, 6);
  return a <= b ? [a, b] : [b, a];
};
const CALC_GROUP = fxGroup(CALCULATION_CURRENCY);

const FX_SPEC: ClassSpec = {
  buckets: [''],
  key: (m, q) => (m === 'vega' ? pairOf(q).join('') : q),
  ignoresDelta: (q) => q === CALCULATION_CURRENCY,
  deltaRw: (_b, q) => FX.rw[CALC_GROUP]![fxGroup(q)]!,
  deltaThreshold: (_b, q) => FX.deltaThresholdMm[fxCategory(q) - 1]! * MM,
  volScale: (_b, q) => {
    const [a, b] = pairOf(q);
    return simmVolScale(FX.rw[fxGroup(a)]![fxGroup(b)]!);
  },
  vegaRw: () => FX.vegaRw,
  hvr: FX.hvr,
  vegaThreshold: (_b, q) => {
    const cats = pairOf(q)
      .map(fxCategory)
      .sort((x, y) => x - y);
    return FX.vegaThresholdMm[cats.join('-')]! * MM;
  },
  hasCurvature: () => true,
  rho: (m, _b, q1, q2) => (m === 'vega' ? FX.vegaCorr : FX.deltaCorrRegularCalc[fxGroup(q1)]![fxGroup(q2)]!),
  gamma: () => 0,
};

const SPECS: Record<SimmRiskClass, ClassSpec> = {
  Equity: bucketedSpec(SIMM_V2_5_EQUITY),
  Commodity: bucketedSpec(SIMM_V2_5_COMMODITY),
  FX: FX_SPEC,
};

const CCY = /^[A-Z]{3}$/;
const PAIR = /^[A-Z]{6}$/;

export const CrifRowSchema = z
  .object({
    /** Defaults to the risk type's own product class (Equity, Commodity, RatesFX). */
    productClass: z.enum(PRODUCT_CLASSES).optional(),
    riskType: z.enum(Object.keys(RISK_TYPES) as [SimmRiskType, ...SimmRiskType[]]),
    qualifier: z.string().min(1).max(200),
    /** Empty for FX (one bucket). */
    bucket: z.string().default(''),
    label1: z.string().default(''),
    amount: z.number().refine(Number.isFinite, 'amount must be a finite number'),
  })
  .superRefine((row, ctx) => {
    const { riskClass, measure } = RISK_TYPES[row.riskType];
    const valid = SPECS[riskClass].buckets;
    if (!valid.includes(row.bucket))
      ctx.addIssue({
        code: 'custom',
        path: ['bucket'],
        message:
          riskClass === 'FX'
            ? `FX takes no bucket (got '${row.bucket}')`
            : `unknown ${riskClass} bucket '${row.bucket}' (expected one of ${valid.join(', ')})`,
      });
    if (riskClass === 'FX' && !(measure === 'delta' ? CCY : PAIR).test(row.qualifier))
      ctx.addIssue({
        code: 'custom',
        path: ['qualifier'],
        message: `${row.riskType} qualifier must be ${measure === 'delta' ? 'an ISO currency (USD)' : 'a currency pair (EURUSD)'}`,
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

/** Net amount per bucket and qualifier: SIMM nets a qualifier's rows before weighting. */
type Net = Map<string, Map<string, number>>;

function addTo(net: Net, bucket: string, qualifier: string, x: number): void {
  let q = net.get(bucket);
  if (!q) net.set(bucket, (q = new Map()));
  q.set(qualifier, (q.get(qualifier) ?? 0) + x);
}

interface Weighted {
  bucket: string;
  keys: string[];
  ws: number[];
  /** Concentration factor per entry (1 where there is none). */
  cr: number[];
}

/** K per bucket and the cross-bucket total, residual apart; ρ·f (or ρ², γ² for curvature). */
function weightedMargin(s: ClassSpec, m: Measure, items: Weighted[], curvature: boolean): SimmMeasureResult {
  const pow = (x: number) => (curvature ? x * x : x);
  const main = items.filter((w) => w.bucket !== s.residual);
  const residual = items.filter((w) => w.bucket === s.residual);
  const rho = (list: Weighted[]) => (b: number, k: number, l: number) => {
    const w = list[b]!;
    const f = Math.min(w.cr[k]!, w.cr[l]!) / Math.max(w.cr[k]!, w.cr[l]!);
    return pow(s.rho(m, w.bucket, w.keys[k]!, w.keys[l]!)) * f;
  };
  const gamma = (b: number, c: number) => pow(s.gamma(main[b]!.bucket, main[c]!.bucket));
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

function concentration(sum: number, threshold: number): number {
  return Math.max(1, Math.sqrt(Math.abs(sum) / threshold));
}

/** Weighted sensitivities per bucket, in the spec's bucket order. */
function weigh(
  s: ClassSpec,
  net: Net,
  ws: (bucket: string, q: string, x: number) => { ws: number; cr: number },
): Weighted[] {
  return [...net.keys()]
    .sort((a, b) => s.buckets.indexOf(a) - s.buckets.indexOf(b))
    .map((bucket) => {
      const entries = [...net.get(bucket)!.entries()];
      const w = entries.map(([q, x]) => ws(bucket, q, x));
      return { bucket, keys: entries.map(([q]) => q), ws: w.map((x) => x.ws), cr: w.map((x) => x.cr) };
    });
}

function deltaMargin(s: ClassSpec, net: Net): SimmMeasureResult {
  const items = weigh(s, net, (b, q, x) => {
    const cr = concentration(x, s.deltaThreshold(b, q));
    return { ws: s.deltaRw(b, q) * x * cr, cr };
  });
  return weightedMargin(s, 'delta', items, false);
}

function vegaMargin(s: ClassSpec, net: Net): SimmMeasureResult {
  const items = weigh(s, net, (b, q, x) => {
    const vr = s.hvr * s.volScale(b, q) * x;
    const cr = concentration(vr, s.vegaThreshold(b, q));
    return { ws: s.vegaRw(b) * vr * cr, cr };
  });
  return weightedMargin(s, 'vega', items, false);
}

/** Curvature: ρ², γ², no concentration; θ and λ separately for the residual bucket. */
function curvatureMargin(s: ClassSpec, net: Net): SimmRiskClassResult['curvature'] {
  const items = weigh(s, net, (_b, _q, x) => ({ ws: x, cr: 1 }));
  const part = (list: Weighted[]) => {
    const agg = weightedMargin(s, 'vega', list, true);
    const all = list.flatMap((w) => w.ws);
    const sum = all.reduce((a, x) => a + x, 0);
    const abs = all.reduce((a, x) => a + Math.abs(x), 0);
    const theta = abs > 0 ? Math.min(sum / abs, 0) : 0;
    const lambda = simmLambda(theta);
    return { margin: Math.max(sum + lambda * agg.margin, 0), buckets: agg.buckets, theta, lambda };
  };
  const main = part(items.filter((w) => w.bucket !== s.residual));
  const res = part(items.filter((w) => w.bucket === s.residual));
  return {
    margin: main.margin + res.margin,
    buckets: [...main.buckets, ...res.buckets],
    theta: main.theta,
    lambda: main.lambda,
  };
}

function riskClassMargin(rc: SimmRiskClass, rows: readonly CrifRow[]): SimmRiskClassResult {
  const s = SPECS[rc];
  const delta: Net = new Map();
  const vega: Net = new Map();
  const curv: Net = new Map();
  for (const r of rows) {
    const m = RISK_TYPES[r.riskType].measure;
    const q = s.key(m, r.qualifier);
    if (m === 'delta') {
      if (!s.ignoresDelta(q)) addTo(delta, r.bucket, q, r.amount);
      continue;
    }
    addTo(vega, r.bucket, q, r.amount);
    if (!s.hasCurvature(r.bucket)) continue;
    const sf = simmScalingFunction(SIMM_TENOR_DAYS[r.label1]!);
    addTo(curv, r.bucket, q, sf * s.volScale(r.bucket, q) * r.amount);
  }
  const d = deltaMargin(s, delta);
  const v = vegaMargin(s, vega);
  const c = curvatureMargin(s, curv);
  return { riskClass: rc, delta: d, vega: v, curvature: c, margin: d.margin + v.margin + c.margin };
}

function psi(a: SimmRiskClass, b: SimmRiskClass): number {
  if (a === b) return 1;
  const pair = [a, b].sort().join('/');
  if (pair === 'Commodity/Equity') return SIMM_V2_5_PSI_EQUITY_COMMODITY;
  if (pair === 'Equity/FX') return SIMM_V2_5_PSI_FX_EQUITY;
  return SIMM_V2_5_PSI_FX_COMMODITY;
}

/**
 * SIMM initial margin of CRIF rows (validated with CrifSchema; throws a ZodError naming the row
 * and field otherwise).
 */
export function simmStandardMargin(input: readonly CrifRowInput[]): SimmStandardResult {
  const rows = CrifSchema.parse(input);
  const productClasses: SimmProductClassResult[] = [];
  for (const pc of PRODUCT_CLASSES) {
    const inPc = rows.filter((r) => (r.productClass ?? RISK_TYPES[r.riskType].productClass) === pc);
    if (inPc.length === 0) continue;
    const riskClasses = RISK_CLASSES.map((rc) => ({
      rc,
      rs: inPc.filter((r) => RISK_TYPES[r.riskType].riskClass === rc),
    }))
      .filter((x) => x.rs.length > 0)
      .map((x) => riskClassMargin(x.rc, x.rs));
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
