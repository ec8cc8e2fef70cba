/**
 * The weights one subaccount's balance of an asset counts at, for initial or maintenance figures:
 *
 * - a positive balance: the asset's weight, or — the subaccount being in an Aave efficiency-mode
 *   category that lists the asset as collateral — the category's LTV (initial) / liquidation
 *   threshold (maintenance), as Aave's GenericLogic.calculateUserAccountData picks them;
 * - a negative balance (a borrow): the asset's liability weight (≥ 1; Drift, Mango), grown by the
 *   size premium when the asset has a size factor (Drift's calculate_size_premium_liability_weight:
 *   max(w, 0.8·w + factor·√tokens), margin/size-premium.ts at ppm, rounded down as Drift does; the
 *   value built on it is rounded up). No liability weight configured: 1 (Aave counts debt in full).
 *
 * Pure lookups over the configuration: nothing here reads balances of other subaccounts.
 */

import { sizePremiumRatio } from '../margin/size-premium.ts';
import type { AssetConfig } from '../model/config.ts';
import type { EModeCategory, EngineConfig } from '../model/engine-config.ts';
import { PPM } from '../num/index.ts';
import type { MarginKind } from './model.ts';
import { sizeAtPrecision9 } from './size-discount.ts';

/** The e-mode category a subaccount is in, or undefined (none, or no categories configured). */
export function eModeCategoryOf(
  config: Pick<EngineConfig, 'eModeCategories'>,
  sub: { readonly eModeCategory?: number | undefined },
): EModeCategory | undefined {
  const id = sub.eModeCategory;
  if (id === undefined || config.eModeCategories === undefined) return undefined;
  return config.eModeCategories.find((c) => c.id === id);
}

/** Weight of a positive balance of `asset` (ppm), the subaccount's e-mode category applied. */
export function assetWeightPpm(
  config: Pick<EngineConfig, 'eModeCategories'>,
  sub: { readonly eModeCategory?: number | undefined },
  asset: AssetConfig,
  kind: MarginKind,
): bigint {
  const category = sub.eModeCategory === undefined ? undefined : eModeCategoryOf(config, sub);
  if (category?.collateralAssets.includes(asset.id))
    return kind === 'initial' ? category.ltv : category.liquidationThreshold;
  return kind === 'initial' ? asset.initialWeight : asset.maintenanceWeight;
}

/** Liquidation bonus on seizing `asset` (ppm): the e-mode category's when it lists the asset. */
export function liquidationBonusPpm(
  config: Pick<EngineConfig, 'eModeCategories'>,
  sub: { readonly eModeCategory?: number | undefined },
  asset: AssetConfig,
): bigint {
  const category = sub.eModeCategory === undefined ? undefined : eModeCategoryOf(config, sub);
  if (category?.collateralAssets.includes(asset.id)) return category.liquidationBonus;
  return asset.liquidationBonus ?? 0n;
}

/**
 * Weight of a negative balance of `asset` (ppm, ≥ 1e6), with the size premium (module header).
 *
 * @param balance the (negative) balance, asset smallest units; its magnitude sizes the premium
 * @example liabilityWeightPpm({ ...sol, liabilityWeight: { initial: 1_200_000n, maintenance: 1_100_000n } }, -5n, 'initial') // 1_200_000n
 */
export function liabilityWeightPpm(asset: AssetConfig, balance: bigint, kind: MarginKind): bigint {
  const w = asset.liabilityWeight;
  if (w === undefined) return PPM;
  const base = kind === 'initial' ? w.initial : w.maintenance;
  if (asset.sizeHaircutFactor === 0n) return base;
  const size = sizeAtPrecision9(balance < 0n ? -balance : balance, asset.decimals);
  return sizePremiumRatio(size, asset.sizeHaircutFactor, base, PPM);
}
