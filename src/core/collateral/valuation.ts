/**
 * Collateral value of one balance, in quote units (DESIGN §4):
 *
 *     value = balance × price × weight
 *
 * - balance: the asset's smallest units (10^-assetDecimals), may be negative;
 * - price: px8, quote per whole asset unit;
 * - result: quote units (10^-quoteDecimals). For b (asset units), p (px8), w (ppm):
 *
 *       value = b · p · 10^quoteDecimals · w / (10^assetDecimals · 10^8 · 10^6)
 *
 * Positive balances (assets) use the effective weight min(weight, size discount)
 * (./size-discount.ts) and round DOWN. Negative balances (liabilities) are
 * valued at full weight (100%, or a configured liability weight ≥ 100%) and
 * round UP in magnitude — more negative. Either way the account is never
 * credited with more than it has.
 *
 * Yield-bearing tokens are priced through their exchange rate to an underlying
 * (yieldBearingPricePx8), rounded down.
 */
import type { AssetConfig } from '../model/config.ts';
import {
  divRound,
  InvariantError,
  isqrt,
  min,
  PPM,
  PRICE_DECIMALS,
  pow10,
  type Rounding,
} from '../num/index.ts';
import type { MarginKind } from './model.ts';
import { sizeAtPrecision9, sizeDiscountAssetWeight } from './size-discount.ts';

/** Exchange rates of yield-bearing tokens are decimals at 18 places (1e18 = 1.0). */
export const EXCHANGE_RATE_DECIMALS = 18;

export interface CollateralBalance {
  /** Balance in the asset's smallest units; negative = a liability (borrow). */
  readonly balance: bigint;
  /** Decimals of the asset's smallest unit (USDC 6, BTC 8, ETH 18). */
  readonly assetDecimals: number;
  /** Price of one whole asset unit in quote, px8 (≥ 0). */
  readonly pricePx8: bigint;
  /** Asset weight for this purpose (initial or maintenance), ppm; see weightFor. */
  readonly weightPpm: bigint;
  /** Size haircut factor (Drift IMF factor), ppm; 0 disables. */
  readonly sizeHaircutFactorPpm: bigint;
  /** Decimals of the quote asset's smallest unit. */
  readonly quoteDecimals: number;
  /** Weight of a liability, ppm (default 1e6 = 100%; ≥ 1e6, like Drift's liability weights). */
  readonly liabilityWeightPpm?: bigint;
}

/** b · p · w (ppm) → quote units, one rounding at the end. */
function weightedValue(b: bigint, c: CollateralBalance, weightPpm: bigint, rounding: Rounding): bigint {
  const shift = c.assetDecimals + PRICE_DECIMALS - c.quoteDecimals;
  const numerator = b * c.pricePx8 * weightPpm;
  return shift >= 0
    ? divRound(numerator, pow10(shift) * PPM, rounding)
    : divRound(numerator * pow10(-shift), PPM, rounding);
}

/**
 * The weight a positive balance counts at: min(weight, size-discount weight), ppm.
 *
 * @param balance positive balance, asset smallest units
 * @param assetDecimals decimals of the asset
 * @param weightPpm configured weight, ppm
 * @param sizeHaircutFactorPpm IMF factor, ppm (0 = none)
 */
export function effectiveAssetWeightPpm(
  balance: bigint,
  assetDecimals: number,
  weightPpm: bigint,
  sizeHaircutFactorPpm: bigint,
): bigint {
  if (sizeHaircutFactorPpm === 0n) return weightPpm;
  return sizeDiscountAssetWeight(sizeAtPrecision9(balance, assetDecimals), sizeHaircutFactorPpm, weightPpm);
}

/**
 * Value of one balance in quote units: assets rounded down at the effective
 * weight, liabilities rounded up in magnitude at full (or liability) weight.
 *
 * @example collateralValueQuote({ balance: 2n * 10n ** 8n, assetDecimals: 8, pricePx8: 50_000_00000000n,
 *   weightPpm: 900_000n, sizeHaircutFactorPpm: 0n, quoteDecimals: 6 }) // 90_000_000000n (2 BTC × $50k × 90%)
 */
