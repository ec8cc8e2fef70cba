/**
 * The venues' closed-form liquidation prices of an inverse (coin-margined) position, exact on
 * rationals (the calculator shows them next to the engine's trigger). With n contracts of cv quote,
 * entry EP, the scope's other figures held fixed, equity in coin is
 *     E(P) = WB − TMM₁ + UPNL₁ + side·n·cv·(1/EP − 1/P)
 * and the liquidation price is the root of E(P) = MM(P):
 *
 * - MM on the mark notional n·cv/P (Binance COIN-M: MM = notional × MMR − cum):
 *     LP = n·cv·(MMR + side) / (WB − TMM₁ + UPNL₁ + cum + side·n·cv/EP)
 *   which is Binance's published  LP = (B·MMR + side·B) / ((WB + cum)/CM + side·B/EP)  with
 *   B·CM = n·cv; the bracket is the one holding the notional *at* LP (Binance's rule).
 * - MM on the entry notional n·cv/EP (Bybit inverse, BitMEX-style; requirementOn 'entry'):
 *     LP = n·cv / (side·(WB − TMM₁ + UPNL₁ − MM) + n·cv/EP)
 *   which is Bybit's  LP(long) = Q / (PV + (IM − MM)),  LP(short) = Q / (PV − (IM − MM))  with the
 *   isolated margin IM, and MCS/BitMEX's  EP·lev / (lev + 1 − MMR·lev)  for IM = PV / lev.
 */
import { add, cmp, div, mul, rat, sub, ZERO } from './rational.ts';
import type { ClosedFormResult, InversePositionInput } from './types.ts';

/** Binance COIN-M's one-way-mode liquidation price (module header), bracket at the price. */
export function inverseLiquidationPriceOnMark(p: InversePositionInput): ClosedFormResult {
  const side = rat(BigInt(p.side));
  const usd = mul(p.contracts, p.contractValue);
  const base = add(sub(p.walletBalance, p.otherMaintenance), p.otherUnrealizedPnl);
  const atEntry = mul(side, div(usd, p.entryPrice));
  for (let b = 0; b < p.ladder.length; b++) {
    const step = p.ladder[b]!;
    const num = mul(usd, add(step.mmr, side));
    const den = add(add(base, step.amount), atEntry);
    if (den.n === 0n) continue;
    const lp = div(num, den);
    if (cmp(lp, ZERO) <= 0) continue; // a short covered in coin has no liquidation price
    const notional = div(usd, lp);
    if (cmp(notional, step.floor) >= 0 && (step.cap === null || cmp(notional, step.cap) < 0))
      return { price: lp, bracket: b };
  }
  return { price: null, bracket: -1 };
}

/** Bybit's (and BitMEX-style) inverse liquidation price with MM on the entry notional (module header). */
export function inverseLiquidationPriceOnEntry(p: InversePositionInput): ClosedFormResult {
  const usd = mul(p.contracts, p.contractValue);
  const entryNotional = div(usd, p.entryPrice);
  let b = p.ladder.findIndex((s) => s.cap === null || cmp(entryNotional, s.cap) < 0);
  if (b < 0) b = p.ladder.length - 1;
  const step = p.ladder[b]!;
  const mm = sub(mul(entryNotional, step.mmr), step.amount);
  const margin = add(sub(p.walletBalance, p.otherMaintenance), p.otherUnrealizedPnl);
  const den = add(mul(rat(BigInt(p.side)), sub(margin, mm)), entryNotional);
  if (cmp(den, ZERO) <= 0) return { price: null, bracket: b };
  return { price: div(usd, den), bracket: b };
}
