/**
 * Bench support: venue configurations with N markets, seeded populations built through
 * the engine (every position comes from a real fill), and timing statistics.
 */

import { seededUniform } from '../src/analytics/stats.ts';
import { Engine, type JournalPort } from '../src/core/engine/engine.ts';
import * as orderCheck from '../src/core/engine/order-check.ts';
import type { MarginModelConfigInput } from '../src/core/model/config.ts';
import type { EngineConfigInput } from '../src/core/model/engine-config.ts';

/** Deterministic PRNG (mulberry32): benches must build the same population every run. */
export function rng(seed: number): () => number {
  return seededUniform(seed);
}

export const BASE_MARK = 100;

/**
 * A USDC-settled venue with `n` perpetuals M0..M{n−1} (mark 100, step 0.001, tick 0.01),
 * cycling through the margin models: fixed 10%/5%, Binance-style brackets, Drift-style
 * sqrtSize, fixed 5%/3%. ETH (18 dp, 90% maintenance weight) is accepted as collateral.
 */
export function benchConfig(n: number): EngineConfigInput {
  const models: MarginModelConfigInput[] = [
    { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } },
    {
      kind: 'brackets',
      brackets: [
        { notionalCap: '50000', maintenanceRatio: '0.01', initialRatio: '0.05' },
        { notionalCap: '250000', maintenanceRatio: '0.025', initialRatio: '0.05' },
        { notionalCap: '1000000', maintenanceRatio: '0.05', initialRatio: '0.1' },
        { maintenanceRatio: '0.1', initialRatio: '0.2' },
      ],
    },
    { kind: 'sqrtSize', initialRatio: '0.1', maintenance: { ratio: '0.05' }, imfFactor: '0.0005' },
    { kind: 'fixed', initialRatio: '0.05', maintenance: { ratio: '0.03' } },
  ];
  return {
    settlementAsset: 'USDC',
    assets: [
      { id: 'USDC', decimals: 6 },
      { id: 'ETH', decimals: 18, initialWeight: '0.8', maintenanceWeight: '0.9' },
    ],
    markets: Array.from({ length: n }, (_, i) => ({
      id: `M${i}`,
      kind: 'perpetual' as const,
      base: `B${i}`,
      stepSize: '0.001',
      tickSize: '0.01',
      margin: models[i % models.length]!,
      takerFee: '0.0005',
      makerFee: '0.0002',
    })),
    backstop: { account: 'backstop' },
  };
}

/** Engine with `markets` markets at mark 100, ETH at 3000, and a funded backstop. */
export function benchVenue(markets: number, journal?: JournalPort): Engine {
  const engine = Engine.create(benchConfig(markets), journal ? { journal } : {});
  const marks: Record<string, string> = {};
  for (let i = 0; i < markets; i++) marks[`M${i}`] = String(BASE_MARK);
  engine.executeOrThrow({ type: 'prices', timeMs: 1, marks, assets: { ETH: '3000' } });
  engine.executeOrThrow({
    type: 'deposit',
    to: { account: 'backstop' },
    asset: 'USDC',
    amount: '1000000000',
  });
  return engine;
}

/**
 * The commands that fund `trader` and `maker` and give `trader` its 10 positions, long and short
 * (M0 at +0.001 so fills of 0.002 flip it): preTradeAccount's book, also submitted through the
 * commit pipeline by bench/durable-fills.ts.
 */
export function preTradeBook(trader: { account: string }, maker: { account: string }) {
  const commands: Record<string, unknown>[] = [
    { type: 'deposit', to: trader, asset: 'USDC', amount: '100000' },
    { type: 'deposit', to: maker, asset: 'USDC', amount: '10000000' },
  ];
  for (let m = 0; m < 10; m++) {
    const long = m % 2 === 0;
    commands.push({
      type: 'fill',
      market: `M${m}`,
      buyer: long ? trader : maker,
      seller: long ? maker : trader,
      size: m === 0 ? '0.001' : '20',
      price: String(BASE_MARK),
    });
  }
  return commands;
}

/**
 * Bench block a's account (also bench/fill-cost.ts): `trader` with 10 positions, long and short,
 * on a 10-market `benchVenue` — M0 at +0.001 so fills of 0.002 flip it — and three resting orders
 * (two markets), so an order check reserves against a real book; `maker` is every counterparty.
 */
export function preTradeAccount(engine: Engine): { trader: { account: string }; maker: { account: string } } {
  const trader = { account: 'trader' };
  const maker = { account: 'maker' };
  for (const c of preTradeBook(trader, maker)) engine.executeOrThrow(c);
  for (const [id, market, side] of [
    ['r1', 'M3', 'buy'],
    ['r2', 'M3', 'sell'],
    ['r3', 'M7', 'buy'],
  ] as const)
    engine.executeOrThrow({
      type: 'place_order',
      orderId: id,
      subaccount: trader,
      market,
      side,
      size: '2',
      price: side === 'buy' ? '99' : '101',
    });
  if (engine.state.subaccounts.get('trader/0')?.positions.size !== 10)
    throw new Error('trader should hold 10 positions');
  return { trader, maker };
}

