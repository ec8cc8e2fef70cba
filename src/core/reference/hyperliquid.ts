/**
 * Hyperliquid's liquidation process as its docs state it ("Liquidations"), re-implemented as an
 * independent check of the engine: a test reference only. Positions larger than 100,000 USDC
 * (10,000 on testnet) are sent to the book 20% at a time; after a partial liquidation a
 * 30-second cooldown makes every market liquidation order for that user cover the entire
 * position; below 2/3 of the maintenance margin a backstop liquidation transfers the positions
 * (and, cross, the collateral) to the liquidator vault. The engine executes the same with the
 * hyperliquid preset's policy (fraction sizing above a notional with a cooldown,
 * `backstopBelowMaintenanceShare`); the tests check both against the docs' statements
 * (test/vectors/hyperliquid_docs.json).
 *
 * Source: https://hyperliquid.gitbook.io/hyperliquid-docs/trading/liquidations
 */

/** Liquidation process constants (docs "Liquidations"). */
export const HYPERLIQUID_LIQUIDATION = {
  /** Positions above this notional (USDC) are liquidated 20% at a time (testnet: 10,000). */
  partialThresholdMainnet: 100_000n,
  partialThresholdTestnet: 10_000n,
  /** Share of the position per partial liquidation, bps. */
  partialShareBps: 2_000n,
  /** After a partial liquidation, market liquidation orders cover the entire position for this long. */
  cooldownMs: 30_000,
  /** Backstop when equity < 2/3 × maintenance margin. */
  backstopNumerator: 2n,
  backstopDenominator: 3n,
} as const;

export interface LiquidationOrderInput {
  /** Position size, qty9 (unsigned). */
  readonly sizeQty9: bigint;
  /** Position notional at the mark, whole USDC (an integer is enough for the threshold test; pass ⌈notional⌉). */
  readonly notionalUsdc: bigint;
  /** Account value and maintenance margin of the scope, same units (any scale, both the same). */
  readonly accountValue: bigint;
  readonly maintenanceMargin: bigint;
  readonly nowMs: number;
  /** Time of this user's last partial liquidation, if any. */
  readonly lastPartialLiquidationMs?: number;
  readonly network?: 'mainnet' | 'testnet';
}

export interface LiquidationOrder {
  readonly liquidatable: boolean;
  /** Equity below 2/3 of MM: the backstop (liquidator vault) takes over if the book does not. */
  readonly backstop: boolean;
  /** Size of the market liquidation order, qty9 (0 when not liquidatable). */
  readonly orderSizeQty9: bigint;
  readonly partial: boolean;
}

/**
 * The market liquidation order Hyperliquid sends (docs "Liquidations"): 20% of a
 * position above 100k USDC (10k testnet) unless a partial liquidation happened
 * within the last 30 s, else the entire position; and whether the account is in
 * backstop territory (equity < 2/3 MM). The 20% is rounded down to the qty9 unit.
 */
export function hyperliquidLiquidationOrder(i: LiquidationOrderInput): LiquidationOrder {
  const L = HYPERLIQUID_LIQUIDATION;
  const liquidatable = i.accountValue < i.maintenanceMargin;
  const backstop = i.accountValue * L.backstopDenominator < i.maintenanceMargin * L.backstopNumerator;
  if (!liquidatable) return { liquidatable, backstop: false, orderSizeQty9: 0n, partial: false };
  const threshold = i.network === 'testnet' ? L.partialThresholdTestnet : L.partialThresholdMainnet;
  const inCooldown =
    i.lastPartialLiquidationMs !== undefined && i.nowMs - i.lastPartialLiquidationMs < L.cooldownMs;
  if (i.notionalUsdc > threshold && !inCooldown) {
    return {
      liquidatable,
      backstop,
      orderSizeQty9: (i.sizeQty9 * L.partialShareBps) / 10_000n,
      partial: true,
    };
  }
  return { liquidatable, backstop, orderSizeQty9: i.sizeQty9, partial: false };
}
