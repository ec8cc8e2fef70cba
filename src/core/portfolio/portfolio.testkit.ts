/**
 * Fixtures for the portfolio tests: a market snapshot on two underlyings and the hedged books
 * of the portfolio-margin work (long future + long put; short straddle delta-hedged with a future).
 */
import {
  type MarketSnapshot,
  type PortfolioAccount,
  type PortfolioPositionInput,
  parseMarketSnapshotUnsafe,
  parsePortfolioAccountUnsafe,
} from './model.ts';

export const DAY_MS = 86_400_000;
export const NOW_MS = Date.UTC(2025, 9, 10, 8);
export const EXPIRY_30D = NOW_MS + 30 * DAY_MS;

/** BTC 100,000 (vol 60%), ETH 4,000 (vol 75%), no basis, rate 0. */
export function snapshot(
  overrides: Partial<Record<'BTC' | 'ETH', { spot?: number; vol?: number; basisRate?: number }>> = {},
): MarketSnapshot {
  const u = (spot: number, vol: number, o?: { spot?: number; vol?: number; basisRate?: number }) => ({
    spot: o?.spot ?? spot,
    basisRate: o?.basisRate ?? 0,
    vol: { kind: 'flat' as const, vol: o?.vol ?? vol },
  });
  return parseMarketSnapshotUnsafe({
    nowMs: NOW_MS,
    underlyings: { BTC: u(100_000, 0.6, overrides.BTC), ETH: u(4_000, 0.75, overrides.ETH) },
  });
}

export function account(positions: PortfolioPositionInput[], collateral = 0): PortfolioAccount {
  return parsePortfolioAccountUnsafe({ collateral, positions });
}

/** Long 1 BTC future (30 days) + long 1 ATM put: the protective put. */
export function protectivePut(): PortfolioPositionInput[] {
  return [
    { type: 'future', id: 'fut', underlying: 'BTC', size: '1', entryPrice: '100000', expiryMs: EXPIRY_30D },
    {
      type: 'option',
      id: 'put',
      underlying: 'BTC',
      kind: 'put',
      strike: 100_000,
      expiryMs: EXPIRY_30D,
      size: 1,
    },
  ];
}

/** Short 1 ATM call + short 1 ATM put (30 days); add `hedge` BTC of future to delta-hedge. */
export function shortStraddle(hedge = 0): PortfolioPositionInput[] {
  const legs: PortfolioPositionInput[] = [
    {
      type: 'option',
      id: 'call',
      underlying: 'BTC',
      kind: 'call',
      strike: 100_000,
      expiryMs: EXPIRY_30D,
      size: -1,
    },
    {
      type: 'option',
      id: 'put',
      underlying: 'BTC',
      kind: 'put',
      strike: 100_000,
      expiryMs: EXPIRY_30D,
      size: -1,
    },
  ];
  if (hedge !== 0)
    legs.push({
      type: 'future',
      id: 'hedge',
      underlying: 'BTC',
      size: hedge,
      entryPrice: 100_000,
      expiryMs: EXPIRY_30D,
    });
  return legs;
}
