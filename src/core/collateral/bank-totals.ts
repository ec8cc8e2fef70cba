/**
 * Mango v4's scaling of INIT weights by a bank's venue-wide totals (an asset's optional
 * `initWeightScaling`, model/config.ts), with the totals it reads:
 *
 *     deposits value D = total deposits × price,  borrows value B = total borrows × price
 *     init asset weight      w' = w × start / D     when D > depositScaleStartQuote (= start)
 *     init liability weight  w' = w × B / start     when B > borrowScaleStartQuote  (= start)
 *
 * (Mango's Bank::scaled_init_asset_weight / scaled_init_liab_weight.) Maintenance weights are
 * never scaled. The result is a ppm weight rounded in the venue's favour: an asset weight
 * down, a liability weight up, so a scaled account is never credited with more than Mango's.
 *
 * The totals are Σ positive / Σ |negative| balances of the asset over every subaccount. They are
 * derived data, kept OUT of the engine state (so state hashes and snapshots of presets that do
 * not opt in are unchanged): a side table per state object, built by one scan on the first read
 * and then kept in step by evolve (`noteBalanceChange`, called wherever evolve writes a balance),
 * dropped whenever the state is replaced wholesale (`dropBankTotals`). States whose config never
 * scales a weight never build the table, and evolve's hook is one WeakMap miss.
 */
import type { AssetConfig } from '../model/config.ts';
import type { ReadonlyEngineState } from '../model/state.ts';
import { divRound, pow10 } from '../num/index.ts';

export interface BankTotals {
  /** Σ positive balances, asset smallest units. */
  deposits: bigint;
  /** Σ |negative balances|, asset smallest units. */
  borrows: bigint;
}

const tables = new WeakMap<object, Map<string, BankTotals>>();

function scan(state: ReadonlyEngineState, assetId: string): BankTotals {
  const t: BankTotals = { deposits: 0n, borrows: 0n };
  for (const s of state.subaccounts.values()) {
    const b = s.balances.get(assetId);
    if (b === undefined) continue;
    if (b > 0n) t.deposits += b;
    else t.borrows -= b;
  }
  return t;
}

/** The asset's venue-wide deposit and borrow totals (read-only view of the side table). */
export function bankTotals(state: ReadonlyEngineState, assetId: string): Readonly<BankTotals> {
  let table = tables.get(state);
  if (table === undefined) {
    table = new Map();
    tables.set(state, table);
  }
  let t = table.get(assetId);
  if (t === undefined) {
    t = scan(state, assetId);
    table.set(assetId, t);
  }
  return t;
}

/** Evolve's hook: one subaccount's balance of `assetId` went from `before` to `after`. */
export function noteBalanceChange(state: object, assetId: string, before: bigint, after: bigint): void {
  const t = tables.get(state)?.get(assetId);
  if (t === undefined) return;
  t.deposits += (after > 0n ? after : 0n) - (before > 0n ? before : 0n);
  t.borrows += (after < 0n ? -after : 0n) - (before < 0n ? -before : 0n);
}

/** Forgets the totals of `state` (it was replaced or rebuilt wholesale). */
export function dropBankTotals(state: object): void {
  tables.delete(state);
}

/**
 * w × start / (deposits × price), floored (ppm), when the deposits' value exceeds `start`; else w.
 * Units: deposits in the asset's smallest units (10^-decimals), price and start at 8 decimals
 * (quote per whole unit, quote), so value·10^8 = deposits × price / 10^decimals.
 *
 * @example scaledInitAssetWeightPpm(500_000n, 1500n, 0, 5_00000000n, 5000_00000000n) // 333_333n (0.5 × 5000 / 7500)
 */
export function scaledInitAssetWeightPpm(
  weightPpm: bigint,
  deposits: bigint,
  assetDecimals: number,
  pricePx8: bigint,
  startPx8: bigint,
): bigint {
  const value = deposits * pricePx8; // × 10^-decimals
  const startScaled = startPx8 * pow10(assetDecimals);
  if (value <= startScaled) return weightPpm;
  return divRound(weightPpm * startScaled, value, 'floor');
}

/**
 * w × (borrows × price) / start, rounded up (ppm), when the borrows' value exceeds `start`; else w.
 *
 * @example scaledInitLiabilityWeightPpm(1_500_000n, 1500n, 0, 5_00000000n, 5000_00000000n) // 2_250_000n
 */
export function scaledInitLiabilityWeightPpm(
  weightPpm: bigint,
  borrows: bigint,
  assetDecimals: number,
  pricePx8: bigint,
  startPx8: bigint,
): bigint {
  const value = borrows * pricePx8;
  const startScaled = startPx8 * pow10(assetDecimals);
  if (value <= startScaled) return weightPpm;
  return divRound(weightPpm * value, startScaled, 'ceil');
}

/** The init weight of a positive balance of `asset` after its bank's scaling (w when not configured). */
export function initAssetWeightScaled(
  state: ReadonlyEngineState,
  asset: AssetConfig,
  pricePx8: bigint,
  weightPpm: bigint,
): bigint {
  const start = asset.initWeightScaling?.depositScaleStartQuote;
  if (start === undefined) return weightPpm;
  const t = bankTotals(state, asset.id);
  return scaledInitAssetWeightPpm(weightPpm, t.deposits, asset.decimals, pricePx8, start);
}

/** The init weight of a negative balance of `asset` after its bank's scaling (w when not configured). */
export function initLiabilityWeightScaled(
  state: ReadonlyEngineState,
  asset: AssetConfig,
  pricePx8: bigint,
  weightPpm: bigint,
): bigint {
  const start = asset.initWeightScaling?.borrowScaleStartQuote;
  if (start === undefined) return weightPpm;
  const t = bankTotals(state, asset.id);
  return scaledInitLiabilityWeightPpm(weightPpm, t.borrows, asset.decimals, pricePx8, start);
}

const scaling = new WeakMap<object, boolean>();
/**
 * Does any asset of the state scale its init weights (the figures cache is off for such states)?
 * Memoized per assets map (the figures cache asks on every read); evolve calls
 * `forgetInitWeightScaling` when an asset's configuration is replaced.
 */
export function scalesInitWeights(state: ReadonlyEngineState): boolean {
  const known = scaling.get(state.assets);
  if (known !== undefined) return known;
  let any = false;
  for (const a of state.assets.values()) if (a.initWeightScaling !== undefined) any = true;
  scaling.set(state.assets, any);
  return any;
}

/** An asset of this assets map was configured again: ask `scalesInitWeights` afresh. */
export function forgetInitWeightScaling(assets: object): void {
  scaling.delete(assets);
}
