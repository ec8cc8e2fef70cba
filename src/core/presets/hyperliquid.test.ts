/**
 * hyperliquid preset against the numbers Hyperliquid's docs state
 * (test/vectors/hyperliquid_docs.json): maintenance rate = half the initial margin at max
 * leverage, margin tiers with maintenance deduction, partial liquidation (20%, 30 s cooldown,
 * 100k / 10k thresholds) and the backstop below 2/3 of maintenance; and the published
 * liquidation-price formula against the engine's trigger.
 */
import { describe, expect, it } from 'vitest';
import docs from '../../../test/vectors/hyperliquid_docs.json' with { type: 'json' };
import { liquidationPriceFor } from '../calculator/liquidation-price.ts';
import { Engine } from '../engine/engine.ts';
import { compileBrackets } from '../margin/models.ts';
import { MarginModelConfigSchema } from '../model/config.ts';
import { formatDecimal, parseDecimalUnsafe } from '../num/index.ts';
import { hyperliquidLiquidationOrder } from '../reference/hyperliquid.ts';
import {
  HYPERLIQUID_MARGIN_TABLES,
  hyperliquidConfig,
  hyperliquidMaintenanceRate,
  type MarginTier,
  marginTableModel,
} from './hyperliquid.ts';
import { add, cmp, mul, rat, ratOf, sub, toScaled } from './rational.ts';

const F = 'hyperliquid_docs.json';
type C = {
  group: string;
  name: string;
  inputs: Record<string, unknown>;
  expected: Record<string, unknown>;
  tolerance: { abs: number | string };
};
const cases = docs.cases as unknown as C[];
const group = (g: string) => cases.filter((c) => c.group === g);
const abs = (x: bigint) => (x < 0n ? -x : x);
/** A margin table compiled as the engine compiles it (USDC: 6 decimals). */
function ladderOf(tiers: readonly MarginTier[]) {
  const m = MarginModelConfigSchema.parse(marginTableModel(tiers));
  if (m.kind !== 'brackets') throw new Error('not a brackets model');
  return compileBrackets(m.brackets, 6);
}

describe(`${F} › maintenance rate = half the initial margin at max leverage`, () => {
  it.each(group('maintenance_rate'))('$name', (c) => {
    const r = hyperliquidMaintenanceRate(c.inputs.maxLeverage as number);
    const got = toScaled(r, 6, 'halfEven');
    const expected = parseDecimalUnsafe(String(c.expected.maintenanceMarginRate), 6);
    expect(abs(got - expected) <= parseDecimalUnsafe(String(c.tolerance.abs), 6)).toBe(true);
  });
});

describe(`${F} › margin tiers: the docs' deduction recurrence, and the engine's brackets`, () => {
  const tiersOf = (c: C) => c.inputs.tiers as MarginTier[];
  it.each([...group('margin_tiers_mainnet'), ...group('margin_tiers_testnet')])('$group › $name', (c) => {
    const tiers = tiersOf(c);
    // Exact recurrence with the docs' rates.
    let deduction = rat(0n);
    const exact = tiers.map((t, n) => {
      if (n > 0) {
        const delta = sub(
          hyperliquidMaintenanceRate(t.maxLeverage),
          hyperliquidMaintenanceRate(tiers[n - 1]!.maxLeverage),
        );
        deduction = add(deduction, mul(ratOf(t.lowerBound), delta));
      }
      return deduction;
    });
    const expected = c.expected.maintenanceDeductions as string[];
    exact.forEach((d, n) => {
      const diff =
        toScaled(d, 6, 'halfEven') -
        parseDecimalUnsafe(formatDecimal(toScaled(ratOf(expected[n]!), 6, 'halfEven'), 6), 6);
      expect(abs(diff) <= parseDecimalUnsafe(String(c.tolerance.abs), 6)).toBe(true);
    });
    // The engine's brackets: same recurrence on ppm rates (rounded up); MM continuous at every bound.
    const ladder = ladderOf(tiers);
    expect(ladder.map((b) => b.floorQuote)).toEqual(tiers.map((t) => parseDecimalUnsafe(t.lowerBound, 6)));
    ladder.forEach((b, n) => {
      // Plimsoll's deduction is within one ppm step of the rate × the bound of the docs' value.
      const got = rat(b.maintenanceAmountQuotePpm, 10n ** 12n);
      const tolerance = rat(BigInt(n) * parseDecimalUnsafe(tiers[n]!.lowerBound, 0), 1_000_000n);
      expect(cmp(sub(got, exact[n]!), rat(0n)) >= 0).toBe(true);
      expect(cmp(sub(got, exact[n]!), tolerance) <= 0).toBe(true);
    });
  });
  it('mainnet BTC: 40× to 150M, 20× above; MM 1.25% / 2.5%, deduction 1,875,000 exactly', () => {
    const ladder = ladderOf(HYPERLIQUID_MARGIN_TABLES.BTC!);
    expect(ladder.map((b) => b.maintenanceRatioPpm)).toEqual([12_500n, 25_000n]);
    expect(ladder.map((b) => b.initialRatioPpm)).toEqual([25_000n, 50_000n]);
    expect(ladder[1]!.maintenanceAmountQuotePpm).toBe(1_875_000n * 10n ** 12n);
  });
});

