/**
 * Trading against the book model: a market order of a party walks the model (at most what
 * keeps the fill within `maxDeviationShare` of the engine's `maxFillDeviation` of the mark),
 * fills against the external-liquidity account `STREET` at the walk's average price
 * (tick-rounded against the party), and its impact moves the mark. The backstop's **unload**
 * is this in chunks: what it took over goes back into the book, never pushing the mid more than
 * `maxDisplacement` from the exogenous price (the rest waits for the book to recover).
 * With an auction (../mechanisms.ts), standing bidders take part of the inventory first, at the
 * mark less the auction's discount, without touching the book.
 */
import { depthWithin } from '../../../analytics/liquidity/depth-model.ts';
import type { SubaccountRef } from '../../../core/model/engine-config.ts';
import { divRound, formatDecimal, PPM } from '../../../core/num/index.ts';
import { STREET } from '../../population.ts';
import { BACKSTOP, MARKET } from '../../venue.ts';
import type { AuctionOptions } from '../mechanisms.ts';
import type { RunContext } from './context.ts';
import type { MarkDriver } from './mark.ts';
import { fmtPx } from './path.ts';
import type { UnloadOptions } from './types.ts';

export class BookTrader {
  /** Backstop unload: fills, BTC sold / bought (qty9), notional, rounds left with inventory. */
  unloadFills = 0;
  sold = 0n;
  bought = 0n;
  unloadNotional = 0n;
  deferred = 0;
  /** Notional of the last fill, settlement units. */
  lastFillNotional = 0n;
  /** Auction: fills, quantity (qty9), and what the bidders may still take this minute. */
  auctionFills = 0;
  auctionQty = 0n;
  private auctionMinute = Number.NaN;
  private auctionLeft = 0;

  constructor(
    private readonly ctx: RunContext,
    private readonly mark: MarkDriver,
    private readonly opts: UnloadOptions,
    /** Step and tick sizes of the market (qty9, px8). */
    private readonly step: bigint,
    private readonly tick: bigint,
    private readonly backstopKey: string,
    private readonly auction?: AuctionOptions,
  ) {}

  /**
   * A market order of `party`: at most `want` (qty9) and, when `room` is finite, `room` BTC.
   * Returns the quantity filled (0n: none; −1n: the engine refused the fill, reported to `onReject`).
   */
  fill(
    party: SubaccountRef,
    side: 'sell' | 'buy',
    want: bigint,
    timeMs: number,
    room: number,
    onReject: (code: string) => void,
  ): bigint {
    const { ctx, step, tick } = this;
    const { state, book } = ctx;
    const exoF = this.mark.exoF;
    const devLimit = (Number(state.guards.maxFillDeviation) / 1e6) * this.opts.maxDeviationShare;
    const mark = ctx.market().markPx8!;
    const markF = Number(mark) / 1e8;
    book.advance(timeMs);
    const q = book.maxQtyWithin(side, exoF, markF, devLimit, Math.min(Number(want) / 1e9, room));
    const qty = (BigInt(Math.floor(q * 1e9)) / step) * step;
    if (qty <= 0n) return 0n;
    const preview = book.previewImpact(side, Number(qty) / 1e9, exoF);
    let px = BigInt(Math.round(preview.avgPrice * 1e8));
    px = divRound(px, tick, side === 'sell' ? 'floor' : 'ceil') * tick;
    const band = (mark * state.guards.maxFillDeviation) / PPM;
    const lo = divRound(mark - band, tick, 'ceil') * tick;
    const hi = divRound(mark + band, tick, 'floor') * tick;
    if (px < lo) px = lo;
    if (px > hi) px = hi;
    const r = ctx.engine.execute({
      type: 'fill',
      market: MARKET,
      buyer: side === 'sell' ? STREET : party,
      seller: side === 'sell' ? party : STREET,
      size: formatDecimal(qty, 9),
      price: fmtPx(px),
      taker: side === 'sell' ? 'seller' : 'buyer',
      timeMs: ctx.now(timeMs),
    });
    if (!r.ok) {
      onReject(r.rejection.code);
      return -1n;
    }
    book.impact(side, Number(qty) / 1e9, exoF);
    this.lastFillNotional = divRound(qty * px, 10n ** BigInt(17 - ctx.qd), 'halfEven');
    this.mark.noteDisplacement();
    return qty;
  }

