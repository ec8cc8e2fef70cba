/** Shared test fixtures: a small venue with USDC settlement, BTC and a yield-bearing token. */

import { Engine, type JournalPort } from '../../src/core/engine/engine.ts';
import type { EngineConfigInput } from '../../src/core/model/engine-config.ts';

export function venueConfig(overrides: Partial<EngineConfigInput> = {}): EngineConfigInput {
  return {
    settlementAsset: 'USDC',
    assets: [
      { id: 'USDC', decimals: 6 },
      { id: 'BTC', decimals: 8, initialWeight: '0.8', maintenanceWeight: '0.9' },
      { id: 'ETH', decimals: 18, initialWeight: '0.8', maintenanceWeight: '0.9', sizeHaircutFactor: '0.01' },
      {
        id: 'stETH',
        decimals: 18,
        initialWeight: '0.75',
        maintenanceWeight: '0.85',
        yieldBearing: { underlying: 'ETH' },
      },
    ],
    markets: [
      {
        id: 'BTC-PERP',
        kind: 'perpetual',
        base: 'BTC',
        stepSize: '0.001',
        tickSize: '0.1',
        margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } },
        takerFee: '0.0005',
        makerFee: '0.0002',
      },
      {
        id: 'ETH-PERP',
        kind: 'perpetual',
        base: 'ETH',
        stepSize: '0.01',
        tickSize: '0.01',
        margin: { kind: 'fixed', initialRatio: '0.05', maintenance: { fractionOfInitial: '0.6' } },
      },
    ],
    backstop: { account: 'backstop' },
    ...overrides,
  };
}

export function newVenue(opts: { journal?: JournalPort; config?: Partial<EngineConfigInput> } = {}): Engine {
  const engine = Engine.create(venueConfig(opts.config), opts.journal ? { journal: opts.journal } : {});
  engine.executeOrThrow({
    type: 'prices',
    timeMs: 1,
    marks: { 'BTC-PERP': '60000', 'ETH-PERP': '3000' },
    assets: { BTC: '60000', ETH: '3000' },
    exchangeRates: { stETH: '1.1' },
  });
  engine.executeOrThrow({ type: 'deposit', to: { account: 'backstop' }, asset: 'USDC', amount: '10000000' });
  return engine;
}

export const ref = (account: string, sub = '0') => ({ account, sub });

/**
 * Oracle config input for BTC-PERP on three equal sources a, b, c: mark = index, at least two
 * sources within `maxDeviation` (default 2 %), a breaker and recovery the caller tunes.
 */
export function threeSourceOracle(opts: {
  maxAgeMs: number;
  maxMovePerInterval: string;
  recovery: { minHealthyMs: number; sourceProbationMs?: number };
  confirmation?: null;
}) {
  return {
    market: 'BTC-PERP',
    sources: ['a', 'b', 'c'].map((id) => ({ id, maxAgeMs: opts.maxAgeMs })),
    minSources: 2,
    maxDeviation: '0.02',
    mark: { kind: 'index' as const },
    breaker: { maxMovePerInterval: opts.maxMovePerInterval, intervalMs: 60_000 },
    recovery: opts.recovery,
    ...(opts.confirmation === null ? { confirmation: null } : {}),
  };
}

/** The same price from sources a, b and c at time t. */
export const quotes = (t: number, px: string) =>
  ['a', 'b', 'c'].map((source) => ({ source, price: px, timestampMs: t }));

/**
 * Funds the backstop and a deep-pocketed `whale`, then opens `count` 0.1 BTC longs at 60,000
 * (accounts t0, t1, …, collateral 700 + 10·i USDC) against the whale at `timeMs`.
 */
export function longsAgainstWhale(engine: Engine, count: number, timeMs: number): void {
  engine.executeOrThrow({ type: 'deposit', to: { account: 'backstop' }, asset: 'USDC', amount: '10000000' });
  engine.executeOrThrow({ type: 'deposit', to: { account: 'whale' }, asset: 'USDC', amount: '10000000' });
  for (let i = 0; i < count; i++) {
    const account = `t${i}`;
    engine.executeOrThrow({ type: 'deposit', to: { account }, asset: 'USDC', amount: String(700 + 10 * i) });
    engine.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: { account },
      seller: { account: 'whale' },
      size: '0.1',
      price: '60000',
      timeMs,
    });
  }
}
