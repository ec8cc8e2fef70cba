/**
 * Binance USDⓈ-M perpetuals.
 *
 * Margin: tiered notional brackets ("leverage brackets"). A position of notional
 * N in bracket b needs
 *
 *     MM = N × MMR_b − cum_b          IM = N / maxLeverage_b (or the user's leverage)
 *
 * where the maintenance amount cum_b = cum_{b−1} + floor_b × (MMR_b − MMR_{b−1})
 * makes MM continuous (Plimsoll's `brackets` margin model, margin/brackets.ts).
 *
 * Liquidation price, one-way mode, as Binance publishes it ("How to Calculate
 * Liquidation Price of USDⓈ-M Futures Contracts"):
 *
 *     LP₁ = (WB − TMM₁ + UPNL₁ + cumB − Side₁ × Position₁ × EP₁) / (Position₁ × MMR_B − Side₁ × Position₁)
 *
 * WB the cross wallet balance (isolated: the isolated wallet balance, and
 * TMM₁ = UPNL₁ = 0); TMM₁ / UPNL₁ the maintenance margin / unrealized PnL of
 * every *other* cross position; Side₁ = +1 long, −1 short; MMR_B and cumB those
 * of the bracket that holds the position *at the liquidation price* ("if your
 * position calculated at the liquidation price and at the opening price are in
 * different levels, substitute the rate and amount of the level at the
 * liquidation price"). It is the root of equity = MM with everything else held
 * fixed — exactly the engine's trigger (equity < MM), which is why the engine
 * reproduces Binance's published numbers (preset tests) and why the calculator
 * cross-checks the two.
 */

import type { MarginModelConfigInput, MarketConfigInput } from '../model/config.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import { add, cmp, div, mul, rat, sub, ZERO } from './rational.ts';
import type { ClosedFormResult, LinearPositionInput, VenuePreset } from './types.ts';

/** One row of a published leverage-bracket table (quote amounts and ratios as decimal strings). */
export interface BracketRow {
  /** Exclusive upper notional bound (quote); omit for the last row. */
  readonly notionalCap?: string;
  readonly maintenanceMarginRate: string;
  readonly maxLeverage: number;
  /** Published maintenance amount ("cum"); checked for continuity by the engine. */
  readonly maintenanceAmount: string;
}

/**
 * 1 / maxLeverage as a ppm ratio string, rounded up (the initial requirement is
 * never understated): 3× → "0.333334".
 */
export function initialRatioForLeverage(maxLeverage: number): string {
  if (!Number.isInteger(maxLeverage) || maxLeverage < 1 || maxLeverage > 1_000_000)
    throw new RangeError(`maxLeverage must be an integer in [1, 1e6], got ${maxLeverage}`);
  const ppm = (1_000_000n + BigInt(maxLeverage) - 1n) / BigInt(maxLeverage);
  const s = ppm.toString().padStart(7, '0');
  return `${s.slice(0, -6)}.${s.slice(-6)}`;
}

/** A published bracket table as Plimsoll's `brackets` margin model. */
export function bracketsModel(rows: readonly BracketRow[]): MarginModelConfigInput {
  return {
    kind: 'brackets',
    brackets: rows.map((r) => ({
      ...(r.notionalCap === undefined ? {} : { notionalCap: r.notionalCap }),
      maintenanceRatio: r.maintenanceMarginRate,
      initialRatio: initialRatioForLeverage(r.maxLeverage),
      maintenanceAmount: r.maintenanceAmount,
    })),
  };
}

/**
 * BTCUSDT brackets as captured in freqtrade's Binance test fixtures
 * (test/vectors/binance_usdm_btcusdt_brackets.json; the last bracket, capped at
 * 1,000,000,000 there, is open-ended here).
 */