  /** The backstop's position in the market (qty9, signed). */
  inventoryQty(): bigint {
    return this.inventory();
  }

  /**
   * Auction: standing bidders take up to their per-minute capacity (a share of the book's depth
   * within 1 % of the mid) at the mark ∓ discount (tick-rounded against the backstop, within the
   * engine's fill band); the book does not move. Returns the quantity sold or bought.
   */
  private sellToBidders(timeMs: number): bigint {
    const a = this.auction;
    if (!a) return 0n;
    const { ctx, step, tick } = this;
    const { state } = ctx;
    const minute = Math.floor(timeMs / 60_000);
    const inv = this.inventory();
    const side = inv > 0n ? 'sell' : 'buy';
    if (minute !== this.auctionMinute) {
      this.auctionMinute = minute;
      ctx.book.advance(timeMs);
      const curves = ctx.book.curves();
      const c = side === 'sell' ? curves.bid : curves.ask;
      // An infinitely deep book needs no auction.
      this.auctionLeft = c.infinite ? 0 : a.capacityShare * depthWithin(c, 0.01);
    }
    const absInv = inv < 0n ? -inv : inv;
    const want = BigInt(Math.floor(Math.min(this.auctionLeft, Number(absInv) / 1e9) * 1e9));
    const qty = (want / step) * step;
    if (qty <= 0n) return 0n;
    const mark = ctx.market().markPx8!;
    const dev = Math.min(
      a.discount,
      (Number(state.guards.maxFillDeviation) / 1e6) * this.opts.maxDeviationShare,
    );
    const raw = BigInt(Math.round(Number(mark) * (side === 'sell' ? 1 - dev : 1 + dev)));
    const px = divRound(raw, tick, side === 'sell' ? 'floor' : 'ceil') * tick;
    const r = ctx.engine.execute({
      type: 'fill',
      market: MARKET,
      buyer: side === 'sell' ? STREET : BACKSTOP,
      seller: side === 'sell' ? BACKSTOP : STREET,
      size: formatDecimal(qty, 9),
      price: fmtPx(px),
      taker: side === 'sell' ? 'seller' : 'buyer',
      timeMs: ctx.now(timeMs),
    });
    if (!r.ok) {
      ctx.bump(`AUCTION_${r.rejection.code}`);
      return 0n;
    }
    this.auctionLeft -= Number(qty) / 1e9;
    this.auctionFills++;
    this.auctionQty += qty;
    return qty;
  }

  private inventory(): bigint {
    return this.ctx.state.subaccounts.get(this.backstopKey)?.positions.get(MARKET)?.size ?? 0n;
  }

  /** Whether the backstop still holds at least one step to unload. */
  holdsInventory(): boolean {
    if (!this.opts.enabled) return false;
    const inv = this.inventory();
    return inv >= this.step || inv <= -this.step;
  }

  /** The backstop unloads its position into the book; returns whether the mark moved. */
  unload(timeMs: number): boolean {
    const { ctx } = this;
    if (!this.opts.enabled) return false;
    if (this.holdsInventory()) this.sellToBidders(timeMs);
    let moved = false;
    for (let chunk = 0; chunk < this.opts.chunksPerRound; chunk++) {
      const inv = this.inventory();
      const absInv = inv < 0n ? -inv : inv;
      if (absInv < this.step) break;
      const side = inv > 0n ? 'sell' : 'buy';
      ctx.book.advance(timeMs);
      const room = ctx.book.roomTo(side, this.opts.maxDisplacement);
      const qty = this.fill(BACKSTOP, side, absInv, timeMs, room, (code) => ctx.bump(`UNLOAD_${code}`));
      if (qty < 0n) break;
      if (qty === 0n) {
        this.deferred++;
        break;
      }
      this.unloadFills++;
      if (side === 'sell') this.sold += qty;
      else this.bought += qty;
      this.unloadNotional += this.lastFillNotional;
      const before = ctx.market().markPx8!;
      this.mark.push(this.mark.target(), timeMs);
      if (ctx.market().markPx8! !== before) moved = true;
    }
    return moved;
  }
}
