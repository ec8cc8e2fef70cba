/**
 * Hyperliquid perpetuals (USDC), as its docs publish them ("Margining",
 * "Margin tiers", "Liquidations").
 *
 * Margin tiers: maintenance_margin = notional × maintenance_margin_rate −
 * maintenance_deduction, with maintenance_margin_rate(tier) = (initial margin rate
 * at the tier's max leverage) / 2 — "half the initial margin at maximum
 * leverage" — and deduction(n) = deduction(n−1) + lower_bound(n) × (rate(n) −
 * rate(n−1)): Binance's bracket recurrence, so Plimsoll's `brackets` model
 * expresses it exactly. IM = notional / leverage (the user's leverage, ≤ the
 * tier's max).
 *
 * Liquidation: when account equity < maintenance margin. The published
 * liquidation price:
 *
 *     liq_price = price − side × margin_available / position_size / (1 − l × side)
 *
 * with l = 1 / MAINTENANCE_LEVERAGE (= the maintenance rate), margin_available =
 * account_value − maintenance_margin_required (cross) or isolated_margin −
 * maintenance_margin_required (isolated). It is the root of equity = MM (the
 * deduction cancels), i.e. the engine's trigger, while the tier at the mark is
 * the tier at the liquidation price.
 *
 * Liquidation process: positions larger than 100,000 USDC (10,000 on testnet)
 * are sent to the book 20% at a time; after a partial liquidation a 30-second
 * cooldown makes every market liquidation order for that user cover the entire
 * position; below 2/3 of the maintenance margin a backstop liquidation transfers
 * the positions (and, cross, the collateral) to the liquidator vault. The
 * preset's policy executes this (fraction sizing with a cooldown, backstop
 * share); Hyperliquid's rule as the docs state it, the tests' reference, is
 * hyperliquidLiquidationOrder in reference/hyperliquid.ts.
 */

import type { MarginModelConfigInput, MarketConfigInput } from '../model/config.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import { formatDecimal } from '../num/index.ts';
import { add, cmp, div, mul, type Rational, rat, sub, ZERO } from './rational.ts';
import type { ClosedFormResult, LinearPositionInput, VenuePreset } from './types.ts';

/** One tier of a margin table: from `lowerBound` (USDC notional) up, at most `maxLeverage`. */
export interface MarginTier {
  readonly lowerBound: string;
  readonly maxLeverage: number;
}

/** Mainnet margin tables of the docs' "Margin tiers" page. */
export const HYPERLIQUID_MARGIN_TABLES: Readonly<Record<string, readonly MarginTier[]>> = {
  BTC: [
    { lowerBound: '0', maxLeverage: 40 },
    { lowerBound: '150000000', maxLeverage: 20 },
  ],
  ETH: [
    { lowerBound: '0', maxLeverage: 25 },
    { lowerBound: '100000000', maxLeverage: 15 },
  ],
  SOL: [
    { lowerBound: '0', maxLeverage: 20 },
    { lowerBound: '70000000', maxLeverage: 10 },
  ],
};

/** maintenance rate = 1 / (2 × max leverage), exact. */
export function hyperliquidMaintenanceRate(maxLeverage: number): Rational {
  if (!Number.isInteger(maxLeverage) || maxLeverage < 1)
    throw new RangeError('max leverage must be a positive integer');
  return rat(1n, 2n * BigInt(maxLeverage));
}

/** A rational as a ppm decimal string, rounded up (requirements are never understated). */
function ppmUp(r: Rational): string {
  const ppm = (r.n * 1_000_000n + r.d - 1n) / r.d;
  return formatDecimal(ppm, 6);
}

/** A margin table as Plimsoll's brackets model (rates rounded up to ppm; deductions derived by the engine). */
export function marginTableModel(tiers: readonly MarginTier[]): MarginModelConfigInput {
  return {
    kind: 'brackets',
    brackets: tiers.map((t, i) => ({
      ...(i + 1 < tiers.length ? { notionalCap: tiers[i + 1]!.lowerBound } : {}),
      maintenanceRatio: ppmUp(hyperliquidMaintenanceRate(t.maxLeverage)),
      initialRatio: ppmUp(rat(1n, BigInt(t.maxLeverage))),
    })),
  };
}

