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
 * terms). The engine's trigger (equity < MM at the mark, MM on the mark notional)
 * gives the root of  margin + size·(P − EP) = size·P·MMR − deduction  instead,
 * EP·(1 − 1/leverage)/(1 − MMR) for a long: the two differ by the MM on the price
 * move, size·|EP − LP|·MMR (EP 10, 5×, MMR 1%: Bybit 8.1, engine 8.0808…). The
 * calculator reports both (venueFormula) and docs/presets.md lists the engine
 * feature that would close the gap.
 */
import type { EngineConfigInput } from '../engine/config.ts';
import { usdmMarket } from './binance-usdm.ts';
import { add, cmp, div, mul, type Rational, sub, ZERO } from './rational.ts';
import type { ClosedFormResult, LinearPositionInput, VenuePreset } from './types.ts';

export interface BybitIsolatedInput {
  readonly side: 1 | -1;
  readonly entryPrice: Rational;
  readonly size: Rational;
  readonly leverage: Rational;
  readonly maintenanceMarginRate: Rational;
  readonly mmDeduction?: Rational;
  readonly extraMargin?: Rational;
}

/** Bybit's published isolated liquidation price (module header), exactly; null when ≤ 0. */
export function bybitIsolatedLiquidationPrice(i: BybitIsolatedInput): Rational | null {
  const im = div(mul(i.size, i.entryPrice), i.leverage);
  const mm = sub(mul(mul(i.size, i.entryPrice), i.maintenanceMarginRate), i.mmDeduction ?? ZERO);
  const shift = div(add(sub(im, mm), i.extraMargin ?? ZERO), i.size);
  const lp = i.side === 1 ? sub(i.entryPrice, shift) : add(i.entryPrice, shift);
  return cmp(lp, ZERO) > 0 ? lp : null;
}

/**
 * The same formula on the calculator's input: the scope's margin (isolated
 * margin = IM + extra margin) against MM at the entry notional.
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
          {
            tickSize: '0.1',
          },
        ),
        takerFee: '0.00055',
        makerFee: '0.0002',
      },
    ],
  };
}

export const bybitUsdt: VenuePreset = {
  id: 'bybit-usdt',
  name: 'Bybit USDT perpetuals',
  kind: 'perpetuals',
  summary:
    'Risk-limit tiers with maintenance-margin deduction (Binance’s shape); Bybit’s published isolated LP takes IM and MM at the entry price.',
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
  engineGaps: [
    {
      rule: 'Bybit’s published liquidation price uses the maintenance margin of the entry notional (and the initial margin at entry), not of the mark notional.',
      implementedBy: 'bybitIsolatedLiquidationPrice, bybitLiquidationPriceFromMargin',
      engineNeeds:
        'a margin-model option "maintenance on entry notional" (MM = |entry value| × MMR − deduction) so that the trigger and Bybit’s LP coincide',
    },
  ],
  closedForm: bybitLiquidationPriceFromMargin,
};
