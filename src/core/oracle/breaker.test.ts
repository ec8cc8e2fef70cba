/**
 * Circuit breaker: a spike trips it, the mark is held (not the outlier), an alert is
 * raised, and it releases when the price returns or settles at a new level.
 */
import { describe, expect, it } from 'vitest';
import { config, fmt, obs, run, transitionTypes } from './oracle.testkit.ts';

const at = (t: number, price: string) => [obs('a', price, t), obs('b', price, t), obs('c', price, t)];
const c = config({
  breaker: { maxMovePerInterval: '0.1', intervalMs: 60_000 },
  recovery: { minHealthyMs: 5_000 },
});

describe('circuit breaker', () => {
  it('trips_on_a_spike_holds_the_mark_and_releases_when_it_returns', () => {
    const r = run(c, [
      { nowMs: 0, inputs: at(0, '100') },
      { nowMs: 5_000 }, // safe mode over (healthy 5 s)
      { nowMs: 6_000, inputs: at(6_000, '150') }, // +50 % in one interval: trip
      { nowMs: 7_000, inputs: at(7_000, '100.5') }, // back: watch it for 5 s
      { nowMs: 11_999, inputs: at(11_999, '100.4') },
      { nowMs: 12_000, inputs: at(12_000, '100.3') }, // stable 5 s: release
    ]);
    const o = r.results.map((x) => x.outputs!);
    expect(o.map((x) => fmt(x.mark.pricePx8))).toEqual(['100', '100', '100', '100', '100', '100.3']);
    expect(o.map((x) => fmt(x.mark.candidatePx8))).toEqual(['100', '100', '150', '100.5', '100.4', '100.3']);
    expect(o.map((x) => x.breaker.tripped)).toEqual([false, false, true, true, true, false]);
    expect(o[2]!.transitions).toEqual([
      {
        type: 'breaker_tripped',
        timeMs: 6_000,
        anchorPx8: 100_00000000n,
        candidatePx8: 150_00000000n,
        movePpm: 500_000n,
      },
      { type: 'safe_mode_entered', timeMs: 6_000, reasons: ['breaker_tripped'] },
    ]);
    expect(o[5]!.transitions).toEqual([
      { type: 'breaker_released', timeMs: 12_000, markPx8: 100_30000000n, reason: 'returned', heldMs: 6_000 },
      { type: 'safe_mode_exited', timeMs: 12_000, durationMs: 6_000 },
    ]);
    expect(o[3]!.safeMode).toEqual({ active: true, reasons: ['breaker_tripped'] });
  });

  it('follows_a_real_move_once_it_has_settled', () => {
    const r = run(c, [
      { nowMs: 0, inputs: at(0, '100') },
      { nowMs: 5_000 },
      { nowMs: 6_000, inputs: at(6_000, '80') }, // −20 %: trip
      { nowMs: 8_000, inputs: at(8_000, '79') },
      { nowMs: 11_000, inputs: at(11_000, '81') }, // within 10 % of 80 for 5 s
    ]);
    expect(fmt(r.last.mark.pricePx8)).toBe('81');
    expect(r.last.transitions[0]).toMatchObject({
      type: 'breaker_released',
      reason: 'new_level',
      heldMs: 5_000,
    });
    expect(transitionTypes(r.results)).toEqual([
      'index_reliable',
      'safe_mode_exited',
      'breaker_tripped',
      'safe_mode_entered',
      'breaker_released',
      'safe_mode_exited',
    ]);
  });

  it('an_unstable_level_keeps_it_tripped', () => {
    const r = run(c, [
      { nowMs: 0, inputs: at(0, '100') },
      { nowMs: 6_000, inputs: at(6_000, '150') },
      { nowMs: 9_000, inputs: at(9_000, '120') }, // moved >10 % from the trial: restart
      { nowMs: 12_000, inputs: at(12_000, '121') },
      { nowMs: 13_999, inputs: at(13_999, '121') },
    ]);
    expect(r.last.breaker.tripped).toBe(true);
    expect(fmt(r.last.mark.pricePx8)).toBe('100');
  });

  it('moves_within_the_band_each_interval_never_trip', () => {
    // 100 → 109 (anchor 100) → next interval anchor 109 → 118 is +8.3 %: no trip; a 20 % staircase over 2 min.
    const r = run(c, [
      { nowMs: 0, inputs: at(0, '100') },
      { nowMs: 30_000, inputs: at(30_000, '109') },
      { nowMs: 61_000, inputs: at(61_000, '118') },
      { nowMs: 125_000, inputs: at(125_000, '125') },
    ]);
    expect(r.results.map((x) => fmt(x.outputs!.mark.pricePx8))).toEqual(['100', '109', '118', '125']);
    expect(transitionTypes(r.results)).not.toContain('breaker_tripped');
  });

  it('within_one_interval_the_anchor_is_fixed', () => {
    const r = run(c, [
      { nowMs: 0, inputs: at(0, '100') },
      { nowMs: 20_000, inputs: at(20_000, '109') },
      { nowMs: 40_000, inputs: at(40_000, '111') }, // +11 % from the interval's anchor 100
    ]);
    expect(r.last.breaker.tripped).toBe(true);
    expect(fmt(r.last.mark.pricePx8)).toBe('109');
  });

  it('losing_the_index_while_tripped_restarts_the_watch', () => {
    const r = run(c, [
      { nowMs: 0, inputs: at(0, '100') },
      { nowMs: 6_000, inputs: at(6_000, '150') },
      { nowMs: 7_000, inputs: at(7_000, '100') },
      { nowMs: 17_001 }, // all stale: no candidate
      { nowMs: 18_000, inputs: at(18_000, '100') },
      { nowMs: 22_999, inputs: at(22_999, '100') },
    ]);
    expect(r.last.breaker.tripped).toBe(true);
    expect(r.results[3]!.outputs!.safeMode.reasons).toEqual(['index_unreliable', 'breaker_tripped']);
  });

  it('no_breaker_configured_follows_every_move', () => {
    const r = run(config(), [
      { nowMs: 0, inputs: at(0, '100') },
      { nowMs: 1_000, inputs: at(1_000, '150') },
    ]);
    expect(fmt(r.last.mark.pricePx8)).toBe('150');
  });
});
