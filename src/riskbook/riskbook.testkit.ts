/**
 * Test kit for the risk book (used by its tests only): a venue with four markets of three
 * margin-model kinds (fixed, brackets, sqrtSize), collateral in USDC, BTC, ETH (with a size
 * haircut) and stETH (yield-bearing), and a population builder driven by plain specs so
 * fast-check can generate them.
 */
import fc from 'fast-check';
import { venueConfig } from '../../test/support/fixtures.ts';
import { Engine } from '../core/engine/engine.ts';
import type { EngineConfigInput } from '../core/model/engine-config.ts';
import { formatDecimal, parseDecimalUnsafe } from '../core/num/index.ts';
import type { ScopeScreen } from './riskbook.ts';

export const MARKETS = ['BTC-PERP', 'ETH-PERP', 'SOL-PERP', 'DOGE-PERP'] as const;
export type MarketId = (typeof MARKETS)[number];

/** Initial marks, tick sizes and step sizes (decimal strings). */
export const MARKET_SPEC: Record<MarketId, { mark: string; tick: string; step: string }> = {
  'BTC-PERP': { mark: '60000', tick: '0.1', step: '0.001' },
  'ETH-PERP': { mark: '3000', tick: '0.01', step: '0.01' },
  'SOL-PERP': { mark: '150', tick: '0.001', step: '0.1' },
  'DOGE-PERP': { mark: '0.2', tick: '0.00001', step: '1' },
};
export const ASSET_PRICES = { BTC: '60000', ETH: '3000' } as const;

export function riskVenue(overrides: Partial<EngineConfigInput> = {}): Engine {
  const base = venueConfig();
  const engine = Engine.create(
    venueConfig({
      ...overrides,
      assets: [
        { id: 'USDC', decimals: 6 },
        { id: 'BTC', decimals: 8, initialWeight: '0.8', maintenanceWeight: '0.9' },
        {
          id: 'ETH',
          decimals: 18,
          initialWeight: '0.8',
          maintenanceWeight: '0.9',
          sizeHaircutFactor: '0.01',
        },
        {
          id: 'stETH',
          decimals: 18,
          initialWeight: '0.75',
          maintenanceWeight: '0.85',
          yieldBearing: { underlying: 'ETH' },
        },
      ],
      markets: [
        ...(base.markets ?? []),
        {
          id: 'SOL-PERP',
          kind: 'perpetual',
          base: 'SOL',
          stepSize: '0.1',
          tickSize: '0.001',
          margin: {
            kind: 'brackets',
            brackets: [
              { notionalCap: '5000', maintenanceRatio: '0.01', initialRatio: '0.05' },
              { notionalCap: '25000', maintenanceRatio: '0.025', initialRatio: '0.05' },
              { notionalCap: '100000', maintenanceRatio: '0.05', initialRatio: '0.1' },
              { maintenanceRatio: '0.1', initialRatio: '0.2' },
            ],
          },
        },
        {
          id: 'DOGE-PERP',
          kind: 'perpetual',
          base: 'DOGE',
          stepSize: '1',
          tickSize: '0.00001',
          margin: {
            kind: 'sqrtSize',
            initialRatio: '0.1',
            maintenance: { ratio: '0.05' },
            imfFactor: '0.0005',
          },
        },
      ],
    }),
  );
  const marks: Record<string, string> = {};
  for (const m of MARKETS) marks[m] = MARKET_SPEC[m].mark;
  engine.executeOrThrow({
    type: 'prices',
    timeMs: 1,
    marks,
    assets: ASSET_PRICES,
    exchangeRates: { stETH: '1.1' },
  });
  engine.executeOrThrow({ type: 'deposit', to: { account: 'backstop' }, asset: 'USDC', amount: '100000000' });
  engine.executeOrThrow({ type: 'deposit', to: { account: 'maker' }, asset: 'USDC', amount: '100000000' });
  return engine;
}

export interface LegSpec {
  /** Index into MARKETS. */
  market: number;
  isolated: boolean;
  long: boolean;
  /** Leverage of this leg on the account's collateral share, tenths (10 = 1x). */
  leverage10: number;
}

export interface AccountSpec {
  /** Whole USDC. */
  usdc: number;
  /** Thousandths of a BTC. */
  btcMilli: number;
  /** Hundredths of stETH. */
  stethCenti: number;
  legs: LegSpec[];
}

/** Opens the accounts against the maker; rejected fills (too much leverage) are skipped. */
export function populate(engine: Engine, accounts: readonly AccountSpec[]): void {
  accounts.forEach((a, i) => {
    const ref = { account: `t${i}` };
    engine.executeOrThrow({ type: 'deposit', to: ref, asset: 'USDC', amount: String(a.usdc + 1) });
    if (a.btcMilli > 0) {
      engine.executeOrThrow({
        type: 'deposit',
        to: ref,
        asset: 'BTC',
        amount: formatDecimal(BigInt(a.btcMilli), 3),
      });
    }
    if (a.stethCenti > 0) {
      engine.executeOrThrow({
        type: 'deposit',
        to: ref,
        asset: 'stETH',
        amount: formatDecimal(BigInt(a.stethCenti), 2),
      });
    }
    const collateral = a.usdc + (a.btcMilli / 1000) * 60000 * 0.9 + (a.stethCenti / 100) * 3300 * 0.85;
    const seen = new Set<number>();
    for (const leg of a.legs) {
      if (seen.has(leg.market)) continue;
      seen.add(leg.market);
      const market = MARKETS[leg.market]!;
      const spec = MARKET_SPEC[market];
      if (leg.isolated)
        engine.execute({ type: 'set_margin_mode', subaccount: ref, market, mode: 'isolated' });
      const notional = (collateral * leg.leverage10) / 10 / a.legs.length;
      const step = parseDecimalUnsafe(spec.step, 9);
      const steps = BigInt(Math.floor(notional / Number(spec.mark) / (Number(step) / 1e9)));
      if (steps <= 0n) continue;
      const size = formatDecimal(steps * step, 9);
      const maker = { account: 'maker' };
      engine.execute({
        type: 'fill',
        market,
        buyer: leg.long ? ref : maker,
        seller: leg.long ? maker : ref,
        size,
        price: spec.mark,
      });
    }
  });
}

