/**
 * The demo venue: a BTC USDⓈ-M-like venue that the crash demo and the risk lab both
 * open their seeded populations on (population.ts).
 *
 * `demoVenueConfig()`: settlement USDC (6 dp); collateral USDC and BTC (BTC counts 90%
 * for initial and 95% for maintenance margin, with a Drift-style size haircut for very
 * large balances); one market, BTC-PERP, margined with Binance's published BTCUSDT
 * leverage brackets; Binance's VIP-0 futures fees (taker 0.05%, maker 0.02%); default
 * funding (8 h, 0.01% interest, ±0.05% clamp) and the engine's default liquidation
 * policy; a backstop vault as liquidator. Around it: the backstop vault's and the
 * treasury's accounts and the insurance fund's seed rate.
 */
import type { EngineConfigInput, SubaccountRef } from '../core/model/engine-config.ts';

export const SETTLEMENT = 'USDC';
export const MARKET = 'BTC-PERP';
export const BASE_ASSET = 'BTC';
export const USDC_DECIMALS = 6;
export const BTC_DECIMALS = 8;

/**
 * Binance USDⓈ-M BTCUSDT leverage brackets: notional cap (USDT), maintenance
 * margin rate, max leverage, maintenance amount ("cum").
 *
 * Source: test/vectors/binance_usdm_btcusdt_brackets.json — Binance's ladder as
 * captured in freqtrade's test fixtures (freqtrade/freqtrade
 * tests/exchange/test_binance.py::test_get_maintenance_ratio_and_amt_binance and
 * the `leverage_tiers` fixture in tests/conftest.py). The initial ratio is
 * 1 / max leverage (1/3 rounded up to 0.333334 so IM is never below a third);
 * the published maintenance amounts are passed along so the engine checks the
 * ladder's MM continuity against them. Binance caps the last bracket at 1e9;
 * here it is open-ended (the engine's last bracket has no cap).
 */
export const BINANCE_BTCUSDT_BRACKETS = [
  { notionalCap: '50000', maintenanceRatio: '0.004', initialRatio: '0.008', maintenanceAmount: '0' }, // 125×
  { notionalCap: '250000', maintenanceRatio: '0.005', initialRatio: '0.01', maintenanceAmount: '50' }, // 100×
  { notionalCap: '1000000', maintenanceRatio: '0.01', initialRatio: '0.02', maintenanceAmount: '1300' }, // 50×
  { notionalCap: '7500000', maintenanceRatio: '0.025', initialRatio: '0.05', maintenanceAmount: '16300' }, // 20×
  { notionalCap: '40000000', maintenanceRatio: '0.05', initialRatio: '0.1', maintenanceAmount: '203800' }, // 10×
  { notionalCap: '100000000', maintenanceRatio: '0.1', initialRatio: '0.2', maintenanceAmount: '2203800' }, // 5×
  { notionalCap: '200000000', maintenanceRatio: '0.125', initialRatio: '0.25', maintenanceAmount: '4703800' }, // 4×
  {
    notionalCap: '400000000',
    maintenanceRatio: '0.15',
    initialRatio: '0.333334',
    maintenanceAmount: '9703800',
  }, // 3×
  { notionalCap: '600000000', maintenanceRatio: '0.25', initialRatio: '0.5', maintenanceAmount: '49703800' }, // 2×
  { maintenanceRatio: '0.5', initialRatio: '1', maintenanceAmount: '199703800' }, // 1×
] as const;

/** Binance USDⓈ-M VIP-0 fees (taker 0.05%, maker 0.02%), as published on its fee schedule. */
export const TAKER_FEE = '0.0005';
export const MAKER_FEE = '0.0002';

/** BTC collateral weights: 90% for opening (initial), 95% for the liquidation trigger. */
const BTC_INITIAL_WEIGHT = '0.9';
const BTC_MAINTENANCE_WEIGHT = '0.95';
/**
 * Drift-style size haircut: weight = min(w, 1.1 / (1 + 0.01·√BTC)); it starts to
 * cut the 95% maintenance weight above ≈ 249 BTC.
 */
const BTC_SIZE_HAIRCUT = '0.01';

export const BACKSTOP: SubaccountRef = { account: 'backstop-vault', sub: '0' };
/** The venue's treasury: deposits the insurance fund's seed and moves it in with `fund_insurance`. */
export const TREASURY: SubaccountRef = { account: 'venue-treasury', sub: '0' };
/** Insurance fund seed as a fraction of the traders' gross opening notional (0.05%). */
export const INSURANCE_SEED_PPM = 500n;

/** The demo venue's engine configuration (validated by Engine.create). */
export function demoVenueConfig(): EngineConfigInput {
  return {
    settlementAsset: SETTLEMENT,
    assets: [
      { id: SETTLEMENT, decimals: USDC_DECIMALS },
      {
        id: BASE_ASSET,
        decimals: BTC_DECIMALS,
        initialWeight: BTC_INITIAL_WEIGHT,
        maintenanceWeight: BTC_MAINTENANCE_WEIGHT,
        sizeHaircutFactor: BTC_SIZE_HAIRCUT,
      },
    ],
    markets: [
      {
        id: MARKET,
        kind: 'perpetual',
        base: BASE_ASSET,
        // Binance's BTCUSDT step is 0.001 BTC; the tick is 0.01 here (Binance: 0.1) so the
        // first price of every bundled window (e.g. 5611.02) is a valid fill price.
        stepSize: '0.001',
        tickSize: '0.01',
        margin: { kind: 'brackets', brackets: BINANCE_BTCUSDT_BRACKETS.map((b) => ({ ...b })) },
        takerFee: TAKER_FEE,
        makerFee: MAKER_FEE,
      },
    ],
    backstop: BACKSTOP,
  };
}
