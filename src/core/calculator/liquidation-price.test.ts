/**
 * The liquidation-price calculator: what-if questions (add collateral, reduce, move the other
 * markets), the breakdown that explains the number, Binance's closed form as a cross-check on
 * random accounts, the JSON input schema, and input errors.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDecimal, parseDecimalUnsafe } from '../num/index.ts';
import { parseLiquidationPriceInput } from './input.ts';
import { CalculatorError, type LiquidationPriceInput, liquidationPriceFor } from './liquidation-price.ts';

const px = (s: string | null) => parseDecimalUnsafe(s!, 8);
const usdt = (s: string) => parseDecimalUnsafe(s, 8);
const btcLong = { market: 'BTCUSDT', side: 'long' as const, size: '0.5', entryPrice: '60000' };
const ethShort = { market: 'ETHUSDT', side: 'short' as const, size: '10', entryPrice: '3000' };

describe('what-if: add collateral', () => {
  it('moves a cross long’s liquidation price down and a cross short’s up', () => {
    const base = { preset: 'binance-usdm', walletBalance: '2000' };
    const long = liquidationPriceFor({ ...base, positions: [btcLong], whatIf: { addCollateral: '500' } });
    expect(px(long.liquidationPrice)).toBeLessThan(px(long.whatIf!.baseline.liquidationPrice));
    expect(long.breakdown.walletBalance).toBe('2500');
    const short = liquidationPriceFor({ ...base, positions: [ethShort], whatIf: { addCollateral: '500' } });
    expect(px(short.liquidationPrice)).toBeGreaterThan(px(short.whatIf!.baseline.liquidationPrice));
    expect(px(short.whatIf!.liquidationPriceChange)).toBe(
      px(short.liquidationPrice) - px(short.whatIf!.baseline.liquidationPrice),
    );
  });
  it('adds to an isolated position’s margin, not to the wallet', () => {
    const r = liquidationPriceFor({
      preset: 'binance-usdm',
      walletBalance: '100',
      positions: [{ ...btcLong, mode: 'isolated', isolatedMargin: '3000' }],
      whatIf: { addCollateral: '1000' },
    });
    expect(r.breakdown.scope).toBe('isolated');
    expect(r.breakdown.walletBalance).toBe('4000');
    expect(px(r.liquidationPrice)).toBeLessThan(px(r.whatIf!.baseline.liquidationPrice));
  });
  it('exactly as Binance’s formula: ΔLP = −X / (size·(1 − MMR)) in the same bracket', () => {
    const r = liquidationPriceFor({
      preset: 'binance-usdm',
      walletBalance: '2000',
      positions: [btcLong],
      whatIf: { addCollateral: '498' },
    });
    // 498 / (0.5 × 0.996) = 1000
    const change = px(r.whatIf!.liquidationPriceChange);
    expect(change >= -100_000_000_000n - 2n && change <= -100_000_000_000n + 2n).toBe(true);
  });
});

describe('what-if: reduce the position', () => {
  it('realizes the PnL into the wallet, pays the taker fee, and the LP of a long in profit falls', () => {
    const r = liquidationPriceFor({
      preset: 'binance-usdm',
      walletBalance: '2000',
      positions: [btcLong],
      marks: { BTCUSDT: '62000' },
      whatIf: { reduce: { market: 'BTCUSDT', size: '0.2' } },
    });
    // realized 0.2 × (62,000 − 60,000) = 400; taker fee 0.05% of 12,400 = 6.2
    expect(usdt(r.breakdown.walletBalance)).toBe(usdt('2393.8'));
    expect(r.breakdown.positions[0]!.size).toBe('0.3');
    expect(px(r.liquidationPrice)).toBeLessThan(px(r.whatIf!.baseline.liquidationPrice));
  });
  it('an isolated reduction realizes into the isolated margin (the engine’s rule); the fee comes from the wallet', () => {
    const r = liquidationPriceFor({
      preset: 'binance-usdm',
      walletBalance: '100',
      positions: [{ ...btcLong, mode: 'isolated', isolatedMargin: '3000' }],
      marks: { BTCUSDT: '59000' },
      whatIf: { reduce: { market: 'BTCUSDT', size: '0.1' } },
    });
    expect(r.breakdown.walletBalance).toBe('2900'); // 3000 − 0.1 × 1000
  });
  it('closing the whole position leaves no liquidation price', () => {
    const r = liquidationPriceFor({
      preset: 'binance-usdm',
      walletBalance: '2000',
      positions: [btcLong, ethShort],
      whatIf: { reduce: { market: 'BTCUSDT', size: '0.5' } },
    });
    expect(r.liquidationPrice).toBeNull();
    expect(r.whatIf!.liquidationPriceChange).toBeNull();
    expect(r.formula).toMatch(/closed/);
  });
});

describe('what-if: the other markets move', () => {
  const input: LiquidationPriceInput = {
    preset: 'binance-usdm',
    walletBalance: '3000',
    positions: [btcLong, ethShort],
    marks: { BTCUSDT: '60000', ETHUSDT: '3000' },
  };
  it('ETH up 5% hurts the ETH short: the BTC long’s cross liquidation price rises by exactly the loss', () => {
    const r = liquidationPriceFor({ ...input, whatIf: { moveOtherMarkets: '0.05' } });
    expect(r.breakdown.positions.find((p) => p.market === 'ETHUSDT')!.markPrice).toBe('3150');
    expect(r.markPrice).toBe('60000');
    expect(px(r.liquidationPrice)).toBeGreaterThan(px(r.whatIf!.baseline.liquidationPrice));
  });
  it('ETH down 5% helps: the BTC long’s liquidation price falls', () => {
    const r = liquidationPriceFor({ ...input, whatIf: { moveOtherMarkets: '-0.05' } });
    expect(px(r.liquidationPrice)).toBeLessThan(px(r.whatIf!.baseline.liquidationPrice));
  });
});

describe('the breakdown explains the number', () => {
  const r = liquidationPriceFor({
    preset: 'binance-usdm',
    walletBalance: '3000',
    positions: [btcLong, ethShort],
    marks: { BTCUSDT: '61000', ETHUSDT: '2900' },
  });
  it('equity = collateral + uPnL, health = equity − MM, MM = Σ positions', () => {
    const b = r.breakdown;
    expect(usdt(b.equity)).toBe(usdt(b.collateralValue) + usdt(b.unrealizedPnl));
    expect(usdt(b.health)).toBe(usdt(b.equity) - usdt(b.maintenanceMargin));
    expect(usdt(b.maintenanceMargin)).toBe(b.positions.reduce((s, p) => s + usdt(p.maintenanceMargin), 0n));
  });
  it('each position’s MM = notional × rate − amount of its bracket', () => {
    for (const p of r.breakdown.positions) {
      const m = p.maintenance;
      expect(m.model).toBe('brackets');
      const mm =
        (usdt(p.notional) * parseDecimalUnsafe(m.maintenanceRate, 6)) / 1_000_000n -
        usdt(m.maintenanceAmount!);
      expect(usdt(p.maintenanceMargin) - mm).toBeLessThanOrEqual(1n);
    }
  });
  it('at the liquidation price equity meets MM, within the conservative rounding', () => {
    const d = usdt(r.atLiquidation!.equity) - usdt(r.atLiquidation!.maintenanceMargin);
    expect(d < 0n && d > -10n).toBe(true);
    expect(r.formula).toContain('LP = (WB − TMM₁ + UPNL₁ + cumB');
  });
});

describe('Binance’s closed form = the engine’s trigger on random cross accounts (binance-usdm)', () => {
  it('|engine − formula| × size ≤ 2 USDT units, the engine on the conservative side', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 150_000 }),
        fc.integer({ min: 1_000_000, max: 12_000_000 }),
        fc.integer({ min: 1, max: 2_000_000 }),
        fc.integer({ min: 20_000, max: 600_000 }),
        fc.integer({ min: 2, max: 100 }),
        fc.boolean(),
        (btcSteps, btcCents, ethSteps, ethCents, lev, longBtc) => {
          const btc = {
            market: 'BTCUSDT',
            side: longBtc ? ('long' as const) : ('short' as const),
            size: formatDecimal(BigInt(btcSteps), 3),
            entryPrice: formatDecimal(BigInt(btcCents), 2),
          };
          const eth = {
            market: 'ETHUSDT',
            side: longBtc ? ('short' as const) : ('long' as const),
            size: formatDecimal(BigInt(ethSteps), 3),
            entryPrice: formatDecimal(BigInt(ethCents), 2),
          };
          const notional =
            (BigInt(btcSteps) * BigInt(btcCents) + BigInt(ethSteps) * BigInt(ethCents)) / 100_000n;
          const r = liquidationPriceFor({
            preset: 'binance-usdm',
            walletBalance: formatDecimal(notional / BigInt(lev) + 1n, 0),
            positions: [btc, eth],
          });
          if (r.liquidationPrice === null || r.venueFormula?.liquidationPrice == null) return;
          const d = px(r.venueFormula.differenceFromEngine);
          const side = r.side === 'long' ? 1n : -1n;
          expect(d * side >= -1n).toBe(true);
          expect((d < 0n ? -d : d) * BigInt(btcSteps)).toBeLessThanOrEqual(2n * 10n ** 12n); // px8 × qty3 → 2 USDT units
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('input', () => {
  it('accepts signed sizes without a side, and defaults marks to entry prices', () => {
    const r = liquidationPriceFor({
      preset: 'hyperliquid',
      walletBalance: '1000',
      positions: [{ market: 'ETH', size: '-2', entryPrice: '3000' }],
    });
    expect(r.side).toBe('short');
    expect(r.markPrice).toBe('3000');
  });
  it.each([
    ['unknown preset', { preset: 'kraken', positions: [btcLong] }, /unknown preset/],
    [
      'unknown market',
      { preset: 'binance-usdm', positions: [{ ...btcLong, market: 'DOGEUSDT' }] },
      /unknown market/,
    ],
    ['malformed size', { preset: 'binance-usdm', positions: [{ ...btcLong, size: '1e3' }] }, /size/],
    ['no positions', { preset: 'binance-usdm', positions: [] }, /at least one position/],
    [
      'negative wallet',
      { preset: 'binance-usdm', walletBalance: '-1', positions: [btcLong] },
      /walletBalance/,
    ],
    [
      'two positions in one market',
      { preset: 'binance-usdm', positions: [btcLong, btcLong] },
      /one net position/,
    ],
    [
      'margin on a cross position',
      { preset: 'binance-usdm', positions: [{ ...btcLong, isolatedMargin: '10' }] },
      /only for isolated/,
    ],
    [
      'reduce beyond the size',
      {
        preset: 'binance-usdm',
        walletBalance: '1000',
        positions: [btcLong],
        whatIf: { reduce: { market: 'BTCUSDT', size: '1' } },
      },
      /reduce.size/,
    ],
    [
      'lending with a reduce',
      {
        preset: 'aave-v3',
        collateral: { WETH: '1' },
        assetPrices: { WETH: '2000' },
        debt: '100',
        whatIf: { reduce: { market: 'WETH', size: '1' } },
      },
      /lending/,
    ],
  ] as [string, LiquidationPriceInput, RegExp][])('%s → CalculatorError', (_name, input, message) => {
    expect(() => liquidationPriceFor(input)).toThrow(CalculatorError);
    expect(() => liquidationPriceFor(input)).toThrow(message);
  });
  it('the JSON schema accepts the example files and refuses JSON numbers', () => {
    const dir = new URL('../../../examples/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.startsWith('liq-price-'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const parsed = parseLiquidationPriceInput(JSON.parse(readFileSync(new URL(f, dir), 'utf8')));
      expect(parsed.ok, f).toBe(true);
      if (parsed.ok) expect(() => liquidationPriceFor(parsed.value), f).not.toThrow();
    }
    const bad = parseLiquidationPriceInput({ preset: 'binance-usdm', walletBalance: 1000 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues).toMatch(/decimal string/);
  });
});
