/**
 * Distance to liquidation in an underlying: the liquidation price generalized to books with
 * options and to portfolio margin, where no single market's mark explains the trigger.
 *
 * The underlying (a base asset) moves by x: every linear market on it is marked at mark·(1+x),
 * a collateral asset of the same id is priced at price·(1+x), every option on it is repriced by Black-76 at its underlying's moved mark with the volatility
 * its current mark implies (sticky strike; `fallbackVol` where the mark implies none), and the
 * scope's figures are evaluated exactly by the engine at those marks. The result is the nearest
 * move down and up at which the scope is liquidatable — found on a grid (so a non-monotone book,
 * e.g. a short straddle, reports its nearest crossing) and refined by bisection to 1e-6.
 * Float64 marks (risk screening); the engine evaluates them exactly.
 */
import type { ReadonlyEngineState } from '../model/state.ts';
import { black76Price, yearFraction } from '../pricing/black76.ts';
import { evaluate, isLiquidatable, maintenanceView, type ScopeView } from './figures.ts';
import { impliedVolOf, px } from './portfolio-scope.ts';
import { markOf } from './prices.ts';

export interface LiquidationCrossing {
  /** Fractional move of the underlying (−0.12 = −12%). */
  readonly move: number;
  /** The reference price at that move (quote per base unit). */
  readonly price: number;
}

export interface DistanceToLiquidation {
  readonly underlying: string;
  /** Mark of the market the distance is measured on (the options' underlying, else the first linear market). */
  readonly referenceMarket: string;
  readonly referencePrice: number;
  /** null: not liquidatable anywhere on that side (down to −99%, up to +1000%). */
  readonly down: LiquidationCrossing | null;
  readonly up: LiquidationCrossing | null;
}

const GRID_STEP = 0.005;
const MAX_DOWN = -0.99;
const MAX_UP = 10;

/** The bases a scope holds positions in, in position order. */
export function scopeUnderlyings(state: ReadonlyEngineState, view: ScopeView): string[] {
  const out: string[] = [];
  for (const p of view.positions) {
    const base = state.markets.get(p.market)!.config.base;
    if (p.size !== 0n && !out.includes(base)) out.push(base);
  }
  return out;
}

/** Marks of every market of `base` that the scope's positions depend on, after a move x. */
function movedMarks(state: ReadonlyEngineState, view: ScopeView, base: string, fallbackVol: number) {
  const nowMs = Math.max(state.timeMs, 1);
  const linear = new Map<string, number>();
  const options: {
    id: string;
    right: 'call' | 'put';
    strike: number;
    underlying: string;
    t: number;
    vol: number;
    /** Coin-settled: the mark is the quote value / F, in coin (bounded by 1 and K/F). */
    coin: boolean;
  }[] = [];
  for (const p of view.positions) {
    const m = state.markets.get(p.market)!;
    if (m.config.base !== base || p.size === 0n) continue;
    const terms = m.config.option;
    if (!terms) {
      linear.set(p.market, px(markOf(m)));
      continue;
    }
    const U = px(markOf(state.markets.get(terms.underlying)!));
    linear.set(terms.underlying, U);
    const strike = px(terms.strike);
    const t = yearFraction(nowMs, m.config.expiryMs!);
    const coin = terms.settlement === 'inverse';
    // a coin premium M is worth M·U in quote: the vol is the quote price's
    const vol = impliedVolOf(m, px(markOf(m)) * (coin ? U : 1), U, nowMs, fallbackVol);
    options.push({
      id: p.market,
      right: terms.right,
      strike,
      underlying: terms.underlying,
      t,
      vol,
      coin,
    });
  }
  const px8 = (x: number) => {
    const v = BigInt(Math.round(x * 1e8));
    return v > 0n ? v : 1n;
  };
  return (x: number): Map<string, bigint> => {
    const marks = new Map<string, bigint>();
    for (const [id, px] of linear) marks.set(id, px8(px * (1 + x)));
    for (const o of options) {
      const F = px(marks.get(o.underlying)!);
      const v = black76Price({
        kind: o.right,
        forward: F,
        strike: o.strike,
        timeYears: Math.max(o.t, 0),
        vol: o.vol,
      });
      // an option's mark never exceeds its no-arbitrage bound, nor rounds below zero
      const bound = o.right === 'call' ? F : o.strike;
      const mark = Math.min(v, bound) / (o.coin ? F : 1);
      marks.set(o.id, BigInt(Math.max(0, Math.round(mark * 1e8))));
    }
    return marks;
  };
}

/**
 * Nearest moves of `base` (down and up) at which the scope becomes liquidatable.
 * @example distanceToLiquidation(state, crossView(sub), 'BTC') // { down: { move: −0.083, price: 91,700 }, up: null, … }
 */
export function distanceToLiquidation(
  state: ReadonlyEngineState,
  view: ScopeView,
  base: string,
  fallbackVol = state.portfolio?.fallbackVol ?? 0.8,
): DistanceToLiquidation | null {
  const refPos = view.positions.find(
    (p) => state.markets.get(p.market)!.config.base === base && p.size !== 0n,
  );
  if (!refPos) return null;
  const refMarketState = state.markets.get(refPos.market)!;
  const referenceMarket = refMarketState.config.option?.underlying ?? refPos.market;
  const referencePrice = px(markOf(state.markets.get(referenceMarket)!));
  const marksAt = movedMarks(state, view, base, fallbackVol);
  // Collateral in the underlying moves with it (a yield-bearing token on it follows through its
  // exchange rate): a coin held against a short is as hedged here as in the figures.
  const coinPx8 = state.assetPricesPx8.get(base);
  const stateAt = (x: number): ReadonlyEngineState => {
    if (coinPx8 === undefined || x === 0) return state;
    const prices = new Map(state.assetPricesPx8);
    const moved = BigInt(Math.round(Number(coinPx8) * (1 + x)));
    prices.set(base, moved > 0n ? moved : 1n);
    return { ...state, assetPricesPx8: prices };
  };
  const maintenance = maintenanceView(view);
  const bad = (x: number) => isLiquidatable(evaluate(stateAt(x), maintenance, marksAt(x)));
  const crossing = (dir: -1 | 1): LiquidationCrossing | null => {
    if (bad(0)) return { move: 0, price: referencePrice };
    const limit = dir < 0 ? MAX_DOWN : MAX_UP;
    let safe = 0;
    for (let k = 1; ; k++) {
      // finer steps near the mark, coarser far away (the grid grows by 2% a step beyond ±10%)
      const x = dir * Math.min(Math.abs(limit), k <= 20 ? k * GRID_STEP : 0.1 * 1.02 ** (k - 20));
      if (bad(x)) {
        let lo = safe;
        let hi = x;
        while (Math.abs(hi - lo) > 1e-6) {
          const mid = (lo + hi) / 2;
          if (bad(mid)) hi = mid;
          else lo = mid;
        }
        return { move: hi, price: referencePrice * (1 + hi) };
      }
      safe = x;
      if (x === limit) return null;
    }
  };
  return { underlying: base, referenceMarket, referencePrice, down: crossing(-1), up: crossing(1) };
}
