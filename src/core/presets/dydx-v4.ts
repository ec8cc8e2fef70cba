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
 * (the preset sets it; liquidation/fill-price.ts): a step closes the position at the fillable
 * price (or a liquidator's better `fillPrice`) and moves the insurance delta.
 *
 * DNNV / DMMR: change of the position's net notional / maintenance requirement
 * for the delta; PNNV / PMMR / PS: the position's net notional, maintenance
 * requirement and size; BA: bankruptcy adjustment (ppm); SMMR: spread to
 * maintenance margin ratio (ppm). Here quote amounts are in USDC units (1e-6,
 * dYdX's quote quantums), sizes qty9, prices px8; the dYdX vectors convert base
 * quantums with the market's atomic resolution.
 */

import { signedValueQuote } from '../margin/notional.ts';
import { maintenanceFractionPpm } from '../margin/ratios.ts';
import type { MarketConfigInput } from '../model/config.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import { abs, divRound, formatDecimal, InvariantError, min, PPM } from '../num/index.ts';
import { clamp, div, mul, ONE, type Rational, rat, ratScaled, sub, ZERO } from './rational.ts';
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
    },
  };
}

/** One perpetual position of a dYdX subaccount. */
export interface DydxPosition {
  readonly market: string;
  /** Signed size, qty9. */
  readonly sizeQty9: bigint;
  /** Oracle price, px8. */
  readonly oraclePx8: bigint;
  readonly tier: LiquidityTier;
}

export interface DydxSubaccount {
  /** USDC asset position (may be negative), quote units 1e-6. */
  readonly usdcQuote: bigint;
  readonly positions: readonly DydxPosition[];
}

/** Net collateral (signed notional) and requirements of one position, quote units 1e-6 (no OI scaling). */
export function dydxPositionRisk(sizeQty9: bigint, oraclePx8: bigint, tier: LiquidityTier) {
  const nc = signedValueQuote(sizeQty9, oraclePx8, 6, 'trunc');
  const notional = abs(nc);
  const imr = divRound(notional * tier.initialMarginPpm, PPM, 'ceil');
  const mmPpm = maintenanceFractionPpm(tier.initialMarginPpm, tier.maintenanceFractionPpm);
  const mmr = divRound(notional * mmPpm, PPM, 'ceil');
  return { nc, imr, mmr };
}

/** TNC and TMMR of a subaccount (quote units). */
export function dydxSubaccountRisk(s: DydxSubaccount): { tnc: bigint; timr: bigint; tmmr: bigint } {
  let tnc = s.usdcQuote;
  let timr = 0n;
  let tmmr = 0n;
  for (const p of s.positions) {
    const r = dydxPositionRisk(p.sizeQty9, p.oraclePx8, p.tier);
    tnc += r.nc;
    timr += r.imr;
    tmmr += r.mmr;
  }
  return { tnc, timr, tmmr };
}

/** dYdX's trigger: TMMR > 0 and TNC < TMMR. */
export function dydxIsLiquidatable(s: DydxSubaccount): boolean {
  const r = dydxSubaccountRisk(s);
  return r.tmmr > 0n && r.tnc < r.tmmr;
}

function positionOf(s: DydxSubaccount, market: string, deltaQty9: bigint): DydxPosition {
  const p = s.positions.find((x) => x.market === market);
  if (!p) throw new RangeError(`no ${market} position`);
  if (deltaQty9 === 0n || p.sizeQty9 > 0n === deltaQty9 > 0n || abs(deltaQty9) > abs(p.sizeQty9))
    throw new RangeError(`position size delta ${deltaQty9} is invalid for a position of ${p.sizeQty9}`);
  return p;
}

/**
 * Quote the subaccount receives (+) or pays (−) for closing `deltaQty9` (opposite
 * sign of the position) at its bankruptcy price, rounded toward +∞ so that the
 * close needs no insurance-fund payment (GetBankruptcyPriceInQuoteQuantums).
 *
 *     −DNNV − ⌊TNC × |DMMR| / TMMR⌋
 */
