/**
 * Binance Data Vision `bookDepth` files: banded order-book depth, one snapshot every
 * ~30 s. Columns: timestamp ("2025-10-10 00:00:07", UTC), percentage (−5..−1 bids,
 * 1..5 asks, % from mid), depth (BTC within the band), notional (USDT), weighted_avg_price
 * (= notional / depth). This is banded depth, not an L2 book.
 *
 * The mark's `book` input wants impact bid / ask prices. Here the ±1 % bands' average
 * prices serve as *proxies*: the average price of everything resting within 1 % of the
 * mid. They sit wider than a true impact price for a modest notional, so the premium
 * computed from them is conservative (zero while the index lies between them). The file
 * has up to 9 decimals; they are rounded half-even to 8 (px8) — the only rounding in the
 * replay, and only of this proxy.
 */
import { readFileSync } from 'node:fs';
import { divRound, formatDecimal, parseDecimal } from '../../core/num/index.ts';
import type { OracleInputRaw } from '../../core/oracle/index.ts';

export const BOOK_DEPTH_HEADER = 'timestamp,percentage,depth,notional,weighted_avg_price';

export interface BookProxy {
  /** Snapshot time, ms since the epoch. */
  readonly timeMs: number;
  /** Average price of the bids within 1 % of mid (8 decimals, half-even). */
  readonly impactBid: string;
  /** Average price of the asks within 1 % of mid. */
  readonly impactAsk: string;
}

export class BookDepthError extends Error {
  override name = 'BookDepthError';
}

/** Reads the ±1 % bands of every snapshot (snapshots lacking either band are skipped). */
export function readBookDepthProxies(path: string): BookProxy[] {
  return parseBookDepthProxies(readFileSync(path, 'utf8'), path);
}

export function parseBookDepthProxies(text: string, source = '<input>'): BookProxy[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if ((lines[0] ?? '').trim() !== BOOK_DEPTH_HEADER) {
    throw new BookDepthError(`${source}:1: expected header ${BOOK_DEPTH_HEADER}`);
  }
  const snapshots = new Map<number, { bid?: string; ask?: string }>();
  for (let i = 1; i < lines.length; i++) {
    // Fields are trimmed: the 2025-10-10 file has one line with a leading space.
    const f = lines[i]!.split(',').map((x) => x.trim());
    if (f.length !== 5) throw new BookDepthError(`${source}:${i + 1}: expected 5 columns, found ${f.length}`);
    const [ts, pct, , , avg] = f as [string, string, string, string, string];
    if (pct !== '1' && pct !== '-1') continue;
    const timeMs = parseUtc(ts, `${source}:${i + 1}`);
    const price = toPx8String(avg, `${source}:${i + 1}`);
    const snap = snapshots.get(timeMs) ?? {};
    if (pct === '-1') snap.bid = price;
    else snap.ask = price;
    snapshots.set(timeMs, snap);
  }
  const out: BookProxy[] = [];
  for (const [timeMs, s] of [...snapshots].sort((a, b) => a[0] - b[0])) {
    if (s.bid !== undefined && s.ask !== undefined) out.push({ timeMs, impactBid: s.bid, impactAsk: s.ask });
  }
  return out;
}

/** Book proxies as `book` inputs (a crossed snapshot stays crossed: the oracle rejects it). */
export function bookToInputs(book: readonly BookProxy[]): OracleInputRaw[] {
  return book.map((b) => ({
    kind: 'book',
    impactBid: b.impactBid,
    impactAsk: b.impactAsk,
    timestampMs: b.timeMs,
  }));
}

function parseUtc(ts: string, where: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(ts);
  if (m === null) throw new BookDepthError(`${where}: timestamp ${JSON.stringify(ts)}`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function toPx8String(text: string, where: string): string {
  const r = parseDecimal(text, 18);
  if (!r.ok || r.value <= 0n) throw new BookDepthError(`${where}: price ${JSON.stringify(text)}`);
  return formatDecimal(divRound(r.value, 10n ** 10n, 'halfEven'), 8);
}
