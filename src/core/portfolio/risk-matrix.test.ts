/**
 * Risk-matrix portfolio margin: the hedged books (long future + long put; delta-hedged short straddle) on every preset, and the published
 * worked numbers (test/vectors/portfolio_margin_published.json): Dederi's futures P&L table and
 * contingency, Paradex's minimum delta example, Deribit's net-short-per-strike contingency,
 * McMillan's SPAN risk arrays.
 */
import { describe, expect, it } from 'vitest';
import pub from '../../../test/vectors/portfolio_margin_published.json' with { type: 'json' };
import { InvariantError } from '../num/index.ts';
import { black76Price } from '../pricing/black76.ts';
import { normalInv } from '../pricing/normal.ts';
import {
  PortfolioInputError,
  type PortfolioPositionInput,
  parseMarketSnapshot,
  parseMarketSnapshotUnsafe,
  parsePortfolioAccount,
  valuePosition,
} from './model.ts';
import {
  account,
  DAY_MS,
  EXPIRY_30D,
  NOW_MS,
  protectivePut,
  shortStraddle,
  snapshot,
} from './portfolio.testkit.ts';
import {
  aggregateRiskMatrix,
  buildRiskMatrix,
  portfolioMargin,
  type RiskMatrix,
  standaloneRequirements,
} from './risk-matrix.ts';
import {
  cryptoPmPreset,
  type PortfolioMarginConfig,
  paradexPmPreset,
  parsePortfolioMarginConfigUnsafe,
  scenarioTemplates,
  span16Preset,
} from './scenarios.ts';
import { DERIBIT_BTC_LINEAR, DERIBIT_OPTIONS, standardMargin } from './standard-options.ts';

const PRESETS: [string, PortfolioMarginConfig][] = [
  ['crypto-pm', cryptoPmPreset()],
  ['paradex-pm', paradexPmPreset()],
  ['span-16', span16Preset({ priceScanRange: 0.16 })],
];

/** A delta-neutral short straddle: hedge with −(net delta) of a future. */
function hedgedStraddle(cfg: PortfolioMarginConfig) {
  const net = portfolioMargin(account(shortStraddle()), snapshot(), cfg).underlyings[0]!.netDelta;
  return account(shortStraddle(-net));
}

describe('hedged books', () => {
  for (const [name, cfg] of PRESETS) {
    it(`${name}: long_future_plus_long_put`, () => {
      const acct = account(protectivePut());
      const m = buildRiskMatrix(acct, snapshot(), cfg);
      const r = aggregateRiskMatrix(m);
      const alone = standaloneRequirements(m);
      const std = standardMargin(acct, snapshot(), { option: DERIBIT_OPTIONS, linear: DERIBIT_BTC_LINEAR });
      expect(r.initialMargin).toBeLessThan(0.4 * alone.sum);
      expect(r.initialMargin).toBeGreaterThanOrEqual(r.largestScenarioLoss);
      expect(r.initialMargin).toBeGreaterThanOrEqual(Math.max(...r.underlyings.map((u) => u.scanRisk)));
      expect(r.largestScenarioLoss).toBeGreaterThan(0);
      // The future alone loses the whole range on the way down; the put caps that.
      expect(alone.positions[0]!.initialMargin).toBeGreaterThanOrEqual(0.16 * 100_000 * (1 - 1e-12));
      expect(r.underlyings[0]!.worstScenario!.priceMove).toBeLessThan(0);
      expect(r.maintenanceMargin).toBeCloseTo(cfg.maintenanceFraction * r.initialMargin, 9);
      expect(std.initialMargin).toBeGreaterThan(0);
    });

    it(`${name}: short_straddle_delta_hedged_with_a_future`, () => {
      const acct = hedgedStraddle(cfg);
      const m = buildRiskMatrix(acct, snapshot(), cfg);
      const r = aggregateRiskMatrix(m);
      const alone = standaloneRequirements(m);
      const std = standardMargin(acct, snapshot(), { option: DERIBIT_OPTIONS, linear: DERIBIT_BTC_LINEAR });
      expect(Math.abs(r.underlyings[0]!.netDelta)).toBeLessThan(1e-9);
      // The call's worst case is a rally, the put's a crash: the book needs one of the two.
      expect(r.initialMargin).toBeLessThan(0.6 * alone.sum);
      expect(r.initialMargin).toBeLessThan(0.6 * std.initialMargin);
      expect(r.initialMargin).toBeGreaterThanOrEqual(r.largestScenarioLoss);
    });
  }

  it('crypto-pm_figures_of_the_protective_put', () => {
    const r = portfolioMargin(account(protectivePut()), snapshot(), cryptoPmPreset());
    const u = r.underlyings[0]!;
    // Worst: −16% with vol down (the put loses vega while the future loses 16,000).
    expect(u.worstScenario).toMatchObject({ id: '-100%R/vol-1', priceMove: -0.16, volShock: -1 });
    expect(r.groups[0]!.binding).toBe('scan');
    expect(u.deltaContingency).toBeGreaterThan(0);
    expect(r.shortOptionMinimum).toBe(0);
    expect(r.initialMargin).toBeGreaterThan(5_000);
    expect(r.initialMargin).toBeLessThan(8_000);
  });
});

