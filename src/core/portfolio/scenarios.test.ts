/**
 * Scenario grids and presets against the published methodologies
 * (test/vectors/portfolio_margin_published.json): Deribit's grid, extended table and vol-shock
 * examples, Paradex's 24-scenario table, SPAN's 16 scenarios.
 */
import { describe, expect, it } from 'vitest';
import pub from '../../../test/vectors/portfolio_margin_published.json' with { type: 'json' };
import {
  cryptoPmPreset,
  dampenedWeight,
  paradexPmPreset,
  parsePortfolioMarginConfig,
  portfolioPreset,
  priceRangeOf,
  resolvedMove,
  scenarioTemplates,
  shockedVol,
  span16Preset,
  type VolShockConfig,
  volShockTimeFactor,
} from './scenarios.ts';

describe('crypto-pm follows Deribit', () => {
  const cfg = cryptoPmPreset();
  const p = pub.deribit_btc_parameters;
  const scen = scenarioTemplates(cfg);

  it('nine_evenly_spaced_buckets_times_vol_up_same_down', () => {
    const core = scen.filter((s) => s.kind === 'core');
    expect(core).toHaveLength(27);
    const moves = [...new Set(core.map((s) => resolvedMove(s, priceRangeOf(cfg, 'BTC'))))];
    const step = p.priceRange / p.priceRangeSteps;
    expect(moves).toHaveLength(2 * p.priceRangeSteps + 1);
    moves.forEach((m, i) => {
      expect(m).toBeCloseTo(-p.priceRange + i * step, 12);
    });
    expect([...new Set(core.map((s) => s.volShock))]).toEqual([1, 0, -1]);
  });

  it('deribit_btc_vol_parameters', () => {
    expect(cfg.vol.up).toBe(p.volRangeUp);
    expect(cfg.vol.down).toBe(p.volRangeDown);
    expect(cfg.vol.minVolUp).toBe(p.minVolForShockUp);
    expect(cfg.vol.timeScaling).toMatchObject({
      kind: 'power',
      referenceDays: 30,
      shortPower: p.shortTermVegaPower,
      longPower: p.longTermVegaPower,
    });
  });

  it('extended_table_on_vol_up_with_dampened_weights', () => {
    const ext = scen.filter((s) => s.kind === 'extended');
    expect(ext.map((s) => s.move)).toEqual(p.extendedMoves);
    expect(ext.every((s) => s.volShock === 1 && s.unit === 'absolute')).toBe(true);
    const published = pub.paradex_scenarios.rows.slice(16);
    ext.forEach((s, i) => {
      expect(Math.abs(s.weight - published[i]!.weight)).toBeLessThan(pub.paradex_scenarios.weightTolerance);
    });
  });

  it('dampened_weight_equalises_a_linear_loss_with_the_range_edge', () => {
    for (const m of p.extendedMoves) expect(dampenedWeight(0.16, m) * Math.abs(m)).toBeCloseTo(0.16, 12);
    expect(dampenedWeight(0.16, 0.1)).toBe(1);
  });
});

describe('paradex-pm reproduces the published table', () => {
  const cfg = paradexPmPreset();
  const scen = scenarioTemplates(cfg);
  const t = pub.paradex_scenarios;

  it('24_rows_in_order', () => {
    expect(scen).toHaveLength(t.rows.length);
    t.rows.forEach((row, i) => {
      const s = scen[i]!;
      expect(s.id).toBe(`S${row.n}`);
      expect(resolvedMove(s, priceRangeOf(cfg, 'BTC'))).toBeCloseTo(row.spotShock, 12);
      expect(Math.sign(s.volShock)).toBe(Math.sign(row.volShock));
      expect(Math.abs(s.weight - row.weight)).toBeLessThan(t.weightTolerance);
    });
  });

  it('vol_shock_magnitudes_at_30_days', () => {
    expect(shockedVol(cfg.vol, 0.5, 1, 30)).toBeCloseTo(0.5 * (1 + t.volShockUp), 12);
    expect(shockedVol(cfg.vol, 0.5, -1, 30)).toBeCloseTo(0.5 * (1 - t.volShockDown), 12);
  });
});