export interface PopulationOptions {
  accounts: number;
  markets: number;
  /** Positions per account (≤ markets). */
  positionsPerAccount: number;
  seed: number;
  /** Share of accounts that trade their first market in isolated mode. */
  isolatedShare?: number;
  /** Share of accounts that post ETH instead of part of their USDC. */
  ethShare?: number;
  /** Leverage range (per account, on its total notional). */
  minLeverage?: number;
  maxLeverage?: number;
}

/**
 * Accounts are opened in pairs that trade with each other (one long, one short in each of
 * their markets), so no giant counterparty distorts the book: `accounts` subaccounts, each
 * with `positionsPerAccount` positions. Returns the number of rejected fills (over-leveraged
 * sizes are simply skipped by the engine).
 */
export function populate(engine: Engine, o: PopulationOptions): { rejected: number; commands: number } {
  const rand = rng(o.seed);
  const minLev = o.minLeverage ?? 2;
  const maxLev = o.maxLeverage ?? 8;
  let rejected = 0;
  let commands = 0;
  const exec = (c: unknown) => {
    commands++;
    if (!engine.execute(c).ok) rejected++;
  };
  for (let i = 0; i + 1 < o.accounts; i += 2) {
    const a = { account: `u${i}` };
    const b = { account: `u${i + 1}` };
    const usdc = 1_000 + Math.floor(rand() * 20_000);
    for (const who of [a, b]) {
      if (rand() < (o.ethShare ?? 0)) {
        exec({ type: 'deposit', to: who, asset: 'USDC', amount: String(Math.floor(usdc / 2)) });
        exec({ type: 'deposit', to: who, asset: 'ETH', amount: (usdc / 2 / 3000 / 0.9).toFixed(6) });
      } else {
        exec({ type: 'deposit', to: who, asset: 'USDC', amount: String(usdc) });
      }
    }
    const first = Math.floor(rand() * o.markets);
    if (rand() < (o.isolatedShare ?? 0)) {
      exec({ type: 'set_margin_mode', subaccount: a, market: `M${first}`, mode: 'isolated' });
    }
    const leverage = minLev + rand() * (maxLev - minLev);
    const perLeg = (usdc * leverage) / o.positionsPerAccount;
    for (let k = 0; k < o.positionsPerAccount; k++) {
      const m = (first + k) % o.markets;
      const size = Math.max(0.001, (perLeg / BASE_MARK) * (0.5 + rand())).toFixed(3);
      const aLong = rand() < 0.5;
      exec({
        type: 'fill',
        market: `M${m}`,
        buyer: aLong ? a : b,
        seller: aLong ? b : a,
        size,
        price: String(BASE_MARK),
      });
    }
  }
  return { rejected, commands };
}

/** Median, p99 and mean of samples (any unit). */
export function stats(samples: number[]): {
  median: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
} {
  const s = [...samples].sort((x, y) => x - y);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  return {
    median: at(0.5),
    p99: at(0.99),
    mean: s.reduce((acc, x) => acc + x, 0) / s.length,
    min: s[0]!,
    max: s[s.length - 1]!,
  };
}

/** Runs fn `runs` times and returns each call's duration in ns (process.hrtime.bigint). */
export function timeEach(runs: number, fn: (i: number) => void): number[] {
  const out = new Array<number>(runs);
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn(i);
    out[i] = Number(process.hrtime.bigint() - t0);
  }
  return out;
}

export function fmtNs(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export function fmtRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)} k/s`;
  return `${perSecond.toFixed(0)} /s`;
}

/**
 * Bench block a's timed operations on `preTradeAccount`'s book: the order (a buy of 1 M3 at 99.5),
 * its check (`decideOrderCheck` on the validated order) and fills of 0.002 in M0 — selling takes
 * M0 from +0.001 to −0.001, buying takes it back, so every fill flips both sides (both
 * margin-checked) and the state stays bounded (two states, plus fees). `checks` defaults to this
 * checkout's order-check module; bench/fill-cost.ts passes another checkout's.
 */
export function preTradeOps(
  engine: Pick<Engine, 'execute' | 'state'>,
  accounts: { trader: { account: string }; maker: { account: string } },
  checks: Pick<typeof orderCheck, 'decideOrderCheck' | 'parseOrderCheck'> = orderCheck,
) {
  const { trader, maker } = accounts;
  const order = {
    subaccount: trader,
    market: 'M3',
    orderId: 'q1',
    side: 'buy' as const,
    size: '1',
    price: '99.5',
  };
  const parsed = checks.parseOrderCheck(order);
  if ('rejection' in parsed) throw new Error(`order refused: ${parsed.rejection.code}`);
  const check = () => {
    const r = checks.decideOrderCheck(engine.state, parsed);
    if (!r.ok) throw new Error(`check refused: ${r.rejection.code}`);
    return r;
  };
  const sell = { type: 'fill', market: 'M0', buyer: maker, seller: trader, size: '0.002', price: '100' };
  const buy = { type: 'fill', market: 'M0', buyer: trader, seller: maker, size: '0.002', price: '100' };
  let flip = 0;
  const fill = () => {
    const r = engine.execute(flip++ % 2 === 0 ? sell : buy);
    if (!r.ok) throw new Error(`fill rejected: ${r.rejection.code}`);
    return r;
  };
  return { order, check, fill };
}