describe('published worked numbers', () => {
  it('dederi_futures_pnl_table_and_contingency', () => {
    const d = pub.dederi_futures_example;
    const expiryMs = NOW_MS + d.inputs.days * DAY_MS;
    const snap = parseMarketSnapshotUnsafe({
      nowMs: NOW_MS,
      underlyings: {
        ETH: { spot: d.inputs.index, basisRate: d.inputs.basisRate, vol: { kind: 'flat', vol: 0.6 } },
      },
    });
    const cfg = parsePortfolioMarginConfigUnsafe({
      name: 'dederi-futures',
      core: { priceMoves: d.inputs.shocks.map((s) => s / 0.15), volShocks: [0] },
      priceRange: { default: 0.15 },
      vol: { up: 0, down: 0 },
      // Dederi's FutureContingency = factor × I0 × Σ|Q| = net·factor + hedged·2·factor on futures deltas.
      deltaContingency: {
        netRate: d.inputs.contingencyFactor,
        hedgedRate: 2 * d.inputs.contingencyFactor,
        mode: 'addOn',
      },
      maintenanceFraction: 1,
    });
    const acct = account([
      { type: 'future', underlying: 'ETH', size: d.inputs.size, entryPrice: 2253.2, expiryMs },
    ]);
    const v = valuePosition(acct.positions[0]!, snap);
    expect(Math.abs(v.underlyingPrice - d.expected.forward)).toBeLessThan(d.tolerance.forward);
    const r = portfolioMargin(acct, snap, cfg, { includeMatrix: true });
    r.matrix!.rows.forEach((row, i) => {
      expect(Math.abs(row.pnl[0]! - d.expected.pnl[i]!)).toBeLessThanOrEqual(d.tolerance.pnl);
    });
    expect(Math.abs(r.deltaContingency - d.expected.contingency)).toBeLessThan(d.tolerance.contingency);
    expect(r.initialMargin).toBeCloseTo(-d.expected.pnl[0]! + r.deltaContingency, -1);
  });

  it('paradex_min_delta_example', () => {
    const e = pub.paradex_min_delta_example;
    const S = e.inputs.spot;
    const T = 30 / 365;
    const vol = 0.6;
    // The strike whose forward call delta is 0.3: N(d1) = 0.3.
    const s = vol * Math.sqrt(T);
    const strike = S * Math.exp(-(normalInv(0.3) - s / 2) * s);
    const snap = parseMarketSnapshotUnsafe({
      nowMs: NOW_MS,
      underlyings: { BTC: { spot: S, vol: { kind: 'flat', vol } } },
    });
    const acct = account([
      { type: 'perpetual', underlying: 'BTC', size: 1, entryPrice: S },
      { type: 'option', underlying: 'BTC', kind: 'call', strike, expiryMs: NOW_MS + 30 * DAY_MS, size: -5 },
    ]);
    const u = portfolioMargin(acct, snap, paradexPmPreset()).underlyings[0]!;
    expect(u.netDelta).toBeCloseTo(e.expected.netDelta, 9);
    expect(u.grossDelta).toBeCloseTo(e.expected.grossDelta, 9);
    expect(u.hedgedDelta).toBeCloseTo(e.expected.hedgedDelta, 9);
    expect(u.deltaContingency).toBeCloseTo(e.expected.minDeltaRisk, 6);
  });

  it('deribit_net_short_options_per_strike', () => {
    const e = pub.deribit_net_short_per_strike_example;
    const acct = account(
      e.positions.map(
        (p): PortfolioPositionInput => ({
          type: 'option',
          underlying: 'BTC',
          kind: p.kind as 'call' | 'put',
          strike: 100_000,
          expiryMs: EXPIRY_30D,
          size: p.size,
          settlement: 'inverse',
        }),
      ),
    );
    const u = portfolioMargin(acct, snapshot(), cryptoPmPreset()).underlyings[0]!;
    expect(u.shortContracts).toBe(e.expected.netShortContracts);
    expect(u.shortOptionMinimum / u.spot).toBeCloseTo(e.expected.contingencyCoin, 12);
    // Without netting per strike every short contract counts.
    const gross = {
      ...cryptoPmPreset(),
      shortOptionMinimum: { ratePerContract: 0.01, netPerStrike: false, mode: 'addOn' as const },
    };
    expect(portfolioMargin(acct, snapshot(), gross).underlyings[0]!.shortContracts).toBe(20);
  });

  it('mcmillan_span_future_risk_array', () => {
    const m = pub.mcmillan_span_arrays;
    const c = m.contract;
    const cfg = span16Preset({
      priceScanRange: c.priceScanRangePoints / c.future,
      extremeMultiple: c.extremeMultiple,
    });
    const snap = parseMarketSnapshotUnsafe({
      nowMs: NOW_MS,
      underlyings: { SP: { spot: c.future, vol: { kind: 'flat', vol: 0.2 } } },
    });
    const acct = account([{ type: 'perpetual', underlying: 'SP', size: c.pointValue, entryPrice: c.future }]);
    const r = portfolioMargin(acct, snap, cfg, { includeMatrix: true });
    r.matrix!.rows.forEach((row, i) => {
      expect(Math.abs(row.weightedTotal - m.arrays.long_future[i]!)).toBeLessThanOrEqual(
        m.futureArrayTolerance,
      );
    });
    expect(r.initialMargin).toBeCloseTo(m.expected.long_future, 6);
  });

  it('mcmillan_span_arrays_add_up', () => {
    const m = pub.mcmillan_span_arrays;
    const { long_future: fut, long_dec_410_call: call, covered_write: cw } = m.arrays;
    fut.forEach((f, i) => {
      expect(f - call[i]!).toBe(cw[i]);
    });
    const im = (rows: number[][]) => aggregateRiskMatrix(arraysMatrix(rows)).initialMargin;
    expect(im([fut])).toBe(m.expected.long_future);
    expect(im([call])).toBe(m.expected.long_dec_410_call);
    expect(im([fut, call.map((x) => -x)])).toBe(m.expected.covered_write);
  });
});

