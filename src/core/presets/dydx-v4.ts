/**
 * dYdX v4 (dydxprotocol/v4-chain): cross-margined perpetuals in USDC on
 * "liquidity tiers".
 *
 * Margin. A tier has a base initial margin fraction IMF, a maintenance fraction
 * of it (MMF = IMF × maintenance_fraction, ppm rounded down) and open-interest
 * caps: IMF rises linearly from its base to 100% as the market's open interest
 * goes from the lower to the upper cap (Plimsoll's `openInterestScaled` model,
 * margin/open-interest.ts, with `maintenance: { fractionOfInitial }`).
 *
 * Liquidation (x/clob/keeper/liquidations.go). A subaccount is liquidatable when
 * its total net collateral TNC < its total maintenance requirement TMMR (and
 * TMMR > 0) — the engine's trigger. For closing a position delta:
 *
 *   bankruptcy quote  = −DNNV − ⌊TNC × |DMMR| / TMMR⌋        (GetBankruptcyPriceInQuoteQuantums)
 *   fillable price    = (PNNV − ABR × SMMR × PMMR) / PS,     ABR = clamp(BA × (1 − TNC/TMMR), 0, 1)
 *                                                            (GetFillablePrice, exact rational)
 *   insurance delta   = fill quote − bankruptcy quote; if > 0, capped at |fill quote| × max liquidation fee
 *                                                            (GetLiquidationInsuranceFundDelta)
 *
 * The engine executes these with the liquidation policy `penalty: { kind: 'dydx_fillable' }`
 * (the preset sets it; liquidation/fill-price.ts; the same formulas on a dYdX-shaped subaccount,
 * the tests' reference, are in reference/dydx-v4.ts): a step closes the position at the fillable
 * price (or a liquidator's better `fillPrice`) and moves the insurance delta.
 *
 * DNNV / DMMR: change of the position's net notional / maintenance requirement
 * for the delta; PNNV / PMMR / PS: the position's net notional, maintenance
 * requirement and size; BA: bankruptcy adjustment (ppm); SMMR: spread to
 * maintenance margin ratio (ppm). Here quote amounts are in USDC units (1e-6,
 * dYdX's quote quantums), sizes qty9, prices px8; the dYdX vectors convert base
 * quantums with the market's atomic resolution.
 */

import type { MarketConfigInput } from '../model/config.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import { formatDecimal } from '../num/index.ts';
import type { VenuePreset } from './types.ts';

/** A dYdX liquidity tier (ppm; caps in USDC). */
export interface LiquidityTier {
  readonly name: string;
  readonly initialMarginPpm: bigint;
  readonly maintenanceFractionPpm: bigint;
  /** Open interest (USDC) where IMF starts rising / reaches 100%; both 0 = no scaling. */
  readonly openInterestLowerCap: string;
  readonly openInterestUpperCap: string;
}

/** The liquidity tiers of dYdX's test genesis (protocol/testutil/constants/genesis.go). */
export const DYDX_LIQUIDITY_TIERS: Readonly<Record<string, LiquidityTier>> = {
  'Large-Cap': {
    name: 'Large-Cap',
    initialMarginPpm: 50_000n,
    maintenanceFractionPpm: 600_000n,
    openInterestLowerCap: '0',
    openInterestUpperCap: '0',
  },
  'Small-Cap': {
    name: 'Small-Cap',
    initialMarginPpm: 100_000n,
    maintenanceFractionPpm: 500_000n,
    openInterestLowerCap: '20000000',
    openInterestUpperCap: '50000000',
  },
  'Long-Tail': {
    name: 'Long-Tail',
    initialMarginPpm: 200_000n,
    maintenanceFractionPpm: 500_000n,
    openInterestLowerCap: '5000000',
    openInterestUpperCap: '10000000',
  },
  Safety: {
    name: 'Safety',
    initialMarginPpm: 1_000_000n,
    maintenanceFractionPpm: 200_000n,
    openInterestLowerCap: '2000000',
    openInterestUpperCap: '5000000',
  },
  Isolated: {
    name: 'Isolated',
    initialMarginPpm: 50_000n,
    maintenanceFractionPpm: 600_000n,
    openInterestLowerCap: '500000',
    openInterestUpperCap: '1000000',
  },
  'Mid-Cap': {
    name: 'Mid-Cap',
    initialMarginPpm: 50_000n,
    maintenanceFractionPpm: 600_000n,
    openInterestLowerCap: '40000000',
    openInterestUpperCap: '100000000',
  },
  FX: {
    name: 'FX',
    initialMarginPpm: 10_000n,
    maintenanceFractionPpm: 500_000n,
    openInterestLowerCap: '500000',
    openInterestUpperCap: '1000000',
  },
};