export function collateralValueQuote(c: CollateralBalance): bigint {
  if (c.pricePx8 < 0n) throw new InvariantError(`negative price ${c.pricePx8}`);
  if (c.weightPpm < 0n || c.weightPpm > PPM)
    throw new InvariantError(`asset weight ${c.weightPpm} ppm outside [0, 1e6]`);
  if (c.balance === 0n) return 0n;
  if (c.balance > 0n) {
    const capped = weightedValue(c.balance, c, c.weightPpm, 'floor');
    if (c.sizeHaircutFactorPpm === 0n) return capped;
    return min(capped, sizeHaircutValueQuote(c));
  }
  const lw = c.liabilityWeightPpm ?? PPM;
  if (lw < PPM) throw new InvariantError(`liability weight ${lw} ppm below 100%`);
  return -weightedValue(-c.balance, c, lw, 'ceil');
}

/**
 * Price of a yield-bearing token: exchangeRate × price(underlying), rounded down.
 *
 * @param exchangeRate18 underlying per token, 18 decimals (1.05e18 = 1.05)
 * @param underlyingPx8 price of the underlying, px8
 * @returns price of the token, px8
 * @example yieldBearingPricePx8(1_050_000_000_000_000_000n, 2_000_00000000n) // 2_100_00000000n
 */
export function yieldBearingPricePx8(exchangeRate18: bigint, underlyingPx8: bigint): bigint {
  if (exchangeRate18 < 0n || underlyingPx8 < 0n) throw new InvariantError('negative exchange rate or price');
  return divRound(exchangeRate18 * underlyingPx8, pow10(EXCHANGE_RATE_DECIMALS), 'floor');
}

/**
 * The configured weight of an asset for a purpose, ppm.
 *
 * @param asset parsed AssetConfig
 * @param kind 'initial' (opening, withdrawing) or 'maintenance' (liquidation trigger)
 */
export function weightFor(asset: AssetConfig, kind: MarginKind): bigint {
  return kind === 'initial' ? asset.initialWeight : asset.maintenanceWeight;
}

/**
 * Value of a positive balance under the square-root size haircut, computed exactly:
 *
 *     V = balance × price × 1.1 / (1 + factor × √tokens)      (tokens = balance / 10^decimals)
 *
 * floored once. The real function is strictly increasing in the balance, so its
 * exact floor never decreases: one more unit of collateral never lowers the value
 * (INV-04). Drift's integer form floors the weight to a ppm step first, which can
 * lower the value by a whole step when the balance grows by one unit; that form
 * stays in size-discount.ts for the Drift preset.
 *
 * With M = balance × 10^d (so √tokens = √M / 10^d), V = N / (K·(E + G·√M)) where
 * N = balance·price·11·10^6·10^d·(10^-shift if shift < 0), K = 10·10^shift, E = 10^6·10^d,
 * G = factor (ppm). The floor is bracketed with a 20-digit root and settled by the
 * exact test  v·K·E ≤ N  and  (v·K·G)²·M ≤ (N − v·K·E)².
 */
export function sizeHaircutValueQuote(c: CollateralBalance): bigint {
  const shift = c.assetDecimals + PRICE_DECIMALS - c.quoteDecimals;
  const d = pow10(c.assetDecimals);
  const N = c.balance * c.pricePx8 * 11n * PPM * d * (shift < 0 ? pow10(-shift) : 1n);
  const K = 10n * (shift >= 0 ? pow10(shift) : 1n);
  const E = PPM * d;
  const G = c.sizeHaircutFactorPpm;
  const M = c.balance * d;
  const fits = (v: bigint): boolean => {
    const rest = N - v * K * E;
    if (rest < 0n) return false;
    const lhs = v * K * G;
    return lhs * lhs * M <= rest * rest;
  };
  const P = 10n ** 20n;
  const root = isqrt(M * P * P); // ⌊√M · 10^20⌋
  let lo = (N * P) / (K * (E * P + G * (root + 1n))); // denominator ≥ exact: lo ≤ floor(V)
  let hi = (N * P) / (K * (E * P + G * root)) + 1n; // denominator ≤ exact: floor(V) < hi
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
