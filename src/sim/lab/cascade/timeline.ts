/**
 * The per-minute timeline of a cascade run: for each minute of the path, the last exogenous
 * price, the lowest and highest mark the engine saw, the mark's displacement from the
 * exogenous price, the liquidations (count, notional, deepest cascade level), the insurance
 * fund and the book's thinning and gap at the minute's close.
 */
import { fmtPx } from './path.ts';
import type { MinuteRow } from './types.ts';

export class MinuteTimeline {
  readonly rows: MinuteRow[] = [];
  /** Minute index from the path's start (−1 before the first point). */
  minute = -1;
  private startMs: number;
  lastExo: string;
  private liqs = 0;
  private notional = 0n;
  private depth = 0;
  private markLow: bigint;
  private markHigh: bigint;
  private dispLow = 0;
  private dispHigh = 0;

  constructor(
    private readonly t0: number,
    firstPrice: string,
    openPx8: bigint,
  ) {
    this.startMs = t0;
    this.lastExo = firstPrice;
    this.markLow = openPx8;
    this.markHigh = openPx8;
  }

  get minuteStartMs(): number {
    return this.startMs;
  }

  noteLiquidation(depth: number, notionalQuote: bigint): void {
    this.liqs++;
    this.notional += notionalQuote;
    if (depth > this.depth) this.depth = depth;
  }

  noteMark(px8: bigint): void {
    if (px8 < this.markLow) this.markLow = px8;
    if (px8 > this.markHigh) this.markHigh = px8;
  }

  noteDisplacement(d: number): void {
    if (d > this.dispHigh) this.dispHigh = d;
    if (d < this.dispLow) this.dispLow = d;
  }

  /** Starts minute `m` at the current mark and displacement. */
  open(m: number, markPx8: bigint, displacement: number): void {
    this.minute = m;
    this.startMs = this.t0 + m * 60_000;
    this.markLow = markPx8;
    this.markHigh = markPx8;
    this.dispLow = displacement;
    this.dispHigh = displacement;
  }

  /** Closes the current minute into a row (no-op before the first). */
  close(fund: string, book: { thinFactor: number; gap: number }, usd: (v: bigint) => string): void {
    if (this.minute < 0) return;
    this.rows.push({
      timeMs: this.startMs,
      exogenous: this.lastExo,
      markLow: fmtPx(this.markLow),
      markHigh: fmtPx(this.markHigh),
      displacementLow: this.dispLow,
      displacementHigh: this.dispHigh,
      liquidations: this.liqs,
      notional: usd(this.notional),
      maxDepth: this.depth,
      insuranceFund: fund,
      thinFactor: book.thinFactor,
      gapPct: book.gap * 100,
    });
    this.liqs = 0;
    this.notional = 0n;
    this.depth = 0;
  }
}
