/**
 * Safe mode: entered while the index is unreliable or the breaker is tripped, left
 * automatically after recovery.minHealthyMs of health; both transitions reported.
 */
import { describe, expect, it } from 'vitest';
import { config, obs, run } from './oracle.testkit.ts';

const at = (t: number, price = '100', sources = ['a', 'b', 'c']) => sources.map((s) => obs(s, price, t));

describe('safe mode', () => {
  it('a_new_market_starts_in_safe_mode_until_the_index_has_been_healthy_long_enough', () => {
    const c = config({ recovery: { minHealthyMs: 5_000 } });
    const r = run(c, [{ nowMs: 0, inputs: at(0) }, { nowMs: 4_999 }, { nowMs: 5_000 }]);
    expect(r.results.map((x) => x.outputs!.safeMode)).toEqual([
      { active: true, reasons: ['recovering'] },
      { active: true, reasons: ['recovering'] },
      { active: false, reasons: [] },
    ]);
    expect(r.last.transitions).toEqual([{ type: 'safe_mode_exited', timeMs: 5_000, durationMs: null }]);
  });

  it('with_no_data_the_reasons_are_no_mark_and_index_unreliable', () => {
    const r = run(config(), [{ nowMs: 0, inputs: at(0, '100', ['a']) }]);
    expect(r.last.safeMode).toEqual({ active: true, reasons: ['no_mark', 'index_unreliable'] });
    expect(r.last.mark.pricePx8).toBeNull();
  });

  it('enters_when_the_index_becomes_unreliable_and_exits_after_min_healthy', () => {
    const c = config({ recovery: { minHealthyMs: 3_000 } });
    const r = run(c, [
      { nowMs: 0, inputs: at(0) },
      { nowMs: 3_000 }, // exited
      { nowMs: 10_001 }, // every source stale
      { nowMs: 11_000, inputs: at(11_000, '100', ['a', 'b']) }, // reliable again: recovering
      { nowMs: 13_999 },
      { nowMs: 14_000 },
    ]);
    const o = r.results.map((x) => x.outputs!);
    expect(o.map((x) => x.safeMode.active)).toEqual([true, false, true, true, true, false]);
    expect(o[2]!.transitions).toEqual([
      { type: 'index_unreliable', timeMs: 10_001, usedSources: 0, minSources: 2 },
      { type: 'safe_mode_entered', timeMs: 10_001, reasons: ['index_unreliable'] },
    ]);
    expect(o[3]!.safeMode.reasons).toEqual(['recovering']);
    expect(o[5]!.transitions).toEqual([{ type: 'safe_mode_exited', timeMs: 14_000, durationMs: 3_999 }]);
  });

  it('a_flapping_feed_restarts_the_recovery_clock', () => {
    const c = config({ recovery: { minHealthyMs: 3_000 } });
    const r = run(c, [
      { nowMs: 0, inputs: at(0) },
      { nowMs: 3_000 },
      { nowMs: 10_001 }, // unreliable
      { nowMs: 11_000, inputs: at(11_000, '100', ['a', 'b']) },
      { nowMs: 13_000, inputs: at(13_000, '100', ['a', 'b']) },
      { nowMs: 21_001 }, // a and b still fresh (age 8 001 ms)
      { nowMs: 23_001 }, // stale: unreliable again
      { nowMs: 24_000, inputs: at(24_000, '100', ['a', 'c']) },
      { nowMs: 26_999 },
      { nowMs: 27_000 },
    ]);
    const active = r.results.map((x) => x.outputs!.safeMode.active);
    expect(active).toEqual([true, false, true, true, true, false, true, true, true, false]);
  });

  it('zero_min_healthy_exits_at_once', () => {
    const r = run(config(), [{ nowMs: 0, inputs: at(0) }]);
    expect(r.last.safeMode).toEqual({ active: false, reasons: [] });
    expect(r.last.transitions.map((t) => t.type)).toEqual(['index_reliable', 'safe_mode_exited']);
  });
});
