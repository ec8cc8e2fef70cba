/**
 * Structured logs (pino), one JSON line per event. Engine values are bigints, which JSON.stringify
 * refuses: every logged object passes through `plainForLog`, which writes them as decimal strings
 * of the integer (units are the field's own). Tests pass `level: 'silent'`.
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import { InlineMap } from '../core/model/inline-map.ts';

export type { Logger };

/**
 * A copy of `value` with every bigint as its decimal string (cycles cut). `seen` holds the
 * ancestors only: an object reached twice without a cycle (the same guards before and after a
 * change) is copied both times.
 */
export function plainForLog(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (seen.has(value)) return '[cycle]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => plainForLog(v, seen));
    if (value instanceof Map || value instanceof InlineMap)
      return Object.fromEntries([...value].map(([k, v]) => [String(k), plainForLog(v, seen)]));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plainForLog(v, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

export interface LogOptions {
  readonly level?: string;
  readonly destination?: DestinationStream;
}

/** Log lines to standard error (the service keeps standard output for its startup line). */
export function stderrDestination(): DestinationStream {
  return pino.destination(2);
}

export function createLogger(opts: LogOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'plimsoll' },
      formatters: { log: (o) => plainForLog(o) as Record<string, unknown> },
    },
    opts.destination,
  );
}
