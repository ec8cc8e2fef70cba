/**
 * Index rules, one case each: stale source dropped, outlier dropped, too few sources
 * → unreliable, confidence filter, weights, probation.
 */
import { describe, expect, it } from 'vitest';
import { computeIndex } from './index-price.ts';
import { config, fmt, obs, run, transitionTypes } from './oracle.testkit.ts';

type Case = {
  name: string;
  cfg?: Parameters<typeof config>[0];
  nowMs: number;
  inputs: unknown[];
  index: string | null;
  dropped: [string, string][];
};

describe('index rules', () => {
  it.each<Case>([
    {
      name: 'all_fresh_sources_median',
      nowMs: 1_000,
      inputs: [obs('a', '100', 1_000), obs('b', '101', 1_000), obs('c', '102', 1_000)],
      index: '101',
      dropped: [],
    },
    {
      name: 'stale_source_dropped',
      nowMs: 20_000,
      inputs: [obs('a', '90', 9_999), obs('b', '101', 20_000), obs('c', '102', 19_000)],
      index: '101.5',
      dropped: [['a', 'stale']],
    },
    {
      name: 'age_equal_to_max_is_still_fresh',
      nowMs: 20_000,
      inputs: [obs('a', '100', 10_000), obs('b', '101', 20_000), obs('c', '102', 20_000)],
      index: '101',
      dropped: [],
    },
    {
      name: 'outlier_dropped',
      nowMs: 1_000,
      inputs: [obs('a', '100', 1_000), obs('b', '101', 1_000), obs('c', '110', 1_000)],
      index: '100.5',
      dropped: [['c', 'deviation']],
    },
    {
      name: 'low_outlier_dropped',
      nowMs: 1_000,
      inputs: [obs('a', '100', 1_000), obs('b', '101', 1_000), obs('c', '10', 1_000)],
      index: '100.5',
      dropped: [['c', 'deviation']],
    },
    {
      name: 'deviation_just_inside_threshold_kept',
      // c vs the others' median interval [100, 100]: 105 is exactly 5%: kept.
      nowMs: 1_000,
      inputs: [obs('a', '100', 1_000), obs('b', '100', 1_000), obs('c', '105', 1_000)],
      index: '100',
      dropped: [],
    },
    {
      name: 'deviation_just_outside_threshold_dropped',
      nowMs: 1_000,
      inputs: [obs('a', '100', 1_000), obs('b', '100', 1_000), obs('c', '105.00000001', 1_000)],
      index: '100',
      dropped: [['c', 'deviation']],
    },
    {
      name: 'too_few_sources_unreliable',
      nowMs: 1_000,
      inputs: [obs('a', '100', 1_000)],
      index: null,
      dropped: [
        ['b', 'no_data'],
        ['c', 'no_data'],
      ],
    },
    {
      name: 'two_disagreeing_sources_both_dropped',
      cfg: {
        sources: [
          { id: 'a', maxAgeMs: 10_000 },
          { id: 'b', maxAgeMs: 10_000 },
        ],
        minSources: 1,
      },
      nowMs: 1_000,
      inputs: [obs('a', '100', 1_000), obs('b', '120', 1_000)],
      index: null,
      dropped: [
        ['a', 'deviation'],
        ['b', 'deviation'],
      ],
    },
    {
      name: 'lone_candidate_is_not_deviation_checked',
      cfg: { minSources: 1 },
      nowMs: 1_000,
      inputs: [obs('a', '100', 1_000)],
      index: '100',
      dropped: [
        ['b', 'no_data'],
        ['c', 'no_data'],
      ],
    },
    {
      name: 'confidence_too_wide_dropped',
      cfg: {
        sources: [
          { id: 'a', maxAgeMs: 10_000, maxConfidenceRatio: '0.01' },
          { id: 'b', maxAgeMs: 10_000, maxConfidenceRatio: '0.01' },
          { id: 'c', maxAgeMs: 10_000, maxConfidenceRatio: '0.01' },
        ],
      },
      nowMs: 1_000,
      inputs: [
        obs('a', '100', 1_000, { confidence: '1.00000001' }),
        obs('b', '101', 1_000, { confidence: '1.01' }),
        obs('c', '102', 1_000),
      ],
      index: '101.5',
      dropped: [['a', 'confidence']],
    },
    {
      name: 'weighted_median_follows_the_heavy_source',
      cfg: {
        sources: [
          { id: 'a', maxAgeMs: 10_000, weight: '3' },
          { id: 'b', maxAgeMs: 10_000 },
          { id: 'c', maxAgeMs: 10_000 },
        ],
      },
      nowMs: 1_000,
      inputs: [obs('a', '100', 1_000), obs('b', '101', 1_000), obs('c', '102', 1_000)],
      index: '100',
      dropped: [],
    },
    {
      name: 'honest_pair_survives_a_bad_third',
      // b's "others" are {a, c}: their median interval [100, 150] contains b's reference 100.
      nowMs: 1_000,
      inputs: [obs('a', '100', 1_000), obs('b', '100.2', 1_000), obs('c', '150', 1_000)],
      index: '100.1',
      dropped: [['c', 'deviation']],
    },
  ])('$name', ({ cfg, nowMs, inputs, index, dropped }) => {
    const c = config(cfg ?? {});
    const { last } = run(c, [{ nowMs, inputs }]);
    expect(fmt(last.index.pricePx8)).toBe(index);
    expect(last.index.reliable).toBe(index !== null);
    expect(last.dropped.map((d) => [d.source, d.reason])).toEqual(dropped);
  });

  it('verdicts_carry_age_reference_and_deviation', () => {
    const { last } = run(config(), [
      { nowMs: 2_000, inputs: [obs('a', '100', 1_000), obs('b', '101', 2_000), obs('c', '110', 1_500)] },
    ]);
    const c = last.sources.find((s) => s.source === 'c')!;
    expect(c).toMatchObject({ used: false, reason: 'deviation', ageMs: 500 });
    expect(fmt(c.referencePx8)).toBe('101');
    expect(c.deviationPpm).toBe(89_109n); // 9 / 101 = 8.9109 %, rounded up
  });

  it('a_source_going_stale_makes_the_index_unreliable_then_it_recovers', () => {
    const c = config();
    const r = run(c, [
      { nowMs: 1_000, inputs: [obs('a', '100', 1_000), obs('b', '101', 1_000)] },
      { nowMs: 11_001 },
      { nowMs: 12_000, inputs: [obs('a', '100', 12_000), obs('c', '100.4', 12_000)] },
    ]);
    expect(r.results.map((x) => x.outputs!.index.reliable)).toEqual([true, false, true]);
    expect(transitionTypes(r.results)).toContain('index_unreliable');
    expect(r.results[1]!.outputs!.dropped.map((d) => d.reason)).toEqual(['stale', 'stale', 'no_data']);
  });

  it('probation_holds_a_returning_source_back', () => {
    const c = config({ recovery: { sourceProbationMs: 5_000 } });
    const r = run(c, [
      { nowMs: 0, inputs: [obs('a', '100', 0), obs('b', '100', 0), obs('c', '100', 0)] },
      { nowMs: 5_000 }, // everyone has now been healthy for 5 s
      { nowMs: 6_000, inputs: [obs('a', '100', 6_000), obs('b', '100', 6_000), obs('c', '130', 6_000)] },
      { nowMs: 7_000, inputs: [obs('c', '100.1', 7_000)] }, // c is back in line...
      { nowMs: 11_999 },
      { nowMs: 12_000 }, // ...and counts again after 5 s of health
    ]);
    const reasonOfC = r.results.map((x) => x.outputs!.sources.find((s) => s.source === 'c')!.reason);
    expect(reasonOfC).toEqual(['probation', null, 'deviation', 'probation', 'probation', null]);
    expect(r.results[0]!.outputs!.index.reliable).toBe(false);
  });

  it('computeIndex_is_pure_over_the_state_map', () => {
    const c = config();
    const { state } = run(c, [{ nowMs: 1_000, inputs: [obs('a', '100', 1_000), obs('b', '101', 1_000)] }]);
    expect(computeIndex(c, state.sources, 1_000)).toEqual(computeIndex(c, state.sources, 1_000));
  });
});