export const BTCUSDT_BRACKETS: readonly BracketRow[] = [
  { notionalCap: '50000', maintenanceMarginRate: '0.004', maxLeverage: 125, maintenanceAmount: '0' },
  { notionalCap: '250000', maintenanceMarginRate: '0.005', maxLeverage: 100, maintenanceAmount: '50' },
  { notionalCap: '1000000', maintenanceMarginRate: '0.01', maxLeverage: 50, maintenanceAmount: '1300' },
  { notionalCap: '7500000', maintenanceMarginRate: '0.025', maxLeverage: 20, maintenanceAmount: '16300' },
  { notionalCap: '40000000', maintenanceMarginRate: '0.05', maxLeverage: 10, maintenanceAmount: '203800' },
  { notionalCap: '100000000', maintenanceMarginRate: '0.1', maxLeverage: 5, maintenanceAmount: '2203800' },
  { notionalCap: '200000000', maintenanceMarginRate: '0.125', maxLeverage: 4, maintenanceAmount: '4703800' },
  { notionalCap: '400000000', maintenanceMarginRate: '0.15', maxLeverage: 3, maintenanceAmount: '9703800' },
  { notionalCap: '600000000', maintenanceMarginRate: '0.25', maxLeverage: 2, maintenanceAmount: '49703800' },
  { maintenanceMarginRate: '0.5', maxLeverage: 1, maintenanceAmount: '199703800' },
];

/**
 * ETHUSDT brackets of Binance's published worked example (the example's ETH
 * position sits in the 10% bracket with maintenance amount 135,365 USDT,
 * test/vectors/binance_usdm_worked_example.json). The lower rows are the 2020
 * ETHUSDT ladder; their amounts follow from the recurrence and the engine checks
 * that they reproduce 135,365 exactly. Load the live table for production use.
 */
export const ETHUSDT_BRACKETS: readonly BracketRow[] = [
  { notionalCap: '10000', maintenanceMarginRate: '0.005', maxLeverage: 100, maintenanceAmount: '0' },
  { notionalCap: '100000', maintenanceMarginRate: '0.0065', maxLeverage: 75, maintenanceAmount: '15' },
  { notionalCap: '500000', maintenanceMarginRate: '0.01', maxLeverage: 50, maintenanceAmount: '365' },
  { notionalCap: '1000000', maintenanceMarginRate: '0.02', maxLeverage: 25, maintenanceAmount: '5365' },
  { notionalCap: '2000000', maintenanceMarginRate: '0.05', maxLeverage: 10, maintenanceAmount: '35365' },
  { notionalCap: '5000000', maintenanceMarginRate: '0.1', maxLeverage: 5, maintenanceAmount: '135365' },
  { notionalCap: '10000000', maintenanceMarginRate: '0.125', maxLeverage: 4, maintenanceAmount: '260365' },
  { notionalCap: '20000000', maintenanceMarginRate: '0.15', maxLeverage: 3, maintenanceAmount: '510365' },
  { maintenanceMarginRate: '0.25', maxLeverage: 2, maintenanceAmount: '2510365' },
];

/**
 * A USDⓈ-M perpetual on a bracket table (VIP 0 fees: taker 0.05%, maker 0.02%). Order filters
 * default to BTCUSDT's and ETHUSDT's in `/fapi/v1/exchangeInfo`: LOT_SIZE stepSize = minQty =
 * 0.001, PERCENT_PRICE multiplierUp 1.0500 / multiplierDown 0.9500 (on the mark price).
 */
export function usdmMarket(
  id: string,
  base: string,
  rows: readonly BracketRow[],
  opts: {
    stepSize?: string;
    tickSize?: string;
    minSize?: string;
    /** null: no band (another venue's market built on this shape). */
    priceBand?: { up: string; down: string } | null;
  } = {},
): MarketConfigInput {
  const band = opts.priceBand === undefined ? { up: '0.05', down: '0.05' } : opts.priceBand;
  return {
    id,
    kind: 'perpetual',
    base,
    stepSize: opts.stepSize ?? '0.001',
    minSize: opts.minSize ?? opts.stepSize ?? '0.001',
    ...(band === null ? {} : { priceBand: band }),
    tickSize: opts.tickSize ?? '0.01',
    margin: bracketsModel(rows),
    takerFee: '0.0005',
    makerFee: '0.0002',
  };
}

