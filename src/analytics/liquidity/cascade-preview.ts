/**
 * Cascade preview: what a move of the price to `targetPx` would liquidate in its first round,
 * and after the liquidations' own orders walk the order book (depth-model.ts) and push the
 * price further, liquidating more, round after round until a round liquidates nothing new.
 *
 * - Round 1: every position whose liquidation price the target reaches (a long at or below
 *   its liquidation price, a short at or above).
 * - Each round's positions are closed in full into the book: longs sell into the bids, shorts
 *   buy from the asks; the net flow walks the book on top of the earlier rounds' flow (nothing
 *   refills between rounds: a cascade is faster than the book's recovery), which moves the
 *   price to the book's new mid.
 * - The next round is every position not yet liquidated whose liquidation price that price
 *   reaches. At most `maxRounds` rounds (a bound, not a cut-off any real book reaches: with a
 *   finite number of positions there are at most as many rounds as positions).
 *
 * Closing every position in full makes this an upper bound of what partial liquidations
 * would sell. It is a model of the market (float64, like the depth model): which positions
 * it liquidates is its answer; the caller sums their exact notional itself.
 *
 * @example
 * // 10,000 base units per unit of fraction (100 within 1 %), a long of 100 at 96 and one of 20 at 94.5:
 * previewCascade([{ side: 'long', size: 100, liqPx: 96 }, { side: 'long', size: 20, liqPx: 94.5 }], 95,
 *   parametricDepthSource({ depthPerPct: 100 })).finalPx; // 95 × (1 − 120/10,000) = 93.86
 */
import { BookModel, type DepthSource, NO_GAP, NO_THINNING } from './depth-model.ts';

export interface CascadePosition {
  readonly side: 'long' | 'short';
  /** |size| in base units. */
  readonly size: number;
  /** The price at which it is liquidated. */
  readonly liqPx: number;
}

export interface CascadeRound {
  /** 1 for the move itself. */
  readonly round: number;
  /** The price that liquidated this round's positions. */
  readonly triggerPx: number;
  /** Indices (into the input) of the positions this round liquidates. */
  readonly positions: readonly number[];
  /** Base units sold (longs) and bought (shorts). */
  readonly sellSize: number;
  readonly buySize: number;
  /** The book's mid once this round's net flow has walked it. */
  readonly priceAfter: number;
}

export interface CascadePreview {
  readonly targetPx: number;
  readonly rounds: readonly CascadeRound[];
  /** Where the cascade stops (the target when nothing is liquidated). */
  readonly finalPx: number;
  /** True when `maxRounds` ended it while the last round still liquidated something. */
  readonly truncated: boolean;
}

export const DEFAULT_MAX_ROUNDS = 50;

const reaches = (p: CascadePosition, px: number) => (p.side === 'long' ? px <= p.liqPx : px >= p.liqPx);

export function previewCascade(
  positions: readonly CascadePosition[],
  targetPx: number,
  depth: DepthSource,
  opts: { maxRounds?: number } = {},
): CascadePreview {
  if (!(targetPx > 0)) throw new RangeError(`targetPx must be > 0, got ${targetPx}`);
  const maxRounds = opts.maxRounds ?? DEFAULT_MAX_ROUNDS;
  // One instant: no volatility history, so thinning and gaps stay off; the depth is the source's.
  const book = new BookModel(depth, { thinning: NO_THINNING, gap: NO_GAP });
  book.observe(0, targetPx);
  const done = new Uint8Array(positions.length);
  const rounds: CascadeRound[] = [];
  let px = targetPx;
  let truncated = false;
  for (;;) {
    const hit: number[] = [];
    for (let i = 0; i < positions.length; i++) if (!done[i] && reaches(positions[i]!, px)) hit.push(i);
    if (hit.length === 0) break;
    if (rounds.length === maxRounds) {
      truncated = true;
      break;
    }
    let sell = 0;
    let buy = 0;
    for (const i of hit) {
      done[i] = 1;
      const p = positions[i]!;
      if (p.side === 'long') sell += p.size;
      else buy += p.size;
    }
    const net = sell - buy;
    if (net > 0) book.impact('sell', net, targetPx);
    else if (net < 0) book.impact('buy', -net, targetPx);
    const after = book.mid(targetPx);
    rounds.push({
      round: rounds.length + 1,
      triggerPx: px,
      positions: hit,
      sellSize: sell,
      buySize: buy,
      priceAfter: after,
    });
    px = after;
  }
  return { targetPx, rounds, finalPx: px, truncated };
}