export function hyperliquidMarket(
  coin: string,
  tiers: readonly MarginTier[],
  stepSize: string,
): MarketConfigInput {
  return {
    id: coin,
    kind: 'perpetual',
    base: coin,
    stepSize,
    tickSize: '0.00000001',
    margin: marginTableModel(tiers),
    // Base fee tier: taker 0.045%, maker 0.015%.
    takerFee: '0.00045',
    makerFee: '0.00015',
  };
}

export function hyperliquidConfig(): EngineConfigInput {
  const t = HYPERLIQUID_MARGIN_TABLES;
  return {
    settlementAsset: 'USDC',
    assets: [{ id: 'USDC', decimals: 6 }],
    markets: [
      hyperliquidMarket('BTC', t.BTC!, '0.00001'),
      hyperliquidMarket('ETH', t.ETH!, '0.0001'),
      hyperliquidMarket('SOL', t.SOL!, '0.01'),
    ],
    // Liquidations go to the book with no clearance fee; the remaining collateral stays with the trader.
    // Positions above 100,000 USDC go 20% at a time, in full within 30 s of a partial step; below
    // 2/3 of MM the backstop vault takes the scope (2/3 in ppm rounds up to 0.666667: the backstop
    // fires at most 1e-6·MM earlier than the exact fraction).
    liquidation: {
      minPenalty: '0',
      maxPenalty: '0',
      target: 'maintenance_buffer',
      targetBuffer: '0.1',
      sizing: { kind: 'fraction', fraction: '0.2', aboveNotional: '100000', cooldownMs: 30_000 },
      backstopBelowMaintenanceShare: '0.666667',
    },
  };
}

/**
 * Hyperliquid's published liquidation price (module header), exactly, with the
 * tier at the current mark.
 *
 * @returns the price (null when ≤ 0) and the tier used
 */
export function hyperliquidLiquidationPrice(p: LinearPositionInput): ClosedFormResult {
  const side = rat(BigInt(p.side));
  const notional = mul(p.size, p.markPrice);
  let b = p.ladder.findIndex((s) => s.cap === null || cmp(notional, s.cap) < 0);
  if (b < 0) b = p.ladder.length - 1;
  const step = p.ladder[b]!;
  let mm = sub(mul(notional, step.mmr), step.amount);
  if (cmp(mm, ZERO) < 0) mm = ZERO;
  const pnl = mul(mul(side, p.size), sub(p.markPrice, p.entryPrice));
  const accountValue = add(add(p.walletBalance, p.otherUnrealizedPnl), pnl);
  const marginAvailable = sub(accountValue, add(p.otherMaintenance, mm));
  const l = step.mmr;
  const denominator = sub(rat(1n), mul(l, side));
  const liq = sub(p.markPrice, div(div(mul(side, marginAvailable), p.size), denominator));
  return { price: cmp(liq, ZERO) > 0 ? liq : null, bracket: b };
}

export const hyperliquid: VenuePreset = {
  id: 'hyperliquid',
  name: 'Hyperliquid perpetuals',
  kind: 'perpetuals',
  summary:
    'Maintenance = half the initial margin at max leverage, leverage tiers with maintenance deduction, cross and isolated; partial liquidation of 20% of large positions with a 30 s cooldown; backstop vault below 2/3 of maintenance.',
  formula:
    'liq_price = price − side·margin_available / position_size / (1 − l·side), l = 1/MAINTENANCE_LEVERAGE = 1/(2·max leverage), margin_available = account_value − maintenance_margin_required',
  sources: [
    {
      title: 'Hyperliquid docs: Liquidations',
      url: 'https://hyperliquid.gitbook.io/hyperliquid-docs/trading/liquidations',
    },
    {
      title: 'Hyperliquid docs: Margin tiers',
      url: 'https://hyperliquid.gitbook.io/hyperliquid-docs/trading/margin-tiers',
    },
    {
      title: 'Hyperliquid docs: Margining',
      url: 'https://hyperliquid.gitbook.io/hyperliquid-docs/trading/margining',
    },
  ],
  config: hyperliquidConfig,
  // The partial steps, the cooldown and the backstop are executed by the policy above (liquidation
  // sizing `fraction`, `backstopBelowMaintenanceShare`).
  engineGaps: [],
  closedForm: hyperliquidLiquidationPrice,
};
