/**
 * Oracle inputs and their validation.
 *
 * Three kinds of input feed a market's oracle, all with decimal strings for prices
 * (money never passes through a JS number) and integer ms timestamps:
 * - `price` (the default kind): one index source's observation — source id, price,
 *   timestamp, optional confidence half-width (price ± confidence) and volume;
 * - `trade`: a trade on the market itself (the mark's "last trade");
 * - `book`: impact bid / impact ask from a book snapshot of the market itself.
 *
 * `parseOracleInput` does every check that needs no history (shape, numbers,
 * unknown source, future timestamp); oracle.ts adds the ones that do (out of order,
 * implausible print). Each failure is a typed OracleRejection.
 */
import { PRICE_DECIMALS, parseDecimal, QTY_DECIMALS } from '../num/index.ts';
import type { OracleConfig } from './config.ts';
import { type OracleRejection, type OracleRejectionCode, oracleRejection } from './errors.ts';

/** An input as it arrives (JSON): decimal strings, ms timestamps. */
export type OracleInputRaw =
  | {
      kind?: 'price';
      source: string;
      /** Quote per base, decimal string, ≤ 8 places ("121662.5"). */
      price: string;
      /** Observation time, ms since the Unix epoch. */
      timestampMs: number;
      /** Half-width of the confidence interval, in price units (decimal string ≥ 0). */
      confidence?: string;
      /** Traded volume behind the price, base units (decimal string ≥ 0, ≤ 9 places). */
      volume?: string;
    }
  | { kind: 'trade'; price: string; timestampMs: number; size?: string }
  | { kind: 'book'; impactBid: string; impactAsk: string; timestampMs: number };

/** A validated input: prices px8, sizes qty9, times ms. */
export type OracleInput =
  | {
      readonly kind: 'price';
      readonly source: string;
      readonly pricePx8: bigint;
      readonly timeMs: number;
      readonly confidencePx8: bigint | null;
      readonly volumeQty9: bigint | null;
    }
  | {
      readonly kind: 'trade';
      readonly pricePx8: bigint;
      readonly timeMs: number;
      readonly sizeQty9: bigint | null;
    }
  | {
      readonly kind: 'book';
      readonly impactBidPx8: bigint;
      readonly impactAskPx8: bigint;
      readonly timeMs: number;
    };

export type OracleInputParse = { ok: true; value: OracleInput } | { ok: false; rejection: OracleRejection };

/** Upper bound of a sane price (px8), as in the market config codec. */
const MAX_PRICE_PX8 = 10n ** 24n;

/**
 * Validates one raw input against the market's config.
 * @param nowMs the step's time (ms); timestamps after nowMs + maxFutureSkewMs are refused
 * @param index position of the input in its step, echoed in the rejection
 * @example
 * parseOracleInput(cfg, { source: 'gemini', price: 'NaN', timestampMs: 1 }, 1, 0)
 * // { ok: false, rejection: { code: 'ORACLE_BAD_PRICE', ... } }
 */