/** A risk matrix made of given SPAN risk arrays (already weighted), one position per array. */
function arraysMatrix(rows: number[][]): RiskMatrix {
  const config = { ...span16Preset({ extremeMultiple: 2 }), shortOptionMinimum: null };
  const nS = 16;
  return {
    config,
    scenarios: scenarioTemplates(config),
    weights: new Float64Array(nS).fill(1),
    underlyings: [{ id: 'SP', spot: 400, priceRange: 0.05, moves: new Float64Array(nS) }],
    positions: rows.map((_, i) => ({
      index: i,
      label: `array${i}`,
      type: 'future' as const,
      underlyingIndex: 0,
      size: 1,
      value: 0,
      delta: 0,
      strikeGroup: -1,
      underlyingPrice: 400,
      spot: 400,
      unitPremium: 0,
    })),
    strikeGroupUnderlying: new Int32Array(0),
    pnl: Float64Array.from(rows.flat()),
    groups: [{ members: [0], credit: 0 }],
    groupOf: Int32Array.from([0]),
    revaluations: 0,
    equity: 0,
  };
}

describe('aggregation', () => {
  const pairBook = () =>
    account([
      { type: 'perpetual', underlying: 'BTC', size: 1, entryPrice: 100_000 },
      { type: 'perpetual', underlying: 'ETH', size: -25, entryPrice: 4_000 },
    ]);

  it('uncorrelated_underlyings_add_their_worst_cases', () => {
    const r = portfolioMargin(pairBook(), snapshot(), cryptoPmPreset());
    expect(r.groups).toHaveLength(2);
    expect(r.initialMargin).toBeCloseTo(r.scanRisk, 6);
    expect(r.scanRisk).toBeCloseTo(0.16 * 100_000 + 0.16 * 100_000, 6);
  });

  it('correlation_credit_interpolates_between_sum_and_joint', () => {
    const withCredit = (credit: number) =>
      portfolioMargin(pairBook(), snapshot(), {
        ...cryptoPmPreset(),
        correlations: [{ a: 'BTC', b: 'ETH', credit, beta: 1 }],
      });
    const none = withCredit(0);
    const full = withCredit(1);
    const half = withCredit(0.5);
    // Long BTC vs short ETH of equal notional: moved together they offset exactly.
    expect(full.groups).toHaveLength(1);
    expect(full.groups[0]!.jointLoss).toBeCloseTo(0, 6);
    expect(none.initialMargin).toBeCloseTo(32_000, 6);
    // (1 − c)·(16,000 + 16,000) + c·joint, joint = 0.
    expect(half.initialMargin).toBeCloseTo(16_000, 6);
    expect(half.correlationCredit).toBeCloseTo(16_000, 6);
    // Fully offset, the delta floor still holds: 2% × |net δ| × S on each leg (1 BTC, 25 ETH).
    expect(full.initialMargin).toBeCloseTo(0.02 * 100_000 + 0.02 * 25 * 4_000, 6);
    expect(full.groups[0]!.binding).toBe('deltaFloor');
  });

  it('offsetting_linear_legs_bind_the_hedged_delta_floor', () => {
    const acct = account([
      { type: 'perpetual', underlying: 'BTC', size: 2, entryPrice: 100_000 },
      { type: 'future', underlying: 'BTC', size: -2, entryPrice: 100_000, expiryMs: EXPIRY_30D },
    ]);
    const r = portfolioMargin(acct, snapshot(), cryptoPmPreset());
    expect(r.scanRisk).toBeCloseTo(0, 6);
    expect(r.underlyings[0]!.hedgedDelta).toBeCloseTo(2, 12);
    expect(r.initialMargin).toBeCloseTo(0.01 * 2 * 100_000, 6);
    expect(r.groups[0]!.binding).toBe('deltaFloor');
  });

  it('matrix_view_rows_sum_the_underlyings', () => {
    const acct = account([
      ...protectivePut(),
      { type: 'perpetual', underlying: 'ETH', size: 3, entryPrice: 4_000 },
    ]);
    const r = portfolioMargin(acct, snapshot(), cryptoPmPreset(), { includeMatrix: true });
    const mv = r.matrix!;
    expect(mv.underlyings).toEqual(['BTC', 'ETH']);
    expect(mv.rows).toHaveLength(35);
    for (const row of mv.rows) {
      expect(row.total).toBeCloseTo(row.pnl[0]! + row.pnl[1]!, 6);
      expect(row.weightedTotal).toBeCloseTo(row.weight * row.total, 6);
    }
    const worstBtc = r.underlyings[0]!.worstScenario!;
    expect(-worstBtc.weightedPnl).toBeCloseTo(r.underlyings[0]!.scanRisk, 9);
    expect(mv.rows[worstBtc.index]!.pnl[0]).toBeCloseTo(worstBtc.pnl, 9);
    expect(r.revaluations).toBe(3 * 35);
  });

  it('span_lookahead_charges_a_day_of_decay', () => {
    const acct = account([
      {
        type: 'option',
        underlying: 'BTC',
        kind: 'call',
        strike: 100_000,
        expiryMs: NOW_MS + 2 * DAY_MS,
        size: 1,
      },
    ]);
    const cfg = { ...span16Preset(), vol: { ...span16Preset().vol, up: 0, down: 0 } };
    const row = portfolioMargin(acct, snapshot(), cfg, { includeMatrix: true }).matrix!.rows[0]!;
    const p2 = black76Price({
      kind: 'call',
      forward: 100_000,
      strike: 100_000,
      timeYears: 2 / 365,
      vol: 0.6,
    });
    const p1 = black76Price({
      kind: 'call',
      forward: 100_000,
      strike: 100_000,
      timeYears: 1 / 365,
      vol: 0.6,
    });
    expect(row.total).toBeCloseTo(p1 - p2, 6);
  });

  it('inverse_option_is_the_coin_premium_valued_at_spot', () => {
    const snap = snapshot({ BTC: { basisRate: 0.1 } });
    const linear = account([
      { type: 'option', underlying: 'BTC', kind: 'call', strike: 110_000, expiryMs: EXPIRY_30D, size: 1 },
    ]);
    const inverse = account([
      {
        type: 'option',
        underlying: 'BTC',
        kind: 'call',
        strike: 110_000,
        expiryMs: EXPIRY_30D,
        size: 1,
        settlement: 'inverse',
      },
    ]);
    const vl = valuePosition(linear.positions[0]!, snap);
    const vi = valuePosition(inverse.positions[0]!, snap);
    expect(vi.value).toBeCloseTo((vl.value / vl.underlyingPrice) * 100_000, 9);
    expect(vi.delta).toBeCloseTo((vl.delta * 100_000) / vl.underlyingPrice, 12);
    // With no basis both settle to the same quote value.
    const flat = snapshot();
    expect(valuePosition(inverse.positions[0]!, flat).value).toBeCloseTo(
      valuePosition(linear.positions[0]!, flat).value,
      9,
    );
  });

  it('coin_balance_as_a_perpetual_with_entry_zero', () => {
    const acct = account([
      { type: 'perpetual', id: 'BTC balance', underlying: 'BTC', size: '0.5', entryPrice: 0 },
    ]);
    const r = portfolioMargin(acct, snapshot(), cryptoPmPreset());
    expect(r.equity).toBe(50_000);
    expect(r.scanRisk).toBeCloseTo(0.16 * 50_000, 6);
  });

  it('empty_account_needs_nothing', () => {
    const r = portfolioMargin(account([], 100), snapshot(), cryptoPmPreset());
    expect(r.initialMargin).toBe(0);
    expect(r.equity).toBe(100);
    expect(r.largestScenario).toBeNull();
  });

  const codeOf = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(PortfolioInputError);
      return (e as PortfolioInputError).code;
    }
    throw new Error('no error raised');
  };

  it('an_unknown_underlying_is_a_typed_error', () => {
    const acct = account([{ type: 'perpetual', underlying: 'DOGE', size: 1, entryPrice: 1 }]);
    expect(codeOf(() => portfolioMargin(acct, snapshot(), cryptoPmPreset()))).toBe('unknown_underlying');
  });

  it('an_expired_option_is_a_typed_error_not_a_zero_scan', () => {
    // an option that expired in 1970 used to zero the whole book's scan risk
    const acct = account([
      ...protectivePut(),
      { type: 'option', underlying: 'BTC', kind: 'call', strike: 100_000, expiryMs: 86_400_000, size: -1 },
    ]);
    expect(codeOf(() => portfolioMargin(acct, snapshot(), cryptoPmPreset()))).toBe('expired');
    const fut = account([{ type: 'future', underlying: 'BTC', size: 1, entryPrice: 1, expiryMs: NOW_MS }]);
    expect(codeOf(() => portfolioMargin(fut, snapshot(), cryptoPmPreset()))).toBe('expired');
  });

  it('a_negative_vol_is_a_typed_error', () => {
    const snap = snapshot();
    const bad = {
      ...snap,
      underlyings: { BTC: { ...snap.underlyings.BTC!, vol: { kind: 'flat' as const, vol: -0.6 } } },
    };
    expect(codeOf(() => portfolioMargin(account(protectivePut()), bad, cryptoPmPreset()))).toBe('bad_vol');
    expect(
      parseMarketSnapshot({
        nowMs: NOW_MS,
        underlyings: { BTC: { spot: '1', vol: { kind: 'flat', vol: -0.6 } } },
      }).ok,
    ).toBe(false);
  });

  it('an_exponent_in_a_decimal_string_is_refused', () => {
    const r = parsePortfolioAccount({
      positions: [{ type: 'perpetual', underlying: 'BTC', size: '1e3', entryPrice: '100000' }],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.join()).toMatch(/decimal/);
    expect(
      parsePortfolioAccount({
        positions: [{ type: 'perpetual', underlying: 'BTC', size: '1000', entryPrice: '1E5' }],
      }).ok,
    ).toBe(false);
    expect(
      parsePortfolioAccount({
        positions: [{ type: 'perpetual', underlying: 'BTC', size: '-0.5', entryPrice: '100000.25' }],
      }).ok,
    ).toBe(true);
  });

  it('negative_multiplier_is_rejected', () => {
    const m = buildRiskMatrix(account(protectivePut()), snapshot(), cryptoPmPreset());
    expect(() => aggregateRiskMatrix(m, { multipliers: [1, -1] })).toThrow(InvariantError);
  });
});
