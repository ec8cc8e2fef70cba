/**
 * The anti-cascade mechanisms on a hand-made book: a ladder of USDC longs whose liquidation
 * prices are far apart, one exogenous drop that reaches only the first rung, and a thin book in
 * which the backstop's sale of that rung reaches the next ones — a cascade by construction.
 *
 * Why throttling must stop it (derivation): a long opened at P0 with leverage L on USDC
 * collateral c = P0·q/L is liquidatable when c + q(P − P0) < m·q·P, i.e. P < P0 (1 − 1/L)/(1 − m).
 * With the maintenance ratio m = 0.5 %: L = 50 → 1.51 % below P0, L = 30 → 2.51 %, L = 25 → 3.52 %,
 * L = 20 → 4.52 % (sizing to the IM and a taker fee only opens slightly smaller positions, which
 * moves these further away). The path drops 1.8 %: only the 50× rung. With the throttle at 0.3 %
 * the book's mid, and so the mark, never goes more than 0.3 % below the path: at most
 * 1.8 % + 0.3 % × 0.982 ≈ 2.09 % below P0, above the 30× rung's 2.51 % — no liquidation can be
 * induced, so the peak cascade depth is 1. Without it the backstop may push the mark 10 % down.
 */
import { describe, expect, it } from 'vitest';
import {
  BookModel,
  NO_GAP,
  NO_THINNING,
  parametricDepthSource,
} from '../../analytics/liquidity/depth-model.ts';
import type { TraderIntent } from '../population.ts';
import { arrayPoints, runCascade } from './cascade-sim.ts';
import {
  type AntiCascadeMechanism,
  MECHANISM_NAMES,
  mechanismByName,
  parseMechanisms,
} from './mechanisms.ts';
import { staticPolicy } from './policies.ts';

const LADDER = [50, 30, 25, 20, 15];
const intents: TraderIntent[] = LADDER.flatMap((leverage, rung) =>
  Array.from({ length: 3 }, (_, j) => ({
    ref: { account: `rung-${rung}-${j}`, sub: '0' },
    side: 'long' as const,
    leverage,
    isolated: false,
    collateral: 'USDC' as const,
    collateralUsd: '20000.00',
    btcSharePpm: 0n,
    whale: false,
  })),
);
// A minute at 60,000, then −1.8 % held for four minutes (15-s points).
const path = arrayPoints(
  [...Array(4).fill('60000'), ...Array(16).fill('58920')],
  Date.UTC(2025, 0, 1),
  15_000,
);
const policy = () => staticPolicy('ladder', '0.01', '0.005');
const book = () =>
  new BookModel(parametricDepthSource({ depthPerPct: 4, exponent: 1 }), {
    thinning: NO_THINNING,
    gap: NO_GAP,
  });
const run = (mechanism?: AntiCascadeMechanism) =>
  runCascade({
    path,
    intents,
    policy: policy(),
    book: book(),
    insuranceSeed: '1000',
    ...(mechanism ? { mechanism } : {}),
  }).metrics;

describe('anti-cascade mechanisms on a hand-made ladder', () => {
  const none = run();

  it('without a mechanism the first rung’s sale cascades', () => {
    expect(none.cascade.peakDepth).toBeGreaterThanOrEqual(2);
    expect(none.cascade.maxDisplacement).toBeLessThan(-0.003);
    expect(none.conservation.ok).toBe(true);
  });

  it('throttling provably stops the cascade: depth 1 and the mark within the bound', () => {
    const m = run({ name: 't', description: '', throttle: { slippage: 0.003 } });
    expect(m.cascade.peakDepth).toBe(1);
    expect(m.cascade.maxDisplacement).toBeGreaterThanOrEqual(-0.003 - 1e-9);
    expect(m.liquidations.count).toBeGreaterThan(0);
    expect(m.cascade.peakDepth).toBeLessThan(none.cascade.peakDepth);
    expect(m.mechanism?.name).toBe('t');
    expect(m.conservation.ok).toBe(true);
  });

  it('the breaker trips at the bound; the auction sells outside the book; the penalty switches', () => {
    const b = run({ name: 'b', description: '', breaker: { maxDepth: 1, pauseMs: 60_000 } });
    expect(b.mechanism!.breakerTrips).toBeGreaterThan(0);
    expect(b.conservation.ok).toBe(true);
    const a = run({ name: 'a', description: '', auction: { capacityShare: 10, discount: 0.01 } });
    expect(a.mechanism!.auctionFills).toBeGreaterThan(0);
    expect(Number(a.mechanism!.auctionQty)).toBeGreaterThan(0);
    // Bidders with ample capacity absorb what the book would have taken: the mark moves less.
    expect(a.cascade.maxDisplacement).toBeGreaterThan(none.cascade.maxDisplacement);
    expect(a.conservation.ok).toBe(true);
    const p = run({
      name: 'p',
      description: '',
      penalty: { displacementAbove: 0.002, minPenalty: '0.001', maxPenalty: '0.002' },
    });
    expect(p.mechanism!.penaltySwitches).toBeGreaterThan(0);
    expect(p.conservation.ok).toBe(true);
  });
});

describe('mechanism names', () => {
  it('parses lists and refuses unknown, repeated and `none`', () => {
    expect(parseMechanisms('throttle, breaker')).toEqual(['throttle', 'breaker']);
    expect(parseMechanisms('all')).toEqual([...MECHANISM_NAMES]);
    expect(mechanismByName('none')).toBeUndefined();
    for (const bad of ['', 'nope', 'throttle,throttle', 'none'])
      expect(() => parseMechanisms(bad)).toThrow(RangeError);
  });
});
