/**
 * Move confirmation: the credible range is the guarded mark's range over the window plus
 * the prices of sources that have dissented for the whole window; it is part of the pure
 * step (same inputs, same state) and survives the codec.
 */
import { describe, expect, it } from 'vitest';
import { decodeOracleState, encodeOracleState } from './codec.ts';
import { confirmationOf, DEFAULT_CONFIRMATION } from './confirmation.ts';
import { config, fmt, obs, run } from './oracle.testkit.ts';

const at = (t: number, a: string, b = a, c = a) => [obs('a', a, t), obs('b', b, t), obs('c', c, t)];
const cfg = config({ confirmation: { windowMs: 10_000, bucketMs: 1_000 } });
const range = (o: { confirmation: { lowPx8: bigint; highPx8: bigint } | null }) =>
  o.confirmation === null ? null : [fmt(o.confirmation.lowPx8), fmt(o.confirmation.highPx8)];

describe('move confirmation', () => {
  it('defaults_on_for_several_sources_off_for_one_and_off_when_null', () => {
    expect(confirmationOf(config())).toEqual(DEFAULT_CONFIRMATION);
    expect(DEFAULT_CONFIRMATION).toEqual({ windowMs: 30_000, bucketMs: 1_000 });
    expect(confirmationOf(config({ sources: [{ id: 'a', maxAgeMs: 1_000 }], minSources: 1 }))).toBeNull();
    expect(confirmationOf(config({ confirmation: null }))).toBeNull();
    expect(() => config({ confirmation: { windowMs: 10_500, bucketMs: 1_000 } })).toThrow(
      /multiple of bucketMs/,
    );
  });

  it('a_move_stays_unconfirmed_for_at_least_the_window_and_at_most_one_bucket_more', () => {
    const steps = [
      { nowMs: 0, inputs: at(0, '100') },
      { nowMs: 5_500, inputs: at(5_500, '99') },
    ];
    // 99 from 5.5 s: 100 was the mark until then, and stays credible through 15.5 s … 16 s.
    for (const t of [6_000, 10_000, 15_000, 15_999]) steps.push({ nowMs: t, inputs: at(t, '99') });
    const r = run(cfg, steps);
    expect(r.results.map((x) => range(x.outputs!))).toEqual([
      ['100', '100'],
      ['99', '100'],
      ['99', '100'],
      ['99', '100'],
      ['99', '100'],
      ['99', '100'],
    ]);
    const after = run(cfg, [{ nowMs: 16_000, inputs: at(16_000, '99') }], r.state);
    expect(range(after.last)).toEqual(['99', '99']);
  });

  it('a_dissenting_source_counts_once_it_has_dissented_for_the_window_and_while_it_does', () => {
    // a and b move to 90; c stays at 100 and is dropped for deviation (> 5 %) from 1 s.
    const steps = [{ nowMs: 0, inputs: at(0, '100') }];
    for (let t = 1_000; t <= 30_000; t += 1_000) steps.push({ nowMs: t, inputs: at(t, '90', '90', '100') });
    const r = run(cfg, steps);
    const o = r.results.map((x) => x.outputs!);
    expect(o[1]!.dropped.map((v) => v.source)).toEqual(['c']);
    // Before the window has passed the old mark keeps 100 credible; from 11 s on, the dissent does.
    for (const x of o.slice(1)) expect(range(x)).toEqual(['90', '100']);
    expect(o[10]!.confirmation!.dissenters).toEqual([]);
    expect(o[11]!.confirmation!.dissenters).toEqual(['c']);
    expect(o[30]!.confirmation!.dissenters).toEqual(['c']);
    // c agrees again: the dissent ends at once; 100 leaves the range with the window.
    const back = run(cfg, [{ nowMs: 31_000, inputs: at(31_000, '90') }], r.state);
    expect(back.last.confirmation!.dissenters).toEqual([]);
    expect(range(back.last)).toEqual(['90', '90']);
  });

  it('a_dissenter_whose_observation_is_older_than_the_window_does_not_count', () => {
    const long = config({
      sources: [
        { id: 'a', maxAgeMs: 60_000 },
        { id: 'b', maxAgeMs: 60_000 },
        { id: 'c', maxAgeMs: 60_000 },
      ],
      confirmation: { windowMs: 10_000, bucketMs: 1_000 },
    });
    const steps = [{ nowMs: 0, inputs: at(0, '100') }];
    // c reports once (100) and then goes quiet, but within its 60 s maxAge.
    for (let t = 1_000; t <= 30_000; t += 1_000)
      steps.push({ nowMs: t, inputs: [obs('a', '90', t), obs('b', '90', t)] });
    const r = run(long, steps);
    expect(r.last.dropped.map((v) => [v.source, v.reason])).toEqual([['c', 'deviation']]);
    expect(r.last.confirmation!.dissenters).toEqual([]);
    expect(range(r.last)).toEqual(['90', '90']);
  });

  it('is_deterministic_and_survives_the_codec', () => {
    const steps = [{ nowMs: 0, inputs: at(0, '100') }];
    for (let t = 1_000; t <= 20_000; t += 1_000) steps.push({ nowMs: t, inputs: at(t, '90', '90', '100') });
    const a = run(cfg, steps);
    const b = run(cfg, steps);
    expect(encodeOracleState(a.state)).toBe(encodeOracleState(b.state));
    const decoded = decodeOracleState(encodeOracleState(a.state));
    expect(decoded).toEqual(a.state);
    const next = { nowMs: 21_000, inputs: at(21_000, '90', '90', '100') };
    expect(run(cfg, [next], decoded).last).toEqual(run(cfg, [next], a.state).last);
  });
});
