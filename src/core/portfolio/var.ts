/**
 * Historical VaR / expected shortfall margin: full revaluation of an account under historical
 * returns applied to all underlyings jointly, plus a liquidity add-on for concentrated
 * positions (an alternative to the scenario risk matrix; docs/portfolio-margin.md).
 *
 * Input: aligned daily log-return series per underlying (the caller reads and aligns them;
 * core does no I/O). The last `lookback` observations are used. An underlying without a
 * series of its own takes the `proxy` series times `beta` (default 1): stated in the result
 * (`source: 'proxy'`), never silently.
 *
 * For each historical day t, with r_u,t the log return and h the horizon in days:
 *   m_u,t  = exp(√h · β_u · r_u,t) − 1                 (√h vol scaling for multi-day horizons)
 *   S' = S(1 + m), F' = F(1 + m), T and σ unchanged (sticky strike, no time decay)
 *   L_t    = −Σ_i size_i · (unitValue_i(S', F') − unitValue_i(S, F))         loss, quote
 * With the losses sorted ascending L_(1) ≤ … ≤ L_(n) and k = ⌈c·n⌉ (confidence c):
 *   VaR = L_(k),    ES = mean(L_(k), …, L_(n))     (so ES ≥ VaR; both non-decreasing in c)
 * ES contribution of underlying u: the mean of u's own loss over the same tail days (they sum
 * to ES). Liquidity add-on per underlying, N_u = |Σ δ·P| the net delta notional:
 *   addOn_u = rate · max(0, N_u − threshold_u)        (zero below the concentration threshold)
 * IM = max(0, ES or VaR, as configured) + Σ addOn_u;  MM = maintenanceFraction × IM.
 *
 * Float64 screening figures, like the rest of src/core/portfolio (see model.ts).
 */
import { z } from 'zod';
import { InvariantError } from '../num/index.ts';
import { type MarketSnapshot, optionUnitValue, type PortfolioAccount, valuePosition } from './model.ts';

export const VarConfigSchema = z.object({
  name: z.string().min(1).max(64).default('hist-var'),
  /** Number of most recent observations used. */
  lookback: z.number().int().min(2).default(730),
  /** Confidence c of VaR/ES, in (0.5, 1). */
  confidence: z.number().gt(0.5).lt(1).default(0.99),
  /** Horizon in days: returns scaled by √horizon. */
  horizonDays: z.number().positive().max(365).default(1),
  /** Which measure is the requirement. */
  measure: z.enum(['es', 'var']).default('es'),
  /** Underlying whose series stands in for underlyings without one (β default 1). */
  proxy: z.string().optional(),
  beta: z.record(z.string(), z.number()).default({}),
  /** Liquidity add-on: rate × net delta notional above the threshold (quote). Illustrative. */
  liquidity: z
    .object({
      rate: z.number().min(0).max(1).default(0.05),
      threshold: z.number().min(0).default(10_000_000),
      byUnderlying: z.record(z.string(), z.number().min(0)).default({}),
    })
    .prefault({}),
  maintenanceFraction: z.number().min(0).max(1).default(0.5),
});
export type VarConfig = z.output<typeof VarConfigSchema>;
export type VarConfigInput = z.input<typeof VarConfigSchema>;

export function varPreset(overrides: VarConfigInput = {}): VarConfig {
  return VarConfigSchema.parse(overrides);
}

/** Aligned historical log returns (same length and dates for every series). */
export interface HistoricalReturns {
  series: Readonly<Record<string, ArrayLike<number>>>;
  /** Optional label of each observation (e.g. the date), same length. */
  labels?: readonly string[];
  /** Where the data came from, echoed in the result. */
  source?: string;
}

export interface VarUnderlying {
  underlying: string;
  spot: number;
  source: 'own' | 'proxy';
  beta: number;
  /** Σ δ·P, quote. */
  netNotional: number;
  /** Mean loss of this underlying over the tail days (Σ = ES). */
  esContribution: number;
  /** VaR of this underlying's positions alone. */
  standaloneVar: number;
  liquidityThreshold: number;
  liquidityAddOn: number;
}

export interface VarRequirement {
  config: string;
  model: 'var';
  currency: 'quote';
  equity: number;
  source: string | null;
  observations: number;
  confidence: number;
  horizonDays: number;
  measure: 'es' | 'var';
  valueAtRisk: number;
  expectedShortfall: number;
  /** Number of tail observations in ES (n − k + 1). */
  tailCount: number;
  worstLoss: number;
  worstLabel: string | null;
  underlyings: VarUnderlying[];
  liquidityAddOn: number;
  initialMargin: number;
  maintenanceMargin: number;
}

