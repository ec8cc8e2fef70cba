/**
 * Bybit's fee to close in a cross position's maintenance margin (market
 * `closeFeeInMaintenance`): the taker fee to close the position at its bankruptcy price.
 *
 * Bybit ("How to calculate Liquidation Price (Inverse Contract)", cross margin, a long of Q
 * contracts at EP with balance B): BP = (1 + fee)·Q / (Q/EP + B) — the price at which the
 * account's equity equals the fee to close there — and MM = Q/EP × MMR + Q × fee / BP.
 *
 * In one form for every position: let w be the position's signed value at the mark in the
 * settlement asset (entry value + unrealized PnL: + for a linear long or an inverse short, whose
 * equity rises one for one with w; − for a linear short or an inverse long, whose equity falls as
 * |w| rises), V = |w|, σ = sign(w), E the scope's equity. With the other prices held, E − σV is
 * fixed, so at the bankruptcy price E_bp = fee·V_bp gives V_bp = (V − σE)/(1 − σ·fee) and the fee
 * to close there is fee·V_bp. For Bybit's long: V = Q/P, σ = −1, fee·(Q/P + E)/(1 + fee) =
 * fee·(Q/EP + B)/(1 + fee) = Q·fee/BP exactly. Rounded up (against the account), never negative
 * (a scope already past bankruptcy on that side owes no positive fee term). With several
 * positions each term holds the other positions' prices, as the engine's own bankruptcy price of
 * one position does; Bybit publishes the one-position case.
 */
import { PPM } from '../num/index.ts';

/** What the fee term needs of a position's figures (figures.ts `PositionFigures`). */
export interface CloseFeeTerms {
  readonly entryValue: bigint;
  readonly unrealizedPnlQuote: bigint;
  readonly closeFeePpm?: bigint;
}

/** Σ over the positions that carry a close-fee rate of the fee to close at their bankruptcy price. */
export function closeFeeMaintenanceQuote(positions: readonly CloseFeeTerms[], equityQuote: bigint): bigint {
  let total = 0n;
  for (const p of positions) {
    const fee = p.closeFeePpm;
    if (fee === undefined || fee === 0n) continue;
    const w = p.entryValue + p.unrealizedPnlQuote;
    if (w === 0n) continue;
    const sigma = w > 0n ? 1n : -1n;
    const num = fee * (sigma * w - sigma * equityQuote);
    if (num <= 0n) continue;
    const den = PPM - sigma * fee;
    total += (num + den - 1n) / den;
  }
  return total;
}
