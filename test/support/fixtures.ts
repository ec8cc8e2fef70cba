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
