/**
 * Bybit inverse perpetuals: BTCUSD, 1 contract = 1 USD, margin and PnL in BTC. Bybit takes IM and
 * MM on the position value at the *entry* price ("Liquidation Price Calculation under Isolated
 * Mode", inverse section):
 *
 *     long:  LP = Q / (PV + (IM − MM))      short: LP = Q / (PV − (IM − MM))
 *     PV = Q / EP,  IM = PV / leverage,  MM = PV × MMR − deduction
 *
 * The preset's market sets `requirementOn: 'entry'`, so the engine's trigger (equity < MM) is the
 * root of  margin + side·Q·(1/EP − 1/P) = PV·MMR − deduction,  which is Bybit's LP. Bybit's cross
 * mode adds the taker fee to close at the bankruptcy price to MM; the market's
 * `closeFeeInMaintenance` makes the engine do so (account/close-fee.ts), checked against Bybit's
 * cross example and the test reference core/reference/bybit-inverse.ts.
 */
import type { EngineConfigInput } from '../model/engine-config.ts';
import { bracketsModel } from './binance-usdm.ts';
import { inverseLiquidationPriceOnEntry } from './inverse-formula.ts';
import type { VenuePreset } from './types.ts';

/** BTCUSD's first risk-limit tier: MMR 0.5% (Bybit's stated minimum for BTC), IM 1% (100×). */
export function bybitInverseConfig(): EngineConfigInput {
  return {
    settlementAsset: 'BTC',
    assets: [{ id: 'BTC', decimals: 8 }],
    markets: [
      {
        id: 'BTCUSD',
        kind: 'perpetual',
        base: 'BTC',
        contractType: 'inverse',
        contractValue: '1',
        stepSize: '1',
        contractSize: '1',
        tickSize: '0.5',
        margin: bracketsModel([{ maintenanceMarginRate: '0.005', maxLeverage: 100, maintenanceAmount: '0' }]),
        takerFee: '0.00075',
        makerFee: '0',
        requirementOn: 'entry',
        // Cross MM adds the taker fee to close at the bankruptcy price (Bybit's cross example).
        closeFeeInMaintenance: true,
        maxPositionSize: '1000000000',
      },
    ],
    liquidation: { dustNotional: '0.0001' },
  };
}

export const bybitInverse: VenuePreset = {
  id: 'bybit-inverse',
  name: 'Bybit inverse perpetuals',
  kind: 'perpetuals',
  summary:
    'Inverse BTCUSD (1 contract = 1 USD), margin and PnL in BTC; IM and MM on the entry position value (requirementOn: entry), so the engine’s trigger is Bybit’s published inverse LP.',
  formula:
    'long LP = Q / (PV + (IM − MM)), short LP = Q / (PV − (IM − MM)), PV = Q / EP, IM = PV / leverage, MM = PV·MMR − deduction',
  sources: [
    {
      title:
        'Bybit: Liquidation Price Calculation under Isolated Mode (Unified Trading Account), inverse contracts',
      url: 'https://www.bybit.com/en/help-center/article/Liquidation-Price-Calculation-under-Isolated-Mode-Unified-Trading-Account',
    },
    {
      title: 'Bybit: How to calculate Liquidation Price (Inverse Contract)',
      url: 'https://help.bybit.com/hc/en-us/articles/360039261334-How-to-calculate-Liquidation-Price-Inverse-Contract-',
    },
  ],
  config: bybitInverseConfig,
  engineGaps: [],
  inverseClosedForm: inverseLiquidationPriceOnEntry,
};
