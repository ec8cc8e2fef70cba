/**
 * Binance COIN-M perpetuals: inverse contracts margined in the base coin (BTCUSD: 1 contract =
 * 100 USD, PnL and margin in BTC), on a leverage-bracket table whose notional is in coin.
 *
 *     notional = contracts × 100 / mark  (BTC)     MM = notional × MMR_b − cum_b
 *
 * Liquidation price, one-way mode ("How to Calculate Liquidation Price of COIN-M Futures
 * Contracts"):
 *
 *     LP = (B × MMR_B + Side × B) / ((WB + cumB) / CM + Side × B / EP)
 *
 * B the position in contracts, CM the contract size (100 USD), WB the cross wallet balance in BTC
 * (isolated: the isolated wallet balance, TMM₁ = UPNL₁ = 0), the bracket the one holding the
 * notional at the liquidation price. It is the root of equity = MM on the mark notional, the
 * engine's trigger, so the engine reproduces it (preset tests, test/vectors/binance_coinm_*.json).
 */
import type { EngineConfigInput } from '../model/engine-config.ts';
import { type BracketRow, bracketsModel } from './binance-usdm.ts';
import { inverseLiquidationPriceOnMark } from './inverse-formula.ts';
import type { VenuePreset } from './types.ts';

/**
 * BTCUSD brackets (notional in BTC). Caps and leverages: Binance's "Leverage and Margin in
 * Coin-Margined Futures Contracts" (5, 10, 20, 50, 100, 200, 400, 1,000 BTC; 125× … 2×). The
 * maintenance rates: 0.4% on the first level and 12.5% for a 300 BTC position as the liquidation
 * help page states, the others Binance's usual ladder (half the initial rate); with them the
 * recurrence cum_n = floor_n × (MMR_n − MMR_{n−1}) + cum_{n−1} gives the page's "300 BTC →
 * maintenance amount 11.605 BTC" (the engine checks the recurrence). Load the live table
 * (GET /dapi/v1/leverageBracket) for production use.
 */
export const BTCUSD_COINM_BRACKETS: readonly BracketRow[] = [
  { notionalCap: '5', maintenanceMarginRate: '0.004', maxLeverage: 125, maintenanceAmount: '0' },
  { notionalCap: '10', maintenanceMarginRate: '0.005', maxLeverage: 100, maintenanceAmount: '0.005' },
  { notionalCap: '20', maintenanceMarginRate: '0.01', maxLeverage: 50, maintenanceAmount: '0.055' },
  { notionalCap: '50', maintenanceMarginRate: '0.025', maxLeverage: 20, maintenanceAmount: '0.355' },
  { notionalCap: '100', maintenanceMarginRate: '0.05', maxLeverage: 10, maintenanceAmount: '1.605' },
  { notionalCap: '200', maintenanceMarginRate: '0.1', maxLeverage: 5, maintenanceAmount: '6.605' },
  { notionalCap: '400', maintenanceMarginRate: '0.125', maxLeverage: 4, maintenanceAmount: '11.605' },
  { notionalCap: '1000', maintenanceMarginRate: '0.15', maxLeverage: 3, maintenanceAmount: '21.605' },
  { maintenanceMarginRate: '0.25', maxLeverage: 2, maintenanceAmount: '121.605' },
];

export function binanceCoinmConfig(): EngineConfigInput {
  return {
    settlementAsset: 'BTC',
    assets: [{ id: 'BTC', decimals: 8 }],
    markets: [
      {
        id: 'BTCUSD_PERP',
        kind: 'perpetual',
        base: 'BTC',
        contractType: 'inverse',
        contractValue: '100',
        stepSize: '1',
        contractSize: '1',
        tickSize: '0.1',
        margin: bracketsModel(BTCUSD_COINM_BRACKETS),
        takerFee: '0.0005',
        makerFee: '0.0001',
        maxPositionSize: '100000000',
      },
    ],
    // Binance clearance: the position closes at its bankruptcy price, the margin left to the fund.
    liquidation: { penalty: { kind: 'to_bankruptcy' }, dustNotional: '0.0001' },
  };
}

export const binanceCoinm: VenuePreset = {
  id: 'binance-coinm',
  name: 'Binance COIN-M perpetuals (inverse)',
  kind: 'perpetuals',
  summary:
    'Inverse BTCUSD (1 contract = 100 USD), margin and PnL in BTC; notional brackets in BTC with maintenance amounts (MM = notional × MMR − cum) on the mark notional; cross and isolated.',
  formula:
    'LP = (B·MMR_B + side·B) / ((WB + cumB)/CM + side·B/EP), B contracts, CM = 100 USD per contract, MMR_B and cumB of the bracket at the liquidation price; isolated: WB = isolated wallet balance',
  sources: [
    {
      title: 'Binance: How to Calculate Liquidation Price of COIN-M Futures Contracts',
      url: 'https://www.binance.com/en/support/faq/ceccfcfb4e3a45e3b48b0b1bb1a8ae46',
    },
    {
      title: 'Binance: Leverage and Margin in Coin-Margined Futures Contracts',
      url: 'https://www.binance.com/en/support/faq/be2c7d9d95b04a7e8044ed02dd7dfe5c',
    },
  ],
  config: binanceCoinmConfig,
  engineGaps: [
    {
      rule: 'Binance charges a liquidation clearance fee out of the margin left at the bankruptcy price; the fee schedule is per symbol and not published as a formula.',
      implementedBy:
        "— (the engine sends all of the remaining margin to the fund: `penalty: { kind: 'to_bankruptcy' }`)",
      engineNeeds: 'a clearance-fee split of the remaining margin',
    },
  ],
  inverseClosedForm: inverseLiquidationPriceOnMark,
};
