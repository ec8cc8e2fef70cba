/**
 * Drift protocol-v2's ratio grid: a market's margin ratios and PnL weights at Drift's 1e-4
 * precision (MARGIN_PRECISION, SPOT_MARKET_WEIGHT_PRECISION) and IMF factors at 1e-6, read from
 * the engine's ppm configuration, and the check that a configuration lies on that grid (the
 * `drift-v2` margin arithmetic, account/drift-arithmetic.ts, needs every conversion exact).
 */
import type { AssetConfig, MarketConfig } from './config.ts';

const MARGIN = 10_000n;
const PPM_PER_1E4 = 100n;

/** A market's parameters on Drift's grid. */
export interface DriftMarketParams {
  readonly initial1e4: bigint;
  readonly maintenance1e4: bigint;
  readonly imf1e6: bigint;
  readonly pnlInitial1e4: bigint;
  readonly pnlMaintenance1e4: bigint;
  readonly pnlImf1e6: bigint;
}

const marketCache = new WeakMap<MarketConfig, DriftMarketParams>();

/** The market's ratios on the 1e-4 grid (validated on it: see driftConfigIssue). */
export function driftMarketParams(config: MarketConfig): DriftMarketParams {
  const hit = marketCache.get(config);
  if (hit) return hit;
  const m = config.margin;
  let initial = 0n;
  let maintenance = 0n;
  let imf = 0n;
  if (m.kind === 'sqrtSize' || m.kind === 'fixed') {
    initial = m.initialRatio;
    maintenance =
      'ratio' in m.maintenance
        ? m.maintenance.ratio
        : (initial * m.maintenance.fractionOfInitial) / 1_000_000n;
    imf = m.kind === 'sqrtSize' ? m.imfFactor : 0n;
  }
  const w = config.unrealizedPnlWeight;
  const params: DriftMarketParams = {
    initial1e4: initial / PPM_PER_1E4,
    maintenance1e4: maintenance / PPM_PER_1E4,
    imf1e6: imf,
    pnlInitial1e4: w ? w.initial / PPM_PER_1E4 : MARGIN,
    pnlMaintenance1e4: w ? w.maintenance / PPM_PER_1E4 : MARGIN,
    pnlImf1e6: w ? w.imfFactor : 0n,
  };
  marketCache.set(config, params);
  return params;
}

/**
 * What keeps a configuration off Drift's grid, or undefined: every margin ratio, asset weight and
 * PnL weight a multiple of 0.0001, perp margins `sqrtSize` or `fixed`, settlement at 6 decimals.
 */
export function driftConfigIssue(
  settlementDecimals: number,
  markets: readonly MarketConfig[],
  assets: readonly AssetConfig[],
): string | undefined {
  if (settlementDecimals !== 6) return 'drift-v2 arithmetic needs a settlement asset with 6 decimals';
  const onGrid = (v: bigint) => v % PPM_PER_1E4 === 0n;
  for (const m of markets) {
    const g = m.margin;
    // Drift lists linear (USDC-margined) perpetuals only; its arithmetic has no inverse valuation.
    if (m.contractType === 'inverse') return `market ${m.id}: drift-v2 arithmetic has no inverse markets`;
    if (g.kind !== 'sqrtSize' && g.kind !== 'fixed')
      return `market ${m.id}: drift-v2 arithmetic needs a sqrtSize or fixed margin, not ${g.kind}`;
    const p = driftMarketParams(m);
    const exact =
      onGrid(g.initialRatio) &&
      p.maintenance1e4 * PPM_PER_1E4 ===
        ('ratio' in g.maintenance
          ? g.maintenance.ratio
          : (g.initialRatio * g.maintenance.fractionOfInitial) / 1_000_000n) &&
      (m.unrealizedPnlWeight === undefined ||
        (onGrid(m.unrealizedPnlWeight.initial) && onGrid(m.unrealizedPnlWeight.maintenance)));
    if (!exact) return `market ${m.id}: drift-v2 arithmetic needs ratios and weights on the 0.0001 grid`;
  }
  for (const a of assets) {
    // Drift's integer passes (account/drift-arithmetic.ts) do not read bank totals: refuse, not ignore.
    if (a.initWeightScaling !== undefined)
      return `asset ${a.id}: initWeightScaling (Mango's) is not part of the drift-v2 arithmetic`;
    if (!onGrid(a.initialWeight) || !onGrid(a.maintenanceWeight))
      return `asset ${a.id}: drift-v2 arithmetic needs weights on the 0.0001 grid`;
    if (a.liabilityWeight && !(onGrid(a.liabilityWeight.initial) && onGrid(a.liabilityWeight.maintenance)))
      return `asset ${a.id}: drift-v2 arithmetic needs liability weights on the 0.0001 grid`;
  }
  return undefined;
}

/**
 * What keeps markets and assets from the engine's margin arithmetic, or undefined: under
 * `drift-v2`, Drift's grid (driftConfigIssue); otherwise no market may ask for Drift's PnL weights.
 */
export function marginArithmeticIssue(
  arithmetic: 'engine' | 'drift-v2' | undefined,
  settlementDecimals: number,
  markets: readonly MarketConfig[],
  assets: readonly AssetConfig[],
): string | undefined {
  if (arithmetic === 'drift-v2') return driftConfigIssue(settlementDecimals, markets, assets);
  const weighted = markets.find((m) => m.unrealizedPnlWeight !== undefined);
  return weighted && `market ${weighted.id}: unrealizedPnlWeight needs marginArithmetic 'drift-v2'`;
}
