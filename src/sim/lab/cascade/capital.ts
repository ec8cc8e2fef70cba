/**
 * Capital efficiency of the traders: Σ initial margin over Σ notional across every scope they
 * hold (exact figures), and — for a policy with an account-level requirement (the portfolio
 * policy) — the same at the account level, with the hedged (cash-and-carry) traders apart.
 */
import { personalInitialMargin } from '../../../analytics/personal-margin.ts';
import { crossView, evaluate, isolatedView, positionRequirement } from '../../../core/account/figures.ts';
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

/** One position of the opening book: its signed size and leverage setting (ppm; undefined: none). */
export interface BookEntry {
  readonly size: bigint;
  readonly cap: bigint | undefined;
}

/** The traders' positions at the start (the book whose requirement `bookRatio` prices later). */
export function openingBook(state: ReadonlyEngineState, traderKeys: Iterable<string>): BookEntry[] {
  const out: BookEntry[] = [];
  for (const key of traderKeys) {
    const s = state.subaccounts.get(key);
    const p = s?.positions.get(MARKET);
    if (!s || !p || p.size === 0n) continue;
    out.push({ size: p.size, cap: s.maxLeverage.get(MARKET) });
  }
  return out;
}

/**
 * IM/OI of the **opening book** under the market's requirement of the moment (the policy's ratios
 * as they are now, at the mark now): Σ IM / Σ notional of the start's positions, whatever has
 * been liquidated or added since. Unlike the traders' IM/OI it is not re-weighted toward the
 * survivors, so it rises with a policy's ratios at every sample (exact engine figures; the ratio
 * is a float).
 */
export function bookRatio(state: ReadonlyEngineState, book: readonly BookEntry[]): number {
  const market = state.markets.get(MARKET)!;
  const mark = market.markPx8!;
  let im = 0n;
  let notional = 0n;
  for (const e of book) {
    const r = positionRequirement(state, market, e.size, mark, e.cap);
    im += r.initialQuote;
    notional += r.notionalQuote;
  }
  return notional > 0n ? Number(im) / Number(notional) : 0;
}

/**
 * At the start: the well-behaved traders' own figures (they pay the engine's IM, no add-on), and
 * every trader's requirement with the policy's per-account add-on (`personalInitialMargin`).
 */
export function personalFigures(
  state: ReadonlyEngineState,
  pop: Population,
  addOnPpm: ((t: Population['traders'][number]) => number) | undefined,
  wellBehaved: (t: Population['traders'][number]) => boolean,
): NonNullable<CascadeMetrics['capitalEfficiency']['personal']> {
  const qd = state.settlement.decimals;
  let wIm = 0n;
  let wNotional = 0n;
  let wCollateral = 0n;
  let wTraders = 0;
  let charged = 0;
  let reqIm = 0n;
  let notional = 0n;
  for (const t of pop.traders) {
    if (!t.opened) continue;
    const f = traderFigures(state, [subaccountKey(t.ref)]);
    const a = addOnPpm?.(t) ?? 0;
    if (a > 0) charged++;
    reqIm += personalInitialMargin(f.im, a);
    notional += f.notional;
    if (wellBehaved(t)) {
      wTraders++;
      wIm += f.im;
      wNotional += f.notional;
      wCollateral += BigInt(Math.round(Number(t.collateralUsd) * 100)) * 10n ** BigInt(qd - 2);
    }
  }
  const usd = (v: bigint) => Number(v) / 10 ** qd;
  return {
    wellBehaved: {
      traders: wTraders,
      initialMargin: usd(wIm),
      notional: usd(wNotional),
      ratio: wNotional > 0n ? Number(wIm) / Number(wNotional) : 0,
      notionalPerCollateral: wCollateral > 0n ? Number(wNotional) / Number(wCollateral) : 0,
    },
    charged,
    requiredRatio: notional > 0n ? Number(reqIm) / Number(notional) : 0,
  };
}