/** Scales a px8 price by factorPpm / 1e6 and rounds it to the tick (at least one tick). */
export function movedPrice(px8: bigint, factorPpm: number, tick: string): string {
  const tick8 = parseDecimalUnsafe(tick, 8);
  let next = (px8 * BigInt(factorPpm)) / 1_000_000n;
  next = (next / tick8) * tick8;
  if (next < tick8) next = tick8;
  return formatDecimal(next, 8);
}

/** A prices command moving each market and asset by its factor (ppm of the current price). */
export function priceMove(
  engine: Engine,
  factors: { markets: number[]; btc: number; eth: number; stethRate: number },
  timeMs: number,
): unknown {
  const s = engine.state;
  const marks: Record<string, string> = {};
  MARKETS.forEach((m, i) => {
    marks[m] = movedPrice(s.markets.get(m)!.markPx8!, factors.markets[i]!, MARKET_SPEC[m].tick);
  });
  const rate = s.exchangeRates18.get('stETH')!;
  return {
    type: 'prices',
    timeMs,
    marks,
    assets: {
      BTC: movedPrice(s.assetPricesPx8.get('BTC')!, factors.btc, '0.01'),
      ETH: movedPrice(s.assetPricesPx8.get('ETH')!, factors.eth, '0.01'),
    },
    exchangeRates: { stETH: formatDecimal((rate * BigInt(factors.stethRate)) / 1_000_000n, 18) },
  };
}

/**
 * A move for `priceMove`: every mark, BTC and ETH by a factor in ppm within ±spreadPpm of 1e6
 * (the engine refuses steps beyond ±30 %: price guard), the stETH rate within ±rateSpreadPpm.
 */
export function moveArb(spreadPpm = 300_000, rateSpreadPpm = 50_000) {
  const factor = fc.integer({ min: 1_000_000 - spreadPpm, max: 1_000_000 + spreadPpm });
  return fc.record({
    markets: fc.array(factor, { minLength: MARKETS.length, maxLength: MARKETS.length }),
    btc: factor,
    eth: factor,
    stethRate: fc.integer({ min: 1_000_000 - rateSpreadPpm, max: 1_000_000 + rateSpreadPpm }),
  });
}

/** True when two floats agree to 1e-9 relative (or 1e-3 absolute, quote units); ∞ and NaN must match. */
export function close(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= 1e-3 + 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

/** Differences between two books' scope screens (empty when they agree). */
export function diffScreens(a: readonly ScopeScreen[], b: readonly ScopeScreen[]): string[] {
  const out: string[] = [];
  const name = (x: ScopeScreen) => `${x.key}:${x.scope.kind === 'cross' ? 'cross' : x.scope.market}`;
  const bm = new Map(b.map((x) => [name(x), x]));
  if (a.length !== b.length) out.push(`scope count ${a.length} vs ${b.length}`);
  for (const x of a) {
    const y = bm.get(name(x));
    if (!y) {
      out.push(`${name(x)} missing`);
      continue;
    }
    if (x.settlementQuote !== y.settlementQuote)
      out.push(`${name(x)} settlement ${x.settlementQuote} vs ${y.settlementQuote}`);
    if (JSON.stringify(x.weightedAssets) !== JSON.stringify(y.weightedAssets))
      out.push(`${name(x)} assets differ`);
    if (!close(x.equityQuote, y.equityQuote))
      out.push(`${name(x)} equity ${x.equityQuote} vs ${y.equityQuote}`);
    if (!close(x.maintenanceQuote, y.maintenanceQuote)) {
      out.push(`${name(x)} mm ${x.maintenanceQuote} vs ${y.maintenanceQuote}`);
    }
    if (JSON.stringify(x.positions) !== JSON.stringify(y.positions)) {
      out.push(`${name(x)} positions ${JSON.stringify(x.positions)} vs ${JSON.stringify(y.positions)}`);
    }
  }
  return out;
}

/**
 * A random account of `populate`'s shape for the property tests: USDC, maybe BTC and stETH
 * collateral, and 1…maxLegs positions, each cross or isolated, long or short, at 0.5–25× leverage.
 */
export function accountArb(maxLegs: number): fc.Arbitrary<AccountSpec> {
  const leg = fc.record({
    market: fc.integer({ min: 0, max: MARKETS.length - 1 }),
    isolated: fc.boolean(),
    long: fc.boolean(),
    leverage10: fc.integer({ min: 5, max: 250 }),
  });
  return fc.record({
    usdc: fc.integer({ min: 0, max: 20_000 }),
    btcMilli: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 })),
    stethCenti: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 })),
    legs: fc.array(leg, { minLength: 1, maxLength: maxLegs }),
  });
}

/** An e-mode category that lowers BTC's weights (0.5 liquidation threshold) against USDC debt. */
export const LOW_EMODE = {
  id: 1,
  ltv: '0.4',
  liquidationThreshold: '0.5',
  liquidationBonus: '0.01',
  collateralAssets: ['BTC'],
  borrowableAssets: ['USDC'],
};
