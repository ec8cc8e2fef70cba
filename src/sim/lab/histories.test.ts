import { describe, expect, it } from 'vitest';
import { runComparison } from './compare.ts';
import { historyOf, loadHistory, pathSeed, SYNTHETIC_MODELS, SYNTHETIC_STEP_MS } from './histories.ts';
import { staticPolicy } from './policies.ts';
import { policiesByName } from './policy-registry.ts';

describe('loadHistory', () => {
  it('crash_windows_give_four_points_per_bar_of_the_bundled_file', () => {
    // data/SOURCE.md: 287 and 134 rows; the 2021 window's first bar opens at 38647.71 (line 2 of the file).
    const a = loadHistory({ kind: 'crash', id: '2020-03-12' });
    const b = loadHistory({ kind: 'crash', id: '2021-05-19' });
    expect(a.points).toHaveLength(4 * 287);
    expect(b.points).toHaveLength(4 * 134);
    expect(b.points[0]).toEqual({ timeMs: 1621425180000, price: '38647.71' });
    expect(a.realDepth).toBe(false);
    expect(loadHistory({ kind: 'crash', id: '2025-10-10' }).realDepth).toBe(true);
  });

  it('synthetic_paths_are_seeded_and_have_four_points_a_minute', () => {
    for (const model of ['gbm', 'jump', 'regime'] as const) {
      const x = loadHistory({ kind: 'synthetic', model, seed: 5, minutes: 30 });
      const y = loadHistory({ kind: 'synthetic', model, seed: 5, minutes: 30 });
      const z = loadHistory({ kind: 'synthetic', model, seed: 6, minutes: 30 });
      expect(x.points).toHaveLength(120);
      expect(x.points).toEqual(y.points);
      expect(x.points.map((p) => p.price)).not.toEqual(z.points.map((p) => p.price));
      expect(x.points[0]!.price).toBe('60000.00');
      expect(x.points[1]!.timeMs - x.points[0]!.timeMs).toBe(SYNTHETIC_STEP_MS);
    }
    expect(pathSeed(42)).not.toBe(42);
  });

  it('gbm_path_realizes_its_volatility', () => {
    // σ per 15 s step = 0.6 × √(15 / (365 × 86,400)) = 0.0004138; over 5,759 steps the sample
    // standard deviation of log returns has a relative standard error ≈ 1/√(2n) ≈ 0.9 %.
    const h = loadHistory({ kind: 'synthetic', model: 'gbm', seed: 11, minutes: 1440 });
    const r = h.points.slice(1).map((p, i) => Math.log(Number(p.price) / Number(h.points[i]!.price)));
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
    const expected = SYNTHETIC_MODELS.gbm.sigmaPerYear * Math.sqrt(15 / (365 * 86_400));
    expect(expected).toBeCloseTo(0.0004138, 6);
    expect(Math.abs(sd / expected - 1)).toBeLessThan(0.05);
  });

  it('rejects_bad_specs_with_clear_messages', () => {
    expect(() => historyOf({ crash: '2020-03-12', path: 'gbm', seed: 1 })).toThrow(
      /either --crash or --path/,
    );
    expect(() => historyOf({ path: 'brownian', seed: 1 })).toThrow(/known: gbm, jump, regime/);
    expect(() => historyOf({ crash: '2020-03-12', minutes: 5, seed: 1 })).toThrow(/--minutes/);
    expect(() => loadHistory({ kind: 'synthetic', model: 'gbm', seed: 1, minutes: 0 })).toThrow(/minutes/);
    expect(() => loadHistory({ kind: 'crash', id: '2019-01-01' })).toThrow(/unknown crash window/);
    expect(() => policiesByName('static-low,nope')).toThrow(/unknown policy "nope"/);
    expect(() => policiesByName('toString')).toThrow(/unknown policy/);
  });
});

describe('the comparison on the new histories', () => {
  const run = (history: Parameters<typeof runComparison>[0]['history'], fromMs?: number, toMs?: number) =>
    runComparison({
      crash: '2025-10-10',
      history,
      accounts: 40,
      seed: 9,
      policies: [staticPolicy('static-low', '0.04', '0.02')],
      ...(fromMs !== undefined ? { fromMs } : {}),
      ...(toMs !== undefined ? { toMs } : {}),
    });

  it('same_seed_same_metrics_on_2021_05_19_and_2020_03_12', () => {
    for (const [id, from, to] of [
      ['2021-05-19', '2021-05-19T12:50', '2021-05-19T13:20'],
      ['2020-03-12', '2020-03-13T01:50', '2020-03-13T02:20'],
    ] as const) {
      const h = { kind: 'crash' as const, id };
      const a = run(h, Date.parse(`${from}Z`), Date.parse(`${to}Z`));
      const b = run(h, Date.parse(`${from}Z`), Date.parse(`${to}Z`));
      expect(a.book.source).toBe('parametric');
      expect(a.history.id).toBe(id);
      expect(JSON.stringify(a.rows)).toBe(JSON.stringify(b.rows));
      expect(a.rows[0]!.conservation.ok).toBe(true);
    }
  });

  it('same_seed_same_metrics_on_a_synthetic_path', () => {
    const h = { kind: 'synthetic' as const, model: 'jump' as const, seed: 9, minutes: 90 };
    const a = run(h);
    const b = run(h);
    expect(a.history.id).toBe('jump-seed9-90m');
    expect(a.path.points).toBe(360);
    expect(JSON.stringify(a.rows)).toBe(JSON.stringify(b.rows));
  });
});

describe('more history: the 2022 windows and the ETH days', () => {
  it('load_with_four_points_per_bar_spread_over_the_bar', () => {
    // 134 one-minute bars each (shared SOURCE.md); the ETH days: 144 ten-minute bars.
    expect(loadHistory({ kind: 'crash', id: '2022-06-18' }).points).toHaveLength(4 * 134);
    expect(loadHistory({ kind: 'crash', id: '2022-11-09' }).points).toHaveLength(4 * 134);
    const eth = loadHistory({ kind: 'crash', id: '2021-05-19-eth' });
    expect(eth.asset).toBe('ETH');
    expect(eth.points).toHaveLength(4 * 144);
    // First bar 3375.69 / 3424.35 / 3357.72 / 3423.99: the low is nearer the open, so it comes second.
    expect(eth.points.slice(0, 4)).toEqual([
      { timeMs: Date.UTC(2021, 4, 19), price: '3375.690000000' },
      { timeMs: Date.UTC(2021, 4, 19) + 200_000, price: '3357.720000000' },
      { timeMs: Date.UTC(2021, 4, 19) + 400_000, price: '3424.350000000' },
      { timeMs: Date.UTC(2021, 4, 19) + 599_999, price: '3423.990000000' },
    ]);
  });

  it.each(['2022-06-18', '2022-11-09', '2020-03-12-eth', '2021-05-19-eth'])(
    '%s runs through the engine with conservation',
    (id) => {
      const c = runComparison({ crash: id, accounts: 20, seed: 3, policies: policiesByName('static-low') });
      const m = c.rows[0]!;
      expect(m.conservation.ok).toBe(true);
      // Every window falls ≥ 2.8 % from its open to its low: some account is liquidated.
      expect(m.liquidations.count).toBeGreaterThan(0);
      expect(c.history.id).toBe(id);
    },
  );
});