export function parseOracleInput(
  config: OracleConfig,
  raw: unknown,
  nowMs: number,
  index = 0,
): OracleInputParse {
  const fail = (
    code: OracleRejectionCode,
    message: string,
    details?: Record<string, string | number | null>,
  ) => ({ ok: false, rejection: oracleRejection(code, message, index, details) }) as const;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail('ORACLE_MALFORMED', 'an observation must be a JSON object');
  }
  const o = raw as Record<string, unknown>;
  const kind = o.kind ?? 'price';
  if (kind !== 'price' && kind !== 'trade' && kind !== 'book') {
    return fail('ORACLE_MALFORMED', `unknown kind ${JSON.stringify(kind)}`);
  }
  let source: string | null = null;
  if (kind === 'price') {
    if (typeof o.source !== 'string') return fail('ORACLE_MALFORMED', 'source must be a string');
    source = o.source;
    if (!config.sources.some((s) => s.id === source)) {
      return fail('ORACLE_UNKNOWN_SOURCE', `unknown source ${JSON.stringify(source)}`, { source });
    }
  }
  const src: Record<string, string> = source === null ? {} : { source };

  const ts = o.timestampMs;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) {
    return fail('ORACLE_BAD_TIMESTAMP', 'timestampMs must be a non-negative integer (ms)', {
      ...src,
      timestampMs: describe(ts),
    });
  }
  if (ts > nowMs + config.maxFutureSkewMs) {
    return fail('ORACLE_FUTURE_TIMESTAMP', `timestamp ${ts} is ${ts - nowMs} ms after now ${nowMs}`, {
      ...src,
      timestampMs: ts,
      nowMs,
    });
  }

  const price = (field: string): { ok: true; v: bigint } | { ok: false; why: string } => {
    const r = parseDecimal(o[field], PRICE_DECIMALS);
    if (!r.ok) return { ok: false, why: `${field}: ${r.issue.reason}` };
    if (r.value <= 0n) return { ok: false, why: `${field} must be > 0` };
    if (r.value >= MAX_PRICE_PX8) return { ok: false, why: `${field} is absurdly large` };
    return { ok: true, v: r.value };
  };
  const amount = (
    field: string,
    decimals: number,
  ): { ok: true; v: bigint | null } | { ok: false; why: string } => {
    if (o[field] === undefined || o[field] === null) return { ok: true, v: null };
    const r = parseDecimal(o[field], decimals);
    if (!r.ok) return { ok: false, why: `${field}: ${r.issue.reason}` };
    if (r.value < 0n) return { ok: false, why: `${field} must be ≥ 0` };
    return { ok: true, v: r.value };
  };

  if (kind === 'book') {
    const bid = price('impactBid');
    if (!bid.ok) return fail('ORACLE_BAD_PRICE', bid.why, { impactBid: describe(o.impactBid) });
    const ask = price('impactAsk');
    if (!ask.ok) return fail('ORACLE_BAD_PRICE', ask.why, { impactAsk: describe(o.impactAsk) });
    if (bid.v > ask.v) {
      return fail('ORACLE_CROSSED_BOOK', 'impact bid above impact ask', {
        impactBid: describe(o.impactBid),
        impactAsk: describe(o.impactAsk),
      });
    }
    return { ok: true, value: { kind, impactBidPx8: bid.v, impactAskPx8: ask.v, timeMs: ts } };
  }

  const p = price('price');
  if (!p.ok) return fail('ORACLE_BAD_PRICE', p.why, { ...src, price: describe(o.price) });
  if (kind === 'trade') {
    const size = amount('size', QTY_DECIMALS);
    if (!size.ok) return fail('ORACLE_BAD_VOLUME', size.why, { size: describe(o.size) });
    return { ok: true, value: { kind, pricePx8: p.v, timeMs: ts, sizeQty9: size.v } };
  }
  const conf = amount('confidence', PRICE_DECIMALS);
  if (!conf.ok)
    return fail('ORACLE_BAD_CONFIDENCE', conf.why, { ...src, confidence: describe(o.confidence) });
  const vol = amount('volume', QTY_DECIMALS);
  if (!vol.ok) return fail('ORACLE_BAD_VOLUME', vol.why, { ...src, volume: describe(o.volume) });
  return {
    ok: true,
    value: {
      kind: 'price',
      source: source as string,
      pricePx8: p.v,
      timeMs: ts,
      confidencePx8: conf.v,
      volumeQty9: vol.v,
    },
  };
}

/** A short, JSON-safe rendering of an offending value for rejection details. */
function describe(v: unknown): string {
  if (typeof v === 'string') return v.length > 64 ? `${v.slice(0, 61)}...` : v;
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (v === undefined) return 'undefined';
  try {
    const s = JSON.stringify(v);
    return s.length > 64 ? `${s.slice(0, 61)}...` : s;
  } catch {
    return typeof v;
  }
}
