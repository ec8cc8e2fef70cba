/**
 * Position arithmetic: what a trade does to (size, entryValue) and how much PnL
 * it realizes. Exact and conserving: for each side,
 *   Δbalance − ΔentryValue = −tradeValue,
 * and the buyer's tradeValue is the seller's with opposite sign, so trades never
 * create or destroy a unit (INV-01).
 */
import { signedValueQuote } from '../margin/notional.ts';
import { mulDiv } from '../num/index.ts';

export interface TradeResult {
  size: bigint;
  entryValue: bigint;
  /** PnL realized into the balance (quote units, signed). */
  realized: bigint;
}

/**
 * Applies a trade of `qtyDelta` (signed: + buys) worth `value` (signed quote units,
 * same sign as qtyDelta) to a position (size, entryValue).
 */
export function applyTrade(size: bigint, entryValue: bigint, qtyDelta: bigint, value: bigint): TradeResult {
  if (qtyDelta === 0n) return { size, entryValue, realized: 0n };
  const increasing = size === 0n || size > 0n === qtyDelta > 0n;
  if (increasing) return { size: size + qtyDelta, entryValue: entryValue + value, realized: 0n };
  const absSize = size < 0n ? -size : size;
  const absDelta = qtyDelta < 0n ? -qtyDelta : qtyDelta;
  const closeAbs = absDelta < absSize ? absDelta : absSize;
  // Split the trade value into the part that closes and the part that opens the flip.
  const closeValue = closeAbs === absDelta ? value : mulDiv(value, closeAbs, absDelta, 'trunc');
  const openValue = value - closeValue;
  const remaining = size + (qtyDelta > 0n ? closeAbs : -closeAbs);
  // The entry value kept is pro-rata; what is removed is the exact difference.
  const keptEntry = remaining === 0n ? 0n : mulDiv(entryValue, remaining, size, 'trunc');
  const removedEntry = entryValue - keptEntry;
  const realized = -closeValue - removedEntry;
  return { size: size + qtyDelta, entryValue: keptEntry + openValue, realized };
}

/** Signed value size × price in quote units (see margin/notional.ts for the derivation). */
export const positionValue = signedValueQuote;
