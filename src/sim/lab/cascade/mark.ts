/**
 * The engine's mark in the cascade simulator. On a single price series (`prices` mode): the
 * exogenous price × (1 + the book model's displacement), sent as `prices` commands (mark and BTC
 * collateral together) split so that no update moves more than 90 % of the engine's
 * `maxPriceMove` guard. With the oracle feed (`oracle` mode) the engine's guarded oracle sets the
 * mark from the displaced observations (./oracle-ticks.ts): `push` sends nothing and only records
 * the mark the engine holds. Tracks the lowest mark and exogenous price and the largest
 * displacements, for the report and the timeline.
 */
import { PPM } from '../../../core/num/index.ts';
import { BASE_ASSET, MARKET } from '../../venue.ts';
import type { RunContext } from './context.ts';
import { fmtPx, px8Of } from './path.ts';
import type { MinuteTimeline } from './timeline.ts';

export class MarkDriver {
  /** The current exogenous price, exact (px8) and as a float for the book model. */
  exoPx8: bigint;
  exoF: number;
  markLow: bigint;
  exoLow: bigint;
  /** Most negative / most positive displacement seen (fractions). */
  maxDisplacement = 0;
  maxDisplacementUp = 0;

  constructor(
    private readonly ctx: RunContext,
    private readonly timeline: MinuteTimeline,
    openPx8: bigint,
    firstPrice: string,
    /** 'oracle': the engine's oracle sets the mark; `push` only records it. */
    readonly mode: 'prices' | 'oracle' = 'prices',
  ) {
    this.exoPx8 = openPx8;
    this.exoF = Number(firstPrice);
    this.markLow = openPx8;
    this.exoLow = openPx8;
  }

  /** A new exogenous price point. */
  setExogenous(price: string): void {
    this.exoPx8 = px8Of(price);
    this.exoF = Number(price);
    if (this.exoPx8 < this.exoLow) this.exoLow = this.exoPx8;
  }

  /** Where the mark should be: exogenous × (1 + displacement), px8 (at least 1). */
  target(): bigint {
    const d = this.ctx.book.displacement;
    if (d === 0) return this.exoPx8;
    const px = BigInt(Math.round(this.exoF * (1 + d) * 1e8));
    return px > 0n ? px : 1n;
  }

  noteDisplacement(): void {
    const d = this.ctx.book.displacement;
    if (d < this.maxDisplacement) this.maxDisplacement = d;
    if (d > this.maxDisplacementUp) this.maxDisplacementUp = d;
    this.timeline.noteDisplacement(d);
  }

  /** Moves mark and BTC price to `target`, in steps within 90 % of the price guard. */
  push(target: bigint, timeMs: number): void {
    const { ctx } = this;
    if (this.mode === 'oracle') {
      this.noteEngineMark();
      return;
    }
    const limit = (ctx.state.guards.maxPriceMove * 9n) / 10n;
    let cur = ctx.market().markPx8!;
    while (cur !== target) {
      const maxStep = (cur * limit) / PPM;
      let next = target;
      if (target > cur + maxStep) next = cur + maxStep;
      else if (target < cur - maxStep) next = cur - maxStep;
      ctx.exec({
        type: 'prices',
        timeMs: ctx.now(timeMs),
        marks: { [MARKET]: fmtPx(next) },
        assets: { [BASE_ASSET]: fmtPx(next) },
      });
      cur = next;
    }
    if (target < this.markLow) this.markLow = target;
    this.timeline.noteMark(target);
  }

  /** Records the mark the engine holds (the guarded mark, in oracle mode). */
  noteEngineMark(): void {
    const mark = this.ctx.market().markPx8!;
    if (mark < this.markLow) this.markLow = mark;
    this.timeline.noteMark(mark);
  }
}
