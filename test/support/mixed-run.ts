/**
 * A seeded mixed run on the bench venue (bench/support.ts): deposits in USDC and ETH, fills
 * (some executing resting orders), orders placed, amended and cancelled, pre-trade checks,
 * isolated positions and their margin, withdrawals, price moves, then a crash and the
 * liquidations it makes possible. The commands depend on the seed only, never on the engine's
 * answers, so two versions of the engine can be compared on it: the outcomes, the journal text
 * and the state hash must agree (fill-path changes must not change an answer or a byte).
 */
import { createHash } from 'node:crypto';
import { BASE_MARK, benchVenue } from '../../bench/support.ts';
import type { Engine } from '../../src/core/engine/engine.ts';
import { InMemoryJournal } from '../../src/store/memory-journal.ts';
import { mulberry32 } from './command-stream.ts';

export interface MixedRunResult {
  /** One line per command: accepted with its event count, or the rejection code. */
  readonly outcomes: readonly string[];
  /** sha256 of the journal's texts, in order. */
  readonly journalHash: string;
  readonly stateHash: string;
  /** Liquidate commands sent after the crash (one per liquidatable scope). */
  readonly liquidations: number;
  readonly journalTexts: readonly string[];
}

const MARKETS = 6;

export function mixedRun(seed: number, steps: number): MixedRunResult {
  const journal = new InMemoryJournal();
  const engine: Engine = benchVenue(MARKETS, journal);
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const accounts = ['a', 'b', 'c', 'd', 'e'];
  const ref = (a: string) => ({ account: a });
  const qty = () => (1 + Math.floor(rnd() * 1500)) / 100; // 0.01 … 15
  const outcomes: string[] = [];
  const run = (c: Record<string, unknown>) => {
    const r = engine.execute(c);
    outcomes.push(r.ok ? `ok ${r.events.length}` : `no ${r.rejection.code}`);
  };
  for (const a of accounts)
    run({ type: 'deposit', to: ref(a), asset: 'USDC', amount: String(500 + Math.floor(rnd() * 5000)) });
  run({ type: 'deposit', to: ref('e'), asset: 'ETH', amount: '2' });
  run({ type: 'set_margin_mode', subaccount: ref('d'), market: 'M1', mode: 'isolated' });
  let price = BASE_MARK;
  let order = 0;
  let t = 2;
  for (let i = 0; i < steps; i++) {
    const x = rnd();
    const m = `M${Math.floor(rnd() * MARKETS)}`;
    const [buyer, seller] = [pick(accounts), pick(accounts)];
    const px = (price * (1 + (rnd() - 0.5) * 0.02)).toFixed(2);
    if (x < 0.45) {
      const fill: Record<string, unknown> = {
        type: 'fill',
        market: m,
        buyer: ref(buyer),
        seller: ref(seller),
        size: String(qty()),
        price: px,
      };
      if (rnd() < 0.3) fill.taker = 'seller';
      if (rnd() < 0.15 && order > 0) fill.buyOrderId = `o${Math.floor(rnd() * order)}`;
      run(fill);
    } else if (x < 0.6) {
      run({
        type: 'place_order',
        orderId: `o${order++}`,
        subaccount: ref(buyer),
        market: m,
        side: rnd() < 0.5 ? 'buy' : 'sell',
        size: String(qty()),
        price: px,
      });
    } else if (x < 0.65 && order > 0) {
      run({ type: 'cancel_order', orderId: `o${Math.floor(rnd() * order)}` });
    } else if (x < 0.7 && order > 0) {
      run({ type: 'amend_order', orderId: `o${Math.floor(rnd() * order)}`, size: String(qty()) });
    } else if (x < 0.78) {
      const c = engine.checkOrder({
        subaccount: ref(buyer),
        market: m,
        orderId: `q${i}`,
        side: rnd() < 0.5 ? 'buy' : 'sell',
        size: String(qty()),
        price: px,
      });
      outcomes.push(
        c.ok
          ? `check ${JSON.stringify(c, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`
          : `check no ${c.rejection.code}`,
      );
    } else if (x < 0.82) {
      run({
        type: 'adjust_isolated_margin',
        subaccount: ref('d'),
        market: 'M1',
        amount: String(Math.floor((rnd() - 0.3) * 50)),
      });
    } else if (x < 0.86) {
      run({ type: 'withdraw', from: ref(buyer), asset: 'USDC', amount: String(Math.floor(rnd() * 300)) });
    } else if (x < 0.9) {
      const eth = rnd() < 0.3;
      run({ type: 'deposit', to: ref(buyer), asset: eth ? 'ETH' : 'USDC', amount: eth ? '0.05' : '40' });
    } else {
      price = price * (1 + (rnd() - 0.5) * 0.01);
      const marks: Record<string, string> = {};
      for (let k = 0; k < MARKETS; k++) marks[`M${k}`] = price.toFixed(2);
      run({
        type: 'prices',
        timeMs: t++,
        marks,
        assets: { ETH: (3000 * (1 + (rnd() - 0.5) * 0.05)).toFixed(2) },
      });
    }
  }
  // a, b and c lever up (long the even markets, short the odd ones) until margin refuses them
  for (const a of ['a', 'b', 'c'])
    for (let k = 0; k < 8; k++) {
      const m = k % MARKETS;
      const long = m % 2 === 0;
      const other = long ? 'e' : 'd';
      run({
        type: 'fill',
        market: `M${m}`,
        buyer: ref(long ? a : other),
        seller: ref(long ? other : a),
        size: String(20 + Math.floor(rnd() * 200)),
        price: price.toFixed(2),
      });
    }
  // the crash, then every liquidatable scope liquidated (by the backstop)
  // (in steps of 4%: a single large jump may be held back by the price guards)
  for (let step = 1; step <= 6; step++) {
    const crash: Record<string, string> = {};
    for (let k = 0; k < MARKETS; k++)
      crash[`M${k}`] = (price * (k % 2 === 0 ? 1 - 0.04 * step : 1 + 0.04 * step)).toFixed(2);
    run({ type: 'prices', timeMs: t++, marks: crash, assets: { ETH: String(3000 - 150 * step) } });
  }
  let liquidations = 0;
  for (const { ref: r, scope } of engine.liquidatable()) {
    const c: Record<string, unknown> = { type: 'liquidate', subaccount: r };
    if (scope.kind === 'isolated') c.isolatedMarket = scope.market;
    run(c);
    liquidations++;
  }
  const journalTexts = [...journal.read(0)].map((e) => e.json);
  const h = createHash('sha256');
  for (const j of journalTexts) h.update(j).update('\n');
  return {
    outcomes,
    liquidations,
    journalHash: h.digest('hex'),
    stateHash: engine.stateHash(),
    journalTexts,
  };
}