/**
 * Binance's one-way-mode liquidation price (module header), evaluated exactly:
 * tries each bracket's MMR and cum and keeps the one whose notional range holds
 * the resulting price (Binance's "substitute the level at the liquidation price").
 *
 * @returns the price (null when ≤ 0, shown by Binance as "--", or when no bracket is consistent) and the bracket used
 * @example binanceLiquidationPrice({ side: 1, size: ratOf('109.488'), entryPrice: ratOf('32481.98'), … }) // ≈ 26316.89
 */
export function binanceLiquidationPrice(p: LinearPositionInput): ClosedFormResult {
  const side = rat(BigInt(p.side));
  const base = add(sub(p.walletBalance, p.otherMaintenance), p.otherUnrealizedPnl);
  const sideSizeEp = mul(mul(side, p.size), p.entryPrice);
  for (let b = 0; b < p.ladder.length; b++) {
    const step = p.ladder[b]!;
    const numerator = sub(add(base, step.amount), sideSizeEp);
    const denominator = sub(mul(p.size, step.mmr), mul(side, p.size));
    if (denominator.n === 0n) continue;
    const lp = div(numerator, denominator);
    if (cmp(lp, ZERO) <= 0) {
      if (b === 0) return { price: null, bracket: 0 };
      continue;
    }
    const notional = mul(p.size, lp);
    if (cmp(notional, step.floor) >= 0 && (step.cap === null || cmp(notional, step.cap) < 0))
      return { price: lp, bracket: b };
  }
  return { price: null, bracket: -1 };
}

export function binanceUsdmConfig(): EngineConfigInput {
  return {
    settlementAsset: 'USDT',
    assets: [{ id: 'USDT', decimals: 8 }],
    markets: [
      usdmMarket('BTCUSDT', 'BTC', BTCUSDT_BRACKETS, { tickSize: '0.1' }),
      usdmMarket('ETHUSDT', 'ETH', ETHUSDT_BRACKETS),
    ],
    // Binance clearance: the positions close at their bankruptcy prices, the margin left to the fund;
    // a cross account's positions all close in the one step (whole-scope clearance). Binance's
    // per-symbol clearance fee (`clearanceFeeByMarket`) is not published as a schedule: load it.
    liquidation: { penalty: { kind: 'to_bankruptcy', closeAll: true } },
  };
}

export const binanceUsdm: VenuePreset = {
  id: 'binance-usdm',
  name: 'Binance USDⓈ-M perpetuals',
  kind: 'perpetuals',
  summary:
    'Notional brackets with maintenance amounts (MM = notional × MMR − cum), cross and isolated, USDT settlement; liquidation when margin balance falls to MM.',
  formula:
    'LP = (WB − TMM₁ + UPNL₁ + cumB − side·size·EP) / (size·MMR_B − side·size), with MMR_B and cumB of the bracket at the liquidation price; isolated: WB = isolated wallet balance, TMM₁ = UPNL₁ = 0',
  sources: [
    {
      title: 'Binance: How to Calculate Liquidation Price of USDⓈ-M Futures Contracts',
      url: 'https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93',
    },
    {
      title:
        'freqtrade test_liquidation_price / test_liquidation_price_binance (Binance worked example numbers)',
      url: 'https://github.com/freqtrade/freqtrade',
    },
  ],
  config: binanceUsdmConfig,
  engineGaps: [
    {
      rule: 'Binance charges a liquidation clearance fee and sends what is left of the margin at the bankruptcy price to its insurance fund; the fee schedule is per symbol and not published as a formula.',
      implementedBy:
        "— (executed by the engine: the preset sets `penalty: { kind: 'to_bankruptcy', closeAll: true }`; a per-symbol clearance fee is `clearanceFeeByMarket`)",
      engineNeeds: "— (the fee levels themselves: Binance's schedule is per symbol and must be loaded)",
    },
  ],
  closedForm: binanceLiquidationPrice,
};
