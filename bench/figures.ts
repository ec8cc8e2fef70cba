/**
 * The bench's machine-readable figures: every block records its headline numbers here under a
 * stable key, with a sentence saying what is inside the timed region, and `npm run bench --
 * --json FILE` writes them all. Keys are part of the bench's interface: renaming one breaks
 * whoever tracks it, so add new keys rather than changing old ones.
 */

export interface Figure {
  value: number;
  unit: string;
  /** What the timed region contains (parsing, journal, listeners, re-mark …) and what it does not. */
  timed: string;
}

const recorded = new Map<string, Figure>();

const KEY = /^[a-z][a-z0-9_]*$/;

/** Records one figure; a key recorded twice is a bench bug, so it throws. */
export function figure(key: string, value: number, unit: string, timed: string): void {
  if (!KEY.test(key)) throw new Error(`bench figure key '${key}' must be snake_case`);
  if (recorded.has(key)) throw new Error(`bench figure '${key}' recorded twice`);
  if (!Number.isFinite(value)) throw new Error(`bench figure '${key}' is not a finite number: ${value}`);
  recorded.set(key, { value, unit, timed });
}

export function allFigures(): Record<string, Figure> {
  return Object.fromEntries([...recorded].sort(([a], [b]) => a.localeCompare(b)));
}
