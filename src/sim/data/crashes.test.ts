/**
 * The crash-window catalogue matches the bundled files: each file exists, has the stated
 * number of 1-minute bars without gaps, and its lowest low is the stated price and minute.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CRASH_WINDOWS, crashWindow, DATA_DIR, loadCrashKlines } from './crashes.ts';
import { compareDecimal } from './decimal.ts';

describe('CRASH_WINDOWS', () => {
  it('lists_unique_ids_oldest_first', () => {
    const ids = CRASH_WINDOWS.map((w) => w.id);
    expect(ids).toEqual(['2020-03-12', '2021-05-19', '2025-10-10']);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('paths_point_into_the_repository_data_directory', () => {
    expect(DATA_DIR.endsWith('/data/')).toBe(true);
    for (const w of CRASH_WINDOWS) {
      expect(w.path).toBe(DATA_DIR + w.fileName);
      expect(existsSync(w.path)).toBe(true);
    }
  });

  it.each(CRASH_WINDOWS.map((w) => ({ id: w.id, w })))('window $id matches its file', ({ w }) => {
    const bars = loadCrashKlines(w.id);
    expect(bars).toHaveLength(w.rows);
    for (let i = 1; i < bars.length; i++) {
      expect(bars[i]!.openTimeMs - bars[i - 1]!.openTimeMs).toBe(w.intervalMs);
    }
    let low = bars[0]!;
    for (const b of bars) if (compareDecimal(b.low, low.low) < 0) low = b;
    expect({ price: low.low, openTimeMs: low.openTimeMs }).toEqual(w.low);
  });

  it('unknown_id_lists_the_known_ones', () => {
    expect(() => crashWindow('1987-10-19')).toThrow(/known: 2020-03-12, 2021-05-19, 2025-10-10/);
  });
});