describe('span-16', () => {
  it('classic_table_with_extreme_multiple_2', () => {
    const cfg = span16Preset({ extremeMultiple: 2 });
    const scen = scenarioTemplates(cfg);
    expect(scen).toHaveLength(16);
    pub.span_16_scenarios.rows.forEach(([n, price, vol, fraction], i) => {
      const s = scen[i]!;
      expect(s.index + 1).toBe(n);
      expect(s.unit).toBe('range');
      expect(s.move).toBeCloseTo(price!, 12);
      expect(s.volShock).toBe(vol);
      expect(s.weight).toBe(fraction);
    });
  });

  it('default_extreme_is_three_ranges_at_35_percent', () => {
    const ext = scenarioTemplates(span16Preset()).slice(14);
    expect(ext.map((s) => [s.move, s.volShock, s.weight])).toEqual([
      [3, 0, 0.35],
      [-3, 0, 0.35],
    ]);
  });

  it('one_day_lookahead_and_110_percent_initial', () => {
    const cfg = span16Preset();
    expect(cfg.lookaheadDays).toBe(1);
    expect(1 / cfg.maintenanceFraction).toBeCloseTo(1.1, 12);
  });
});

describe('vol shocks', () => {
  for (const ex of pub.deribit_vol_shock_examples) {
    it(`deribit_${ex.name}`, () => {
      const k = volShockTimeFactor(
        { kind: 'power', referenceDays: 30, shortPower: ex.power, longPower: ex.power, minDays: 1 },
        ex.days,
      );
      expect(Math.abs(k * ex.range - ex.expected)).toBeLessThanOrEqual(ex.tolerance ?? 1e-12);
    });
  }

  const base: VolShockConfig = {
    mode: 'relative',
    up: 0.5,
    down: 0.25,
    minVolUp: 0.5,
    floor: 0.05,
    timeScaling: { kind: 'power', referenceDays: 30, shortPower: 0.3, longPower: 0.13, minDays: 1 },
  };

  it('min_vol_for_shock_up', () => {
    expect(shockedVol(base, 0.2, 1, 30)).toBe(0.5); // 0.3 → raised to 0.5
    expect(shockedVol(base, 0.6, 1, 30)).toBeCloseTo(0.9, 12);
  });

  it('short_and_long_dated_powers', () => {
    expect(volShockTimeFactor(base.timeScaling, 7.5)).toBeCloseTo(4 ** 0.3, 12);
    expect(volShockTimeFactor(base.timeScaling, 120)).toBeCloseTo(0.25 ** 0.13, 12);
    expect(volShockTimeFactor(base.timeScaling, 0)).toBeCloseTo(30 ** 0.3, 12); // minDays floor
  });

  it('down_shock_is_floored', () => {
    const hard = { ...base, down: 0.9 };
    expect(shockedVol(hard, 0.6, -1, 1)).toBe(0.05);
  });

  it('absolute_mode_and_cap', () => {
    const abs: VolShockConfig = {
      ...base,
      mode: 'absolute',
      minVolUp: 0,
      floor: 0,
      timeScaling: {
        kind: 'power',
        referenceDays: 30,
        shortPower: 0.5,
        longPower: 0.5,
        minDays: 1,
        maxFactor: 2,
      },
    };
    expect(shockedVol(abs, 0.6, 1, 30)).toBeCloseTo(1.1, 12);
    expect(shockedVol(abs, 0.6, -1, 1)).toBeCloseTo(0.1, 12); // k capped at 2: 0.6 − 0.25·2
    expect(shockedVol(abs, 0.6, 0, 1)).toBe(0.6);
  });
});

describe('configuration', () => {
  it('presets_by_id', () => {
    expect(portfolioPreset('crypto-pm').name).toBe('crypto-pm');
    expect(portfolioPreset('paradex-pm').name).toBe('paradex-pm');
    expect(portfolioPreset('span-16').name).toBe('span-16');
  });

  it('rejects_a_move_of_minus_100_percent', () => {
    const r = parsePortfolioMarginConfig({
      name: 'bad',
      core: { priceMoves: [-1, 1], volShocks: [0] },
      priceRange: { default: 0.5, byUnderlying: { X: 1 } },
      vol: { up: 0.1, down: 0.1 },
      maintenanceFraction: 0.5,
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.join()).toMatch(/−100%/);
  });

  it('rejects_an_underlying_in_two_pairs', () => {
    const r = parsePortfolioMarginConfig({
      ...cryptoPmPreset(),
      correlations: [
        { a: 'BTC', b: 'ETH', credit: 0.5 },
        { a: 'ETH', b: 'SOL', credit: 0.5 },
      ],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.join()).toMatch(/ETH is in more than one/);
  });

  it('rejects_an_empty_grid', () => {
    const r = parsePortfolioMarginConfig({
      name: 'empty',
      core: { priceMoves: [], volShocks: [] },
      priceRange: { default: 0.1 },
      vol: { up: 0.1, down: 0.1 },
      maintenanceFraction: 0.5,
    });
    expect(r.ok).toBe(false);
  });
});