/** Default liquidations config (LiquidationsConfig_Default): max fee 0.5%, BA 100%, SMMR 10%. */
export const DYDX_LIQUIDATIONS_CONFIG = {
  maxLiquidationFeePpm: 5_000n,
  bankruptcyAdjustmentPpm: 1_000_000n,
  spreadToMaintenanceMarginRatioPpm: 100_000n,
} as const;

const ppmText = (ppm: bigint) => formatDecimal(ppm, 6);

/** A perpetual on a liquidity tier, as Plimsoll's openInterestScaled model. */
export function dydxMarket(
  id: string,
  base: string,
  tier: LiquidityTier,
  stepSize = '0.0001',
): MarketConfigInput {
  return {
    id,
    kind: 'perpetual',
    base,
    stepSize,
    tickSize: '0.00000001',
    margin: {
      kind: 'openInterestScaled',
      initialRatio: ppmText(tier.initialMarginPpm),
      maintenance: { fractionOfInitial: ppmText(tier.maintenanceFractionPpm) },
      openInterestLowerCap: tier.openInterestLowerCap,
      openInterestUpperCap: tier.openInterestUpperCap,
    },
    // dYdX default fee tier: taker 0.05%, maker 0.01%.
    takerFee: '0.0005',
    makerFee: '0.0001',
  };
}

export function dydxConfig(): EngineConfigInput {
  const t = DYDX_LIQUIDITY_TIERS;
  return {
    settlementAsset: 'USDC',
    assets: [{ id: 'USDC', decimals: 6 }],
    markets: [
      dydxMarket('BTC-USD', 'BTC', t['Large-Cap']!),
      dydxMarket('ETH-USD', 'ETH', t['Large-Cap']!, '0.001'),
      dydxMarket('SOL-USD', 'SOL', t['Mid-Cap']!, '0.01'),
    ],
    liquidation: {
      // dYdX closes the whole position (within block limits) at the fillable price; the insurance fund
      // takes fill − bankruptcy quote capped at the max liquidation fee (0.5%), or pays the shortfall
      // (liquidation/fill-price.ts; dYdX's LiquidationsConfig_Default).
      penalty: {
        kind: 'dydx_fillable',
        maxLiquidationFee: ppmText(DYDX_LIQUIDATIONS_CONFIG.maxLiquidationFeePpm),
        bankruptcyAdjustment: ppmText(DYDX_LIQUIDATIONS_CONFIG.bankruptcyAdjustmentPpm),
        spreadToMaintenanceMarginRatio: ppmText(DYDX_LIQUIDATIONS_CONFIG.spreadToMaintenanceMarginRatioPpm),
      },
      // SubaccountBlockLimits_Default: the fund pays at most $100M (100,000,000,000,000 quote
      // quantums) to one subaccount per block (~1 s); over it a liquidation waits for the next block,
      // a bankrupt subaccount is deleveraged.
      maxInsuranceLossPerWindow: '100000000',
      windowMs: 1000,
    },
  };
}

export const dydxV4: VenuePreset = {
  id: 'dydx-v4',
  name: 'dYdX v4 (perpetuals on liquidity tiers)',
  kind: 'perpetuals',
  summary:
    'Open-interest-scaled initial margin per liquidity tier, maintenance as a fraction of initial, cross margin in USDC; liquidation at TNC < TMMR, at a fillable price bounded by the bankruptcy price, insurance-fund fee capped at 0.5%.',
  formula:
    'liquidatable when TNC < TMMR; bankruptcy quote = −DNNV − ⌊TNC·|DMMR|/TMMR⌋; fillable price = (PNNV − ABR·SMMR·PMMR)/PS with ABR = clamp(BA·(1 − TNC/TMMR), 0, 1)',
  sources: [
    {
      title: 'dydxprotocol/v4-chain protocol/x/clob/keeper/liquidations.go (and liquidations_test.go)',
      url: 'https://github.com/dydxprotocol/v4-chain/blob/main/protocol/x/clob/keeper/liquidations.go',
    },
    {
      title:
        'dydxprotocol/v4-chain protocol/x/perpetuals/types/liquidity_tier.go (and liquidity_tier_test.go)',
      url: 'https://github.com/dydxprotocol/v4-chain/tree/main/protocol/x/perpetuals/types',
    },
  ],
  config: dydxConfig,
  engineGaps: [
    {
      rule: 'Per-block limits on notional liquidated and insurance lost per subaccount and per position.',
      implementedBy:
        '— (executed by the engine: per-window notional caps maxAccountNotionalPerWindow / maxMarketNotionalPerWindow, and the insurance-loss cap maxInsuranceLossPerWindow, which the preset sets)',
      engineNeeds: '—',
    },
  ],
};
