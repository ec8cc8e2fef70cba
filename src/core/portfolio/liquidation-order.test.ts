/**
 * Liquidation of portfolio accounts: greedy ordering by released requirement per unit cost, and
 * distance to liquidation in the main underlying (the liquidation price generalised).
 */
import { describe, expect, it } from 'vitest';
import { distanceToLiquidation, halfSpreadCost, liquidationOrder } from './liquidation-order.ts';
import { account, EXPIRY_30D, protectivePut, shortStraddle, snapshot } from './portfolio.testkit.ts';
import { aggregateRiskMatrix, buildRiskMatrix, portfolioMargin } from './risk-matrix.ts';
import { cryptoPmPreset } from './scenarios.ts';

const CFG = cryptoPmPreset();

describe('liquidationOrder', () => {
  it('protective_put_closes_the_future_before_its_hedge', () => {
    const plan = liquidationOrder(account(protectivePut(), 0), snapshot(), CFG);
    expect(plan.steps.map((s) => s.position)).toEqual(['fut', 'put']);
    // Closing the put first would leave the naked future: more requirement, so it comes last.
    expect(plan.steps[0]!.releasedInitial).toBeGreaterThan(0);
    expect(plan.steps.at(-1)!.initialMarginAfter).toBeCloseTo(0, 9);
    expect(plan.kept).toEqual([]);
  });

  it('prefers_more_release_per_unit_cost', () => {
    // Two independent naked positions with equal requirement; one costs ten times more to close.
    const acct = account([
      { type: 'perpetual', id: 'cheap', underlying: 'BTC', size: 1, entryPrice: 100_000 },
      { type: 'perpetual', id: 'dear', underlying: 'ETH', size: 25, entryPrice: 4_000 },
    ]);
    const cost = (p: { label: string; size: number; underlyingPrice: number }) =>
      (p.label === 'dear' ? 0.005 : 0.0005) * Math.abs(p.size) * p.underlyingPrice;
    const plan = liquidationOrder(acct, snapshot(), CFG, { cost });
    expect(plan.steps.map((s) => s.position)).toEqual(['cheap', 'dear']);
    expect(plan.steps[0]!.ratio).toBeCloseTo((0.5 * 16_000) / 50, 9);
  });

  it('recomputes_marginal_requirements_after_each_choice', () => {
    const acct = account(shortStraddle(0.1), 20_000);
    const snap = snapshot();
    const plan = liquidationOrder(acct, snap, CFG, {
      cost: halfSpreadCost({ linear: 0.0005, option: 0.0003 }),
    });
    const m = buildRiskMatrix(acct, snap, CFG);
    let remaining = acct.positions.map((_, i) => i);
    for (const step of plan.steps) {
      // The step's IM after equals a fresh evaluation of the positions left.
      remaining = remaining.filter((i) => i !== step.index);
      const mult = acct.positions.map((_, i) => (remaining.includes(i) ? 1 : 0));
      const fresh = aggregateRiskMatrix(m, { multipliers: mult }).initialMargin;
      expect(step.initialMarginAfter).toBeCloseTo(fresh, 6);
      expect(step.releasedInitial).toBeGreaterThan(0);
    }
    expect(plan.steps.at(-1)!.initialMarginAfter).toBeCloseTo(0, 6);
  });

  it('restored_after_reports_the_first_healthy_step', () => {
    const snap = snapshot();
    const acct = account(shortStraddle(), 0);
    const r = portfolioMargin(acct, snap, CFG);
    // Equity just below MM: one closing step should be enough.
    const short = account(shortStraddle(), r.maintenanceMargin - r.equity - 100);
    const plan = liquidationOrder(short, snap, CFG);
    expect(plan.health).toBeLessThan(0);
    expect(plan.restoredAfter).toBe(0);
    expect(plan.steps[0]!.healthAfter).toBeGreaterThanOrEqual(0);
    const im = liquidationOrder(short, snap, CFG, { target: 'initial' });
    expect(im.target).toBe('initial');
    expect(im.health).toBeLessThan(plan.health);
  });

  it('keep_holds_positions_out_of_the_order', () => {
    const acct = account([
      { type: 'perpetual', id: 'BTC balance', underlying: 'BTC', size: 1, entryPrice: 0 },
      {
        type: 'option',
        id: 'short call',
        underlying: 'BTC',
        kind: 'call',
        strike: 120_000,
        expiryMs: EXPIRY_30D,
        size: -1,
      },
    ]);
    const plan = liquidationOrder(acct, snapshot(), CFG, { keep: (p) => p.label === 'BTC balance' });
    expect(plan.steps.map((s) => s.position)).toEqual(['short call']);
    expect(plan.kept).toEqual(['BTC balance']);
  });

  it('zero_cost_closes_rank_first', () => {
    const acct = account(protectivePut());
    const plan = liquidationOrder(acct, snapshot(), CFG, { cost: () => 0 });
    expect(plan.steps[0]!.ratio).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects_a_negative_cost', () => {
    expect(() => liquidationOrder(account(protectivePut()), snapshot(), CFG, { cost: () => -1 })).toThrow(
      /cost/,
    );
  });
});

