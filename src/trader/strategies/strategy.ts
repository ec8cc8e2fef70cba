/**
 * Margin-management strategies: one interface — observe an account's figures, decide actions.
 *
 * An observation is what a trader's bot reads from a venue (or from Plimsoll's own figures):
 * for a perpetuals account its equity, maintenance margin and one position (size, mark,
 * liquidation price); for a lending account (Aave-style) its collateral value, liquidation
 * threshold and debt; in both cases the reserve it can draw from. A perpetuals account on a venue
 * with multi-asset collateral may also show what it holds — each collateral asset's amount, price
 * and haircut — and its other perpetuals (a hedge): an optional `collateral` block, which the
 * collateral strategies (diversification, hedging) require and the others ignore, so a venue or a
 * bot that only knows one asset observes exactly as before. A strategy answers with actions — top
 * up collateral from the reserve, repay debt, partially deleverage, swap one collateral asset for
 * another, or change a hedge — each with an exact amount, and the reason in words. Strategies are pure apart from their own memory
 * (the time of their last action, for the cool-down); they never read a clock.
 *
 * Units: money in the account's settlement asset at `decimals` (bigint), sizes in base units
 * ×1e9 (qty9), prices ×1e8 (px8), ratios in ppm — as everywhere in Plimsoll.
 */

/** One perpetual position of the account (the one the strategy manages). */
export interface PositionObservation {
  readonly side: 'long' | 'short';
  /** |size|, qty9. */
  readonly sizeQty9: bigint;
  readonly markPx8: bigint;
  /** The engine's (or the venue's) liquidation price, px8; null when none. */
  readonly liquidationPx8: bigint | null;
  /** Taker fee of a reduction, ppm of the traded notional. */
  readonly takerFeePpm: bigint;
  /** The underlying asset (e.g. 'BTC'): the diversifier counts the position's delta on it. */
  readonly asset?: string;
}

/** One collateral asset held (multi-asset margin). */
export interface CollateralHolding {
  readonly asset: string;
  /** Amount owned, qty9 (≥ 0; the settlement asset too: 1 USD = 1e9). A debt is not a holding. */
  readonly qty9: bigint;
  /** Price in the settlement asset, px8 (the settlement asset itself: 1e8). */
  readonly markPx8: bigint;
  /** Haircut the venue applies, ppm: the asset counts at (1 − haircut) of its value. */
  readonly haircutPpm: bigint;
}

/** A perpetual position besides the managed one (e.g. the short hedging the collateral). */
export interface OtherPosition {
  readonly market: string;
  /** Underlying asset. */
  readonly asset: string;
  readonly side: 'long' | 'short';
  /** |size|, qty9 (an inverse market: contracts ×1e9). */
  readonly sizeQty9: bigint;
  readonly markPx8: bigint;
}

/**
 * What a multi-asset account holds. The equity of the observation is the holdings counted at
 * their haircuts plus everything else (unrealised PnL, a negative balance).
 */
export interface CollateralObservation {
  readonly holdings: readonly CollateralHolding[];
  readonly otherPositions: readonly OtherPosition[];
}

export interface PerpObservation {
  readonly kind: 'perp';
  readonly timeMs: number;
  readonly decimals: number;
  readonly equity: bigint;
  readonly maintenanceMargin: bigint;
  /** What can be moved in from outside (a reserve wallet), same asset and scale. */
  readonly reserve: bigint;
  readonly position: PositionObservation;
  /** Multi-asset accounts only (module header). */
  readonly collateral?: CollateralObservation;
}

export interface LendingObservation {
  readonly kind: 'lending';
  readonly timeMs: number;
  readonly decimals: number;
  /** Collateral value at oracle prices (settlement asset, e.g. USD). */
  readonly collateralValue: bigint;
  /** Liquidation threshold of the collateral (ppm, e.g. 830000 = 83%). */
  readonly liquidationThresholdPpm: bigint;
  readonly debt: bigint;
  readonly reserve: bigint;
}

export type Observation = PerpObservation | LendingObservation;

export type Action =
  /** Add collateral from the reserve (perps: settlement asset; lending: collateral worth `amount`). */
  | { readonly kind: 'top_up'; readonly amount: bigint }
  /** Repay debt from the reserve. */
  | { readonly kind: 'repay'; readonly amount: bigint }
  /** Perps: reduce the position by `sizeQty9` at the mark. */
  | { readonly kind: 'reduce'; readonly sizeQty9: bigint }
  /** Lending: sell collateral worth `amount` and repay that much debt. */
  | { readonly kind: 'delever'; readonly amount: bigint }
  /**
   * Swap collateral worth `amount` (settlement asset at `decimals`, at the observed prices) of
   * `fromAsset` for `toAsset`; fees and slippage are the executor's.
   */
  | { readonly kind: 'swap'; readonly fromAsset: string; readonly toAsset: string; readonly amount: bigint }
  /** Change the short on `market` by `deltaQty9` (positive: sell more; negative: buy back). */
  | { readonly kind: 'hedge'; readonly market: string; readonly deltaQty9: bigint };

export interface Decision {
  readonly actions: readonly Action[];
  /** Why (or why not), in words. */
  readonly reason: string;
}

/** A margin-management strategy (module header). */
export interface Strategy {
  readonly name: string;
  decide(observation: Observation): Decision;
}

/** Stable codes of strategy configuration errors. */
export type StrategyErrorCode = 'TARGET_NOT_SAFER' | 'BAD_PARAMETER' | 'WRONG_ACCOUNT_KIND';

/** A strategy configured so that it could never work (an impossible band, a negative size, …). */
export class StrategyError extends Error {
  override name = 'StrategyError';
  constructor(
    readonly code: StrategyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const PPM = 1_000_000n;
export const QTY_SCALE = 1_000_000_000n;
export const PX_SCALE = 100_000_000n;

/** ceil(n / d) for d > 0. */
export function ceilDiv(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('ceilDiv: divisor must be positive');
  return n >= 0n ? (n + d - 1n) / d : -(-n / d);
}

/** Value of a holding in the settlement asset at `decimals`, rounded down. */
export function holdingValue(h: CollateralHolding, decimals: number): bigint {
  return (h.qty9 * h.markPx8 * 10n ** BigInt(decimals)) / (QTY_SCALE * PX_SCALE);
}

/** A position's notional at its mark, settlement units at `decimals` (rounded up). */
export function notionalOf(p: PositionObservation, decimals: number): bigint {
  return ceilDiv(p.sizeQty9 * p.markPx8 * 10n ** BigInt(decimals), QTY_SCALE * PX_SCALE);
}
