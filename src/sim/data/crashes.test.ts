/**
 * The crash-window catalogue matches the bundled files: each file exists, has the stated
 * number of 1-minute bars without gaps, and its lowest low is the stated price and minute.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CRASH_WINDOWS,
  crashWindow,
  DATA_DIR,
  ETH_WINDOWS,
  LAB_WINDOWS,
  labWindow,
  loadCrashKlines,
  loadWindowKlines,
} from './crashes.ts';
import { compareDecimal } from './decimal.ts';

describe('CRASH_WINDOWS', () => {
  it('lists_unique_ids_oldest_first', () => {
    const ids = CRASH_WINDOWS.map((w) => w.id);
    expect(ids).toEqual(['2020-03-12', '2021-05-19', '2022-06-18', '2022-11-09', '2025-10-10']);
    expect(ETH_WINDOWS.map((w) => w.id)).toEqual(['2020-03-12-eth', '2021-05-19-eth']);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('paths_point_into_the_repository_data_directory', () => {
    expect(DATA_DIR.endsWith('/data/')).toBe(true);
    for (const w of LAB_WINDOWS) {
      expect(w.path).toBe(DATA_DIR + w.fileName);
      expect(existsSync(w.path)).toBe(true);
    }
  });

  it.each(LAB_WINDOWS.map((w) => ({ id: w.id, w })))('window $id matches its file', ({ w }) => {
    const bars = loadWindowKlines(w.id);
    expect(bars).toHaveLength(w.rows);
    for (let i = 1; i < bars.length; i++) {
      expect(bars[i]!.openTimeMs - bars[i - 1]!.openTimeMs).toBe(w.intervalMs);
    }
    let low = bars[0]!;
    for (const b of bars) if (compareDecimal(b.low, low.low) < 0) low = b;
    expect({ price: low.low, openTimeMs: low.openTimeMs }).toEqual(w.low);
  });

  it('unknown_id_lists_the_known_ones', () => {
    expect(() => crashWindow('1987-10-19')).toThrow(/known: 2020-03-12, 2021-05-19, 2022-06-18/);
    expect(() => labWindow('1987-10-19')).toThrow(/2021-05-19-eth/);
    // The demo's catalogue does not offer the ETH days; the BTC loader refuses them.
    expect(() => loadCrashKlines('2020-03-12-eth')).toThrow(/unknown crash window/);
  });

  it('new_windows_match_the_shared_source_table', () => {
    // /work/shared/data/*/SOURCE.md: 2022-06-18 low 17,593.20 at 20:34; 2022-11-09 low 15,462.60 at
    // 22:08; ETH 2020-03-12 low 101.01, 2021-05-19 low 1862.04 (13:10 bar); 144 ten-minute bars a day.
    expect(labWindow('2022-06-18').low).toEqual({
      price: '17593.20',
      openTimeMs: Date.UTC(2022, 5, 18, 20, 34),
    });
    expect(labWindow('2022-11-09').low).toEqual({
      price: '15462.60',
      openTimeMs: Date.UTC(2022, 10, 9, 22, 8),
    });
    const eth = loadWindowKlines('2021-05-19-eth');
    expect(eth).toHaveLength(144);
    expect(eth[0]).toEqual({
      openTimeMs: Date.UTC(2021, 4, 19),
      open: '3375.690000000',
      high: '3424.350000000',
      low: '3357.720000000',
      close: '3423.990000000',
    });
    expect(eth[143]!.openTimeMs).toBe(Date.UTC(2021, 4, 19, 23, 50));
    expect(loadWindowKlines('2020-03-12-eth')[0]!.open).toBe('195.210000000');
  });
});
