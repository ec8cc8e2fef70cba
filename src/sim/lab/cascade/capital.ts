/**
 * Capital efficiency of the traders: Σ initial margin over Σ notional across every scope they
 * hold (exact figures), and — for a policy with an account-level requirement (the portfolio
 * policy) — the same at the account level, with the hedged (cash-and-carry) traders apart.
 */
import { crossView, evaluate, isolatedView } from '../../../core/account/figures.ts';
import { type ReadonlyEngineState, subaccountKey } from '../../../core/model/state.ts';
import { divRound } from '../../../core/num/index.ts';
import type { Population } from '../../population.ts';
import { MARKET } from '../../venue.ts';
import type { MarginPolicy } from '../policies.ts';
import type { CascadeMetrics } from './types.ts';

export interface TraderFigures {
  readonly im: bigint;
  readonly notional: bigint;
  readonly ratio: number;
}

/** Σ IM and Σ notional over every scope of `traderKeys`; ratio = IM / notional. */
export function traderFigures(state: ReadonlyEngineState, traderKeys: Iterable<string>): TraderFigures {
  let im = 0n;
  let notional = 0n;
  for (const key of traderKeys) {
    const s = state.subaccounts.get(key);
    if (!s || s.positions.size === 0) continue;
    const views = [crossView(s)];
    for (const p of s.positions.values()) if (p.isolated) views.push(isolatedView(state, s, p.market));
    for (const v of views) {
      if (v.positions.length === 0) continue;
      const f = evaluate(state, v);
      im += f.initialMarginQuote;
      for (const p of f.positions) notional += p.notionalQuote;
    }
  }
  return { im, notional, ratio: notional > 0n ? Number(im) / Number(notional) : 0 };
}

/** The account-level figures at the start, for a policy with `accountInitialMargin`; else undefined. */
export function accountLevelFigures(
  policy: MarginPolicy,
  state: ReadonlyEngineState,
  pop: Population,
  start: TraderFigures,
  portfolioAccounts: number,
): CascadeMetrics['capitalEfficiency']['accountLevel'] {
  const req = policy.accountInitialMargin;
  if (!req) return undefined;
  const qd = state.settlement.decimals;
  const market = state.markets.get(MARKET)!;
  let total = 0;
  const hedged = { traders: 0, engineIm: 0, accountIm: 0 };
  for (const t of pop.traders) {
    if (!t.opened) continue;
    const key = subaccountKey(t.ref);
    const im = req.call(policy, state, key) ?? 0; // whole USDC (float screening figure)
    total += im;
    if (t.hedged) {
      // The market model's IM alone (the leverage-1 setting of these traders would cap it at 100 %).
      const pos = state.subaccounts.get(key)!.positions.get(MARKET)!;
      const abs = pos.size < 0n ? -pos.size : pos.size;
      const r = market.model.requirement(
        { sizeQty9: abs, notionalQuote: divRound(abs * market.markPx8!, 10n ** BigInt(17 - qd), 'ceil') },
        { openInterestQuote: 0n },
      );
      hedged.traders++;
      hedged.engineIm += Number(r.initialQuote) / 10 ** qd;
      hedged.accountIm += im;
    }
  }
  const notional = Number(start.notional) / 10 ** qd;
  return { initialMargin: total, ratio: notional > 0 ? total / notional : 0, hedged, portfolioAccounts };
}
