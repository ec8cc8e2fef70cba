/**
 * A deterministic stream of engine commands for the durability tests (fault injection, the
 * kill -9 crash test): deposits, trades, price moves, withdrawals (some refused), liquidation
 * attempts and repeats of client command ids. The stream depends on its seed only, never on the
 * engine's answers, so two engines fed the same prefix must reach the same state.
 */

import { seededUniform } from '../../src/analytics/stats.ts';

/** mulberry32: a small seeded PRNG, uniform in [0, 1) (the stream is defined by it). */
export function mulberry32(seed: number): () => number {
  return seededUniform(seed);
}

/** The stream of the kill -9 crash test (src/store/crash.test.ts, crash-writer.ts). */
export const CRASH_STREAM_LENGTH = 30_000;
export const CRASH_STREAM_SEED = 42;

const ACCOUNTS = ['a', 'b', 'c', 'd', 'e', 'f'];

/**
 * `length` commands from `seed`. About 30% carry a client command id (`allIds`: every new
 * command, as `k-<index>`); about 5% are retries: the very same object (and id) as an earlier one.
 */
export function commandStream(
  length: number,
  seed = 1,
  opts: { allIds?: boolean } = {},
): Record<string, unknown>[] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: Record<string, unknown>[] = [];
  let px = 60_000;
  let timeMs = 1_000;
  for (let i = 0; i < length; i++) {
    const r = rnd();
    const withId = rnd() < 0.3 || opts.allIds === true;
    const id = withId ? { commandId: opts.allIds === true ? `k-${i}` : `c-${seed}-${i}` } : {};
    if (i > 0 && rnd() < 0.05) {
      // a retry: the same command (and id) again
      out.push(out[Math.floor(rnd() * out.length)]!);
      continue;
    }
    if (r < 0.25) {
      out.push({
        type: 'deposit',
        ...id,
        to: { account: pick(ACCOUNTS) },
        asset: 'USDC',
        amount: String(1_000 + Math.floor(rnd() * 9_000)),
      });
    } else if (r < 0.5) {
      const buyer = pick(ACCOUNTS);
      let seller = pick(ACCOUNTS);
      if (seller === buyer) seller = buyer === 'a' ? 'b' : 'a';
      out.push({
        type: 'fill',
        ...id,
        market: 'BTC-PERP',
        buyer: { account: buyer },
        seller: { account: seller },
        size: (0.001 * (1 + Math.floor(rnd() * 50))).toFixed(3),
        price: px.toFixed(1),
        timeMs,
      });
    } else if (r < 0.7) {
      px = Math.max(1_000, Math.round(px * (1 + (rnd() - 0.5) * 0.06)));
      timeMs += 1_000;
      out.push({
        type: 'prices',
        ...id,
        timeMs,
        marks: { 'BTC-PERP': px.toFixed(1) },
        assets: { BTC: px.toFixed(1) },
      });
    } else if (r < 0.85) {
      out.push({
        type: 'withdraw',
        ...id,
        from: { account: pick(ACCOUNTS) },
        asset: 'USDC',
        amount: String(500 + Math.floor(rnd() * 8_000)),
      });
    } else {
      out.push({ type: 'liquidate', ...id, subaccount: { account: pick(ACCOUNTS) }, timeMs });
    }
  }
  return out;
}
