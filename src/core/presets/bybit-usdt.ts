/**
 * Bybit USDT perpetuals: the same shape as Binance USDⓈ-M — risk-limit tiers
 * with a maintenance margin rate and a maintenance-margin deduction (MM =
 * position value × MMR − deduction, continuous across tiers) — so the engine
 * configuration is the `brackets` model again.
 *
 * Bybit publishes its isolated-margin liquidation price with the margins taken
 * at the *entry* price ("Liquidation Price Calculation under Isolated Mode"):
 *
 *     long:  LP = EP − (IM − MM) / size − extraMargin / size
 *     short: LP = EP + (IM − MM) / size + extraMargin / size
 *     IM = size × EP / leverage,  MM = size × EP × MMR − deduction
 *
 * i.e. long LP = EP × (1 − 1/leverage + MMR) (+ deduction and extra margin
 * terms). The preset's markets set `requirementOn: 'entry'`, so the engine takes
 * IM, MM and the risk-limit tier on |entry value| too: its trigger (equity < MM)
 * is the root of  margin + size·(P − EP) = size·EP·MMR − deduction,  which is
 * Bybit's LP (EP 10, 5×, MMR 1%: 8.1 for both). The engine's price is the highest
 * (long) / lowest (short) 1e-8 step where the exact figures say liquidatable, so it
 * sits within 1e-8 of the formula (position values round down). The calculator
 * shows both (venueFormula, bybitLiquidationPriceFromMargin).
 */
import type { EngineConfigInput } from '../model/engine-config.ts';
import { usdmMarket } from './binance-usdm.ts';
import { add, cmp, div, mul, sub, ZERO } from './rational.ts';
import type { ClosedFormResult, LinearPositionInput, VenuePreset } from './types.ts';

/**
 * Bybit's published isolated liquidation price (module header), exactly, on the
 * calculator's input: the scope's margin (isolated margin = IM + extra margin)
 * against MM at the entry notional. The formula on Bybit's own inputs (entry price,
 * leverage, MMR), the tests' reference, is bybitIsolatedLiquidationPrice in
 * reference/bybit-usdt.ts.
 */
export function bybitLiquidationPriceFromMargin(p: LinearPositionInput): ClosedFormResult {
  const entryNotional = mul(p.size, p.entryPrice);
  let b = p.ladder.findIndex((s) => s.cap === null || cmp(entryNotional, s.cap) < 0);
  if (b < 0) b = p.ladder.length - 1;
  const step = p.ladder[b]!;
  const mm = sub(mul(entryNotional, step.mmr), step.amount);
  const margin = add(sub(p.walletBalance, p.otherMaintenance), p.otherUnrealizedPnl);
  const shift = div(sub(margin, mm), p.size);
  const lp = p.side === 1 ? sub(p.entryPrice, shift) : add(p.entryPrice, shift);
  return { price: cmp(lp, ZERO) > 0 ? lp : null, bracket: b };
}

/** BTCUSDT first risk-limit tier: MMR 0.5% (Bybit's stated minimum for BTC), IM 1% (100×). */
export function bybitUsdtConfig(): EngineConfigInput {
  return {
    settlementAsset: 'USDT',
    assets: [{ id: 'USDT', decimals: 8 }],
    markets: [
      {
        ...usdmMarket(
          'BTCUSDT',
          'BTC',
          [{ maintenanceMarginRate: '0.005', maxLeverage: 100, maintenanceAmount: '0' }],
          // instruments-info BTCUSDT: tickSize 0.10, qtyStep = minOrderQty 0.001. Bybit's price
          // limit (riskParameters X/Y around the index and mark) is not the one-sided band.
          { tickSize: '0.1', minSize: '0.001', priceBand: null },
        ),
        takerFee: '0.00055',
        makerFee: '0.0002',
        // Bybit takes IM and MM (and the tier) on the entry notional.
        requirementOn: 'entry',
      },
    ],
  };
}

export const bybitUsdt: VenuePreset = {
  id: 'bybit-usdt',
  name: 'Bybit USDT perpetuals',
  kind: 'perpetuals',
  summary:
    'Risk-limit tiers with maintenance-margin deduction (Binance’s shape); IM and MM on the entry notional (requirementOn: entry), so the engine’s trigger is Bybit’s published isolated LP.',
  formula:
    'isolated long LP = EP − (IM − MM)/size − extra/size, short LP = EP + (IM − MM)/size + extra/size, IM = size·EP/leverage, MM = size·EP·MMR − deduction',
  sources: [
    {
      title: 'Bybit: Liquidation Price Calculation under Isolated Mode (Unified Trading Account)',
      url: 'https://www.bybit.com/en/help-center/article/Liquidation-Price-Calculation-under-Isolated-Mode-Unified-Trading-Account',
    },
    {
      title:
        'freqtrade test_get_liquidation_price (Bybit isolated cases; test/vectors/cex_liquidation_price.json)',
      url: 'https://github.com/freqtrade/freqtrade',
    },
  ],
  config: bybitUsdtConfig,
  engineGaps: [],
  closedForm: bybitLiquidationPriceFromMargin,
};