const order = (i: Record<string, unknown>, accountValue = 90n, maintenance = 100n) => {
  const size = parseDecimalUnsafe(String(i.sizeBase), 9);
  const now = 1_000_000;
  const since = i.msSinceLastPartial as number | null;
  return hyperliquidLiquidationOrder({
    sizeQty9: size,
    notionalUsdc: parseDecimalUnsafe(String(i.notionalUsdc), 0),
    accountValue,
    maintenanceMargin: maintenance,
    nowMs: now,
    ...(since === null ? {} : { lastPartialLiquidationMs: now - since }),
    network: i.network as 'mainnet' | 'testnet',
  });
};

describe(`${F} › partial liquidation`, () => {
  it.each(group('partial_liquidation'))('$name', (c) => {
    const r = order(c.inputs);
    const size = parseDecimalUnsafe(String(c.inputs.sizeBase), 9);
    expect(r.liquidatable).toBe(true);
    expect(r.partial).toBe(c.expected.partial);
    expect(r.orderSizeQty9).toBe((size * parseDecimalUnsafe(String(c.expected.orderShare), 4)) / 10_000n);
  });
  it('after the 30 s cooldown a large position is again liquidated 20% at a time', () => {
    const r = order({
      notionalUsdc: '150000',
      sizeBase: '2.5',
      msSinceLastPartial: 30_000,
      network: 'mainnet',
    });
    expect(r.partial).toBe(true);
  });
  it('a healthy account gets no order', () => {
    const r = order(
      { notionalUsdc: '150000', sizeBase: '2.5', msSinceLastPartial: null, network: 'mainnet' },
      100n,
      100n,
    );
    expect(r).toEqual({ liquidatable: false, backstop: false, orderSizeQty9: 0n, partial: false });
  });
});

describe(`${F} › backstop below 2/3 of maintenance`, () => {
  it.each(group('backstop'))('$name', (c) => {
    const r = order(
      { notionalUsdc: '1000', sizeBase: '1', msSinceLastPartial: null, network: 'mainnet' },
      parseDecimalUnsafe(String(c.inputs.accountValue), 0),
      parseDecimalUnsafe(String(c.inputs.maintenanceMargin), 0),
    );
    expect(r.liquidatable).toBe(c.expected.liquidatable);
    expect(r.backstop).toBe(c.expected.backstop);
  });
});

