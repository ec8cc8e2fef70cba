/**
 * Bybit's published isolated-margin liquidation price ("Liquidation Price Calculation under
 * Isolated Mode (Unified Trading Account)"), on Bybit's own inputs, re-implemented exactly on
 * rationals as an independent check of the engine: a test reference only.
 *
 *     long:  LP = EP − (IM − MM) / size − extraMargin / size
 *     short: LP = EP + (IM − MM) / size + extraMargin / size
 *     IM = size × EP / leverage,  MM = size × EP × MMR − deduction
 *
 * The tests check it on freqtrade's Bybit cases (test/vectors/cex_liquidation_price.json), next
 * to the engine's trigger on the bybit-usdt preset (`requirementOn: 'entry'`) and the
 * calculator's closed form of the same formula (presets/bybit-usdt.ts).
 *
 * Source: https://www.bybit.com/en/help-center/article/Liquidation-Price-Calculation-under-Isolated-Mode-Unified-Trading-Account
 */
import { add, cmp, div, mul, type Rational, sub, ZERO } from '../presets/rational.ts';

export interface BybitIsolatedInput {
  readonly side: 1 | -1;
  readonly entryPrice: Rational;
  readonly size: Rational;
  readonly leverage: Rational;
  readonly maintenanceMarginRate: Rational;
  readonly mmDeduction?: Rational;
  readonly extraMargin?: Rational;
}

/** Bybit's published isolated liquidation price (module header), exactly; null when ≤ 0. */
export function bybitIsolatedLiquidationPrice(i: BybitIsolatedInput): Rational | null {
  const im = div(mul(i.size, i.entryPrice), i.leverage);
  const mm = sub(mul(mul(i.size, i.entryPrice), i.maintenanceMarginRate), i.mmDeduction ?? ZERO);
  const shift = div(add(sub(im, mm), i.extraMargin ?? ZERO), i.size);
  const lp = i.side === 1 ? sub(i.entryPrice, shift) : add(i.entryPrice, shift);
  return cmp(lp, ZERO) > 0 ? lp : null;
}