/** VaR and ES of a loss sample (see the module header); `tail` lists the tail indices. */
export function historicalVarEs(
  losses: ArrayLike<number>,
  confidence: number,
): { valueAtRisk: number; expectedShortfall: number; tail: number[] } {
  const n = losses.length;
  if (n === 0) throw new InvariantError('var: no observations');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => losses[a]! - losses[b]!);
  const k = Math.min(n, Math.max(1, Math.ceil(confidence * n - 1e-9)));
  const tail = order.slice(k - 1);
  const es = tail.reduce((a, i) => a + losses[i]!, 0) / tail.length;
  return { valueAtRisk: losses[order[k - 1]!]!, expectedShortfall: es, tail };
}

/** Historical VaR / ES margin of an account (see the module header). */
export function historicalVarMargin(
  account: PortfolioAccount,
  snapshot: MarketSnapshot,
  history: HistoricalReturns,
  config: VarConfig = varPreset(),
): VarRequirement {
  const ids = [...new Set(account.positions.map((p) => p.underlying))].sort();
  const lengths = Object.values(history.series).map((s) => s.length);
  const total = lengths[0] ?? 0;
  if (lengths.some((l) => l !== total)) throw new InvariantError('var: return series must be aligned');
  if (history.labels && history.labels.length !== total)
    throw new InvariantError('var: labels must match the series length');
  const n = Math.min(config.lookback, total);
  if (n < 2) throw new InvariantError(`var: need at least 2 observations, have ${n}`);
  const start = total - n;
  const sqrtH = Math.sqrt(config.horizonDays);

  const infos = ids.map((id) => {
    const own = history.series[id];
    const proxy = config.proxy === undefined ? undefined : history.series[config.proxy];
    const series = own ?? proxy;
    if (!series)
      throw new InvariantError(
        `var: no return series for ${id}${config.proxy ? ` nor its proxy ${config.proxy}` : ''}`,
      );
    const beta = config.beta[id] ?? 1;
    const moves = new Float64Array(n);
    for (let t = 0; t < n; t++) moves[t] = Math.exp(sqrtH * beta * series[start + t]!) - 1;
    return { id, source: own ? ('own' as const) : ('proxy' as const), beta, moves };
  });
  const idx = new Map(ids.map((id, i) => [id, i]));

  // Loss per underlying per day (full revaluation).
  const lossU = ids.map(() => new Float64Array(n));
  const notional = ids.map(() => 0);
  let equity = account.collateral;
  for (const p of account.positions) {
    const v = valuePosition(p, snapshot);
    equity += v.value;
    const u = idx.get(p.underlying)!;
    notional[u]! += v.delta * v.underlyingPrice;
    const moves = infos[u]!.moves;
    const out = lossU[u]!;
    for (let t = 0; t < n; t++) {
      const g = 1 + moves[t]!;
      const unit =
        p.type === 'option'
          ? optionUnitValue(
              p.kind,
              p.settlement,
              v.underlyingPrice * g,
              v.spot * g,
              p.strike,
              v.timeYears,
              v.vol,
              snapshot.rate,
            )
          : v.unitValue + v.underlyingPrice * moves[t]!;
      out[t]! -= p.size * (unit - v.unitValue);
    }
  }
  const losses = new Float64Array(n);
  for (const l of lossU) for (let t = 0; t < n; t++) losses[t]! += l[t]!;
  const { valueAtRisk, expectedShortfall, tail } = historicalVarEs(losses, config.confidence);
  let worst = 0;
  for (let t = 1; t < n; t++) if (losses[t]! > losses[worst]!) worst = t;

  const underlyings: VarUnderlying[] = infos.map((info, u) => {
    const threshold = config.liquidity.byUnderlying[info.id] ?? config.liquidity.threshold;
    const net = Math.abs(notional[u]!);
    return {
      underlying: info.id,
      spot: snapshot.underlyings[info.id]!.spot,
      source: info.source,
      beta: info.beta,
      netNotional: notional[u]!,
      esContribution: tail.reduce((a, t) => a + lossU[u]![t]!, 0) / tail.length,
      standaloneVar: historicalVarEs(lossU[u]!, config.confidence).valueAtRisk,
      liquidityThreshold: threshold,
      liquidityAddOn: config.liquidity.rate * Math.max(0, net - threshold),
    };
  });
  const liquidityAddOn = underlyings.reduce((a, u) => a + u.liquidityAddOn, 0);
  const base = config.measure === 'es' ? expectedShortfall : valueAtRisk;
  const initialMargin = Math.max(0, base) + liquidityAddOn;
  return {
    config: config.name,
    model: 'var',
    currency: 'quote',
    equity,
    source: history.source ?? null,
    observations: n,
    confidence: config.confidence,
    horizonDays: config.horizonDays,
    measure: config.measure,
    valueAtRisk,
    expectedShortfall,
    tailCount: tail.length,
    worstLoss: losses[worst]!,
    worstLabel: history.labels ? history.labels[start + worst]! : null,
    underlyings,
    liquidityAddOn,
    initialMargin,
    maintenanceMargin: config.maintenanceFraction * initialMargin,
  };
}