describe('the published liq_price formula is the engine’s trigger', () => {
  const scenarios = [
    {
      name: 'cross long BTC, 10× ',
      wallet: '10000',
      positions: [{ market: 'BTC', side: 'long' as const, size: '1', entryPrice: '100000' }],
    },
    {
      name: 'cross short ETH with a BTC long',
      wallet: '5000',
      market: 'ETH',
      positions: [
        { market: 'BTC', side: 'long' as const, size: '0.1', entryPrice: '100000' },
        { market: 'ETH', side: 'short' as const, size: '10', entryPrice: '3500' },
      ],
      marks: { BTC: '98000', ETH: '3600' },
    },
    {
      name: 'isolated SOL long, 5×',
      wallet: '0',
      positions: [
        {
          market: 'SOL',
          side: 'long' as const,
          size: '100',
          entryPrice: '150',
          mode: 'isolated' as const,
          leverage: '5',
        },
      ],
    },
  ];
  it.each(scenarios)('$name', (s) => {
    const r = liquidationPriceFor({
      preset: 'hyperliquid',
      walletBalance: s.wallet,
      positions: s.positions,
      ...('marks' in s ? { marks: s.marks } : {}),
      ...('market' in s ? { market: s.market } : {}),
    });
    expect(r.liquidationPrice).not.toBeNull();
    // The engine's price is on the conservative side of the exact root (above it for a long, below
    // for a short): figures round against the account, by at most a few USDC units (1e-6) in all.
    const d = parseDecimalUnsafe(r.venueFormula!.differenceFromEngine!, 8);
    const side = r.side === 'long' ? 1n : -1n;
    expect(d * side >= -1n).toBe(true);
    const size = parseDecimalUnsafe(r.breakdown.positions.find((p) => p.market === r.market)!.size, 9);
    expect(abs(d) * size <= 3n * 10n ** 11n).toBe(true); // |Δprice| × size ≤ 3e-6 USDC
  });
});

describe('hyperliquid preset shape', () => {
  it('is a valid engine configuration', () => expect(() => Engine.create(hyperliquidConfig())).not.toThrow());
});

describe('hyperliquid preset executes its liquidation rules in the engine', () => {
  it('20% steps for a large position, the backstop below 2/3 MM', async () => {
    const { Engine } = await import('../engine/engine.ts');
    const e = Engine.create({ ...hyperliquidConfig(), backstop: { account: 'hlp' } });
    const market = hyperliquidConfig().markets![0]!.id;
    e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { [market]: '100000' } });
    e.executeOrThrow({ type: 'deposit', to: { account: 'hlp' }, asset: 'USDC', amount: '100000000' });
    e.executeOrThrow({ type: 'deposit', to: { account: 'mm' }, asset: 'USDC', amount: '100000000' });
    e.executeOrThrow({ type: 'deposit', to: { account: 'whale' }, asset: 'USDC', amount: '150000' });
    // 3 BTC at 100k = 300k notional on 150k: MM (first tier, 40x max → 1.25%) = 3,750
    e.executeOrThrow({
      type: 'fill',
      market,
      buyer: { account: 'whale' },
      seller: { account: 'mm' },
      size: '3',
      price: '100000',
    });
    // at 51,300: equity 150,000 − 146,100 = 3,900 vs MM 1.25% × 153,900 = 1,923.75 → healthy; at 50,600: 1,800 < 1,897.5
    e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { [market]: '50600' } });
    const step = e.executeOrThrow({ type: 'liquidate', subaccount: { account: 'whale' }, timeMs: 2 });
    const done = step.find((x) => x.type === 'liquidation_completed');
    expect(done?.type === 'liquidation_completed' && done.closedQty9).toBe(600_000_000n); // 20% of 3 BTC (notional 151,800 > 100,000)
    // a crash below 2/3 MM but above bankruptcy: the backstop vault takes the rest
    e.executeOrThrow({ type: 'prices', timeMs: 3, marks: { [market]: '50200' } });
    const back = e.executeOrThrow({ type: 'liquidate', subaccount: { account: 'whale' }, timeMs: 3 });
    const started = back.find((x) => x.type === 'liquidation_started');
    expect(started?.type === 'liquidation_started' && started.mode).toBe('backstop');
    expect(e.state.subaccounts.get('whale/0')!.positions.size).toBe(0);
  });
});
