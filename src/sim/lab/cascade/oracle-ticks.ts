/**
 * The oracle feed in the cascade simulator: a crash day's real multi-source observations
 * (../../oracle-feed.ts, the demo's reader and oracle config) reach the engine's `oracle` command
 * at their own times, each price displaced by the book model's displacement at that moment — the
 * liquidation selling moves every venue's price together (docs/risk-lab.md) — so the mark the lab
 * margins and liquidates on is the guarded mark (breaker, safe mode, move confirmation).
 *
 * The exogenous kline points still drive the book model (volatility, thinning, its reference
 * price) and the per-minute work; `mergeTicks` interleaves them with the oracle steps in time
 * order (a kline point before an oracle step at the same time).
 */
import type { OracleInputRaw } from '../../../core/oracle/index.ts';
import type { ReplayStep } from '../../feeds/crash-replay.ts';
import type { PricePoint } from './path.ts';
import { fmtPx, px8Of } from './path.ts';

export type LabTick =
  | { readonly kind: 'point'; readonly timeMs: number; readonly point: PricePoint }
  | { readonly kind: 'oracle'; readonly timeMs: number; readonly step: ReplayStep };

/** Path points and oracle steps in one time-ordered list. */
export function mergeTicks(path: readonly PricePoint[], steps: readonly ReplayStep[]): LabTick[] {
  const out: LabTick[] = [];
  let j = 0;
  for (const point of path) {
    while (j < steps.length && steps[j]!.nowMs < point.timeMs) {
      out.push({ kind: 'oracle', timeMs: steps[j]!.nowMs, step: steps[j]! });
      j++;
    }
    out.push({ kind: 'point', timeMs: point.timeMs, point });
  }
  for (; j < steps.length; j++) out.push({ kind: 'oracle', timeMs: steps[j]!.nowMs, step: steps[j]! });
  return out;
}

/** A decimal price × (1 + d), px8 (at least 1), as a decimal string; unchanged when d is 0. */
export function displacePrice(price: string, d: number): string {
  if (d === 0) return price;
  const px = (px8Of(price) * BigInt(Math.round((1 + d) * 1e9))) / 1_000_000_000n;
  return fmtPx(px > 0n ? px : 1n);
}

/** Every price of the observations (source prices, trades, the book's impact prices) × (1 + d). */
export function displaceInputs(inputs: readonly OracleInputRaw[], d: number): OracleInputRaw[] {
  if (d === 0) return [...inputs];
  return inputs.map((o) =>
    o.kind === 'book'
      ? { ...o, impactBid: displacePrice(o.impactBid, d), impactAsk: displacePrice(o.impactAsk, d) }
      : { ...o, price: displacePrice(o.price, d) },
  );
}