describe('distanceToLiquidation', () => {
  it('long_perpetual_matches_the_closed_form_liquidation_price', () => {
    // health(x) = C + q·S·x − ½·0.16·q·S·(1 + x) = 0  →  x = (0.08·q·S − C) / (0.92·q·S).
    const C = 20_000;
    const acct = account([{ type: 'perpetual', underlying: 'BTC', size: 1, entryPrice: 100_000 }], C);
    const d = distanceToLiquidation(acct, snapshot(), CFG, 'BTC', { tolerance: 1e-9 });
    const x = (8_000 - C) / 92_000;
    expect(d.down!.move).toBeCloseTo(x, 7);
    expect(d.down!.price).toBeCloseTo(100_000 * (1 + x), 2);
    expect(d.up).toBeNull();
    expect(d.nearest).toMatchObject({ direction: 'down' });
    expect(d.health).toBeCloseTo(C - 8_000, 6);
  });

  it('short_straddle_can_be_liquidated_both_ways', () => {
    const snap = snapshot();
    const r = portfolioMargin(account(shortStraddle()), snap, CFG);
    const acct = account(shortStraddle(), r.maintenanceMargin - r.equity + 10_000);
    const d = distanceToLiquidation(acct, snap, CFG);
    expect(d.underlying).toBe('BTC');
    expect(d.down!.move).toBeLessThan(0);
    expect(d.up!.move).toBeGreaterThan(0);
    expect(Math.abs(d.nearest!.move)).toBe(Math.min(-d.down!.move, d.up!.move));
    expect(d.health).toBeCloseTo(10_000, 6);
  });

  it('already_liquidatable_is_distance_zero', () => {
    const d = distanceToLiquidation(account(shortStraddle(), 0), snapshot(), CFG, 'BTC');
    expect(d.nearest).toEqual({ move: 0, price: 100_000, direction: 'now' });
  });

  it('correlated_underlying_moves_with_beta', () => {
    // Long BTC, short ETH of the same notional; paired with beta 1 they offset and never liquidate
    // on a joint move within the search range, while unpaired the BTC leg alone does.
    const positions = [
      { type: 'perpetual' as const, underlying: 'BTC', size: 1, entryPrice: 100_000 },
      { type: 'perpetual' as const, underlying: 'ETH', size: -25, entryPrice: 4_000 },
    ];
    const acct = account(positions, 40_000);
    const paired = { ...CFG, correlations: [{ a: 'BTC', b: 'ETH', credit: 1, beta: 1 }] };
    const alone = distanceToLiquidation(acct, snapshot(), CFG, 'BTC');
    const together = distanceToLiquidation(acct, snapshot(), paired, 'BTC', { maxUp: 1 });
    expect(alone.down).not.toBeNull();
    expect(together.down).toBeNull();
    expect(together.up).toBeNull();
  });

  it('no_positions_no_distance', () => {
    const d = distanceToLiquidation(account([], 5), snapshot(), CFG);
    expect(d.underlying).toBeNull();
    expect(d.nearest).toBeNull();
  });

  it('option_book_crossing_is_where_equity_meets_mm', () => {
    const acct = account(
      [{ type: 'option', underlying: 'BTC', kind: 'put', strike: 90_000, expiryMs: EXPIRY_30D, size: -2 }],
      30_000,
    );
    const snap = snapshot();
    const d = distanceToLiquidation(acct, snap, CFG, 'BTC', { tolerance: 1e-8 });
    const at = portfolioMargin(
      acct,
      {
        ...snap,
        underlyings: { ...snap.underlyings, BTC: { ...snap.underlyings.BTC!, spot: d.down!.price } },
      },
      CFG,
    );
    expect(Math.abs(at.equity - at.maintenanceMargin)).toBeLessThan(1);
  });
});