export function dydxBankruptcyPriceQuote(s: DydxSubaccount, market: string, deltaQty9: bigint): bigint {
  const p = positionOf(s, market, deltaQty9);
  const total = dydxSubaccountRisk(s);
  const before = dydxPositionRisk(p.sizeQty9, p.oraclePx8, p.tier);
  const after = dydxPositionRisk(p.sizeQty9 + deltaQty9, p.oraclePx8, p.tier);
  const deltaNc = after.nc - before.nc;
  const deltaMmr = after.mmr - before.mmr;
  if (deltaMmr > 0n) throw new InvariantError('DMMR is positive for a reducing delta');
  return -deltaNc - divRound(total.tnc * -deltaMmr, total.tmmr, 'floor');
}

/**
 * Fillable price of a liquidation order, quote per whole base unit (exact
 * rational; dYdX returns it per base quantum) (GetFillablePrice):
 *
 *     (PNNV − ABR × SMMR × PMMR) / PS,   ABR = clamp(BA × (1 − TNC / TMMR), 0, 1)
 */
export function dydxFillablePrice(
  s: DydxSubaccount,
  market: string,
  deltaQty9: bigint,
  cfg: {
    bankruptcyAdjustmentPpm: bigint;
    spreadToMaintenanceMarginRatioPpm: bigint;
  } = DYDX_LIQUIDATIONS_CONFIG,
): Rational {
  const p = positionOf(s, market, deltaQty9);
  const total = dydxSubaccountRisk(s);
  const pos = dydxPositionRisk(p.sizeQty9, p.oraclePx8, p.tier);
  const unbounded = mul(sub(ONE, rat(total.tnc, total.tmmr)), rat(cfg.bankruptcyAdjustmentPpm, PPM));
  const abr = clamp(unbounded, ZERO, ONE);
  const spread = mul(ratScaled(pos.mmr, 6), rat(cfg.spreadToMaintenanceMarginRatioPpm, PPM));
  const quote = sub(ratScaled(pos.nc, 6), mul(abr, spread));
  const price = div(quote, ratScaled(p.sizeQty9, 9));
  if (price.n < 0n) throw new InvariantError('fillable price is negative');
  return price;
}

/**
 * Net payment between the liquidated subaccount and the insurance fund for a
 * liquidation fill (+: the subaccount pays a fee to the fund; −: the fund covers
 * a loss), quote units (GetLiquidationInsuranceFundDelta):
 *
 *     delta = fill quote − bankruptcy quote;  delta ≤ 0 → delta;  else min(delta, |fill quote| × max fee)
 *
 * @param isBuy the liquidation order buys (closes a short)
 * @param fillQty9 filled size, qty9 (> 0)
 * @param fillPx8 fill price, px8; the fill's quote is rounded down as dYdX's FillAmountToQuoteQuantums
 */
export function dydxInsuranceFundDelta(
  s: DydxSubaccount,
  market: string,
  isBuy: boolean,
  fillQty9: bigint,
  fillPx8: bigint,
  maxLiquidationFeePpm: bigint = DYDX_LIQUIDATIONS_CONFIG.maxLiquidationFeePpm,
): bigint {
  if (fillQty9 <= 0n) throw new RangeError('fill amount must be positive');
  const fillQuoteAbs = signedValueQuote(fillQty9, fillPx8, 6, 'floor');
  const deltaQuote = isBuy ? -fillQuoteAbs : fillQuoteAbs;
  const deltaQty9 = isBuy ? fillQty9 : -fillQty9;
  const bankruptcy = dydxBankruptcyPriceQuote(s, market, deltaQty9);
  const delta = deltaQuote - bankruptcy;
  if (delta <= 0n) return delta;
  const maxFee = divRound(fillQuoteAbs * maxLiquidationFeePpm, PPM, 'floor');
  return min(delta, maxFee);
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
        '— (engine has per-window notional caps: maxAccountNotionalPerWindow / maxMarketNotionalPerWindow)',
      engineNeeds: 'a cap on insurance-fund losses per window',
    },
  ],
};
