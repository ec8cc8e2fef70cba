import { describe, expect, it } from 'vitest';
import { driveCrash, FUNDING_INTERVAL_MS } from './crash-driver.ts';

const H8 = FUNDING_INTERVAL_MS;
const MIN = 60_000;

/** Records every hook call in order. */
function record(ticks: { timeMs: number }[], startMs: number) {
  const log: string[] = [];
  const n = driveCrash(ticks, {
    startMs,
    minuteStart: (m) => log.push(`start ${m}`),
    funding: (b) => log.push(`funding ${b}`),
    minuteReady: (m) => log.push(`ready ${m}`),
    tick: (t, i) => log.push(`tick ${i} ${t.timeMs}`),
  });
  return { n, log };
}

describe('driveCrash', () => {
  it('settles_funding_at_each_8h_boundary_after_the_start_before_the_first_tick_at_or_after_it', () => {
    // Start at 07:59; ticks at 07:59:30, 08:00:00, 16:00:20 — boundaries 08:00 and 16:00.
    const start = H8 - MIN;
    const { n, log } = record(
      [{ timeMs: start + 30_000 }, { timeMs: H8 }, { timeMs: 2 * H8 + 20_000 }],
      start,
    );
    expect(n).toBe(3);
    expect(log).toEqual([
      'start 0',
      'ready 0',
      `tick 0 ${start + 30_000}`,
      'start 1',
      `funding ${H8}`,
      'ready 1',
      `tick 1 ${H8}`,
      'start 481',
      `funding ${2 * H8}`,
      'ready 481',
      `tick 2 ${2 * H8 + 20_000}`,
    ]);
  });

  it('never_funds_at_the_start_itself_and_catches_up_skipped_boundaries', () => {
    // A start on a boundary is not funded; a gap over two boundaries funds both, in order.
    const { log } = record([{ timeMs: H8 }, { timeMs: H8 + 10 }, { timeMs: 3 * H8 + 5 }], H8);
    expect(log.filter((l) => l.startsWith('funding'))).toEqual([`funding ${2 * H8}`, `funding ${3 * H8}`]);
    // Two ticks in one minute: one minute opened.
    expect(log.filter((l) => l.startsWith('start'))).toEqual(['start 0', `start ${(2 * H8) / MIN}`]);
  });

  it('without_a_funding_hook_only_walks', () => {
    const seen: number[] = [];
    const n = driveCrash([{ timeMs: 1 }, { timeMs: H8 + 1 }], {
      startMs: 0,
      tick: (t) => seen.push(t.timeMs),
    });
    expect(n).toBe(2);
    expect(seen).toEqual([1, H8 + 1]);
  });
});
