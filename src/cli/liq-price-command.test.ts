/**
 * `plimsoll liq-price`: flag parsing, and the real CLI end to end (a child process, as a user
 * runs it): Binance's worked example to the cent from flags and from a file, what-if flags,
 * a lending preset, and usage errors (exit 2, a message on stderr).
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../../test/cli/run-cli.ts';
import { parseDecimalUnsafe } from '../core/num/index.ts';
import { liqPriceInputFromOptions, parseMove, parsePositionSpec } from './liq-price-command.ts';

describe('flag parsing', () => {
  it('position specs', () => {
    expect(parsePositionSpec('BTCUSDT:long:0.5@60000')).toEqual({
      market: 'BTCUSDT',
      side: 'long',
      size: '0.5',
      entryPrice: '60000',
      mode: 'cross',
    });
    expect(parsePositionSpec('ETH:short:2@3000:isolated=600:lev=5')).toEqual({
      market: 'ETH',
      side: 'short',
      size: '2',
      entryPrice: '3000',
      mode: 'isolated',
      isolatedMargin: '600',
      leverage: '5',
    });
    expect(() => parsePositionSpec('BTCUSDT:up:1@1')).toThrow(/expected MARKET/);
    expect(() => parsePositionSpec('BTCUSDT:long:1@1:hedge')).toThrow(/unknown flag/);
  });
  it('percent moves are exact', () => {
    expect(parseMove('-5%')).toBe('-0.05');
    expect(parseMove('12.5%')).toBe('0.125');
    expect(parseMove('150%')).toBe('1.50');
    expect(parseMove('-0.05')).toBe('-0.05');
  });
  it('what-if flags become the calculator’s whatIf', () => {
    const input = liqPriceInputFromOptions({
      preset: 'binance-usdm',
      wallet: '1000',
      position: ['BTCUSDT:long:0.5@60000'],
      mark: ['ETHUSDT=3000'],
      addCollateral: '100',
      reduce: 'BTCUSDT:0.1',
      moveOthers: '-5%',
    });
    expect(input.whatIf).toEqual({
      addCollateral: '100',
      reduce: { market: 'BTCUSDT', size: '0.1' },
      moveOtherMarkets: '-0.05',
    });
    expect(input.marks).toEqual({ ETHUSDT: '3000' });
  });
});

const WORKED = [
  'liq-price',
  '--preset',
  'binance-usdm',
  '--wallet',
  '1535443.01',
  '--position',
  'BTCUSDT:long:109.488@32481.98',
  '--position',
  'ETHUSDT:long:3683.979@1456.84',
  '--mark',
  'BTCUSDT=31967.27',
  '--mark',
  'ETHUSDT=1335.18',
];
const cents = (px: string) => (parseDecimalUnsafe(px, 8) + 500_000n) / 1_000_000n; // half up to cents, ≥ 0

describe('plimsoll liq-price (end to end)', () => {
  it('binance_usdm_worked_example.json › cross_BTCUSDT and cross_ETHUSDT, from flags', () => {
    const btc = cli([...WORKED, '--json']);
    expect(btc.stderr).toBe('');
    expect(btc.status).toBe(0);
    expect(cents(JSON.parse(btc.stdout).liquidationPrice)).toBe(2_631_689n);
    const eth = cli([...WORKED, '--market', 'ETHUSDT', '--json']);
    expect(cents(JSON.parse(eth.stdout).liquidationPrice)).toBe(115_326n);
  });
  it('the same from examples/liq-price-binance-cross.json, as text', () => {
    const r = cli(['liq-price', '--file', 'examples/liq-price-binance-cross.json']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('liquidation price    26,316.89');
    expect(r.stdout).toContain('venue formula        26,316.89');
    expect(r.stdout).toMatch(/maintenance margin/);
  });
  it('what-if flags report the baseline and the change', () => {
    const r = cli([...WORKED, '--add-collateral', '100000', '--move-others', '5%', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.whatIf.applied).toEqual({ addCollateral: '100000', moveOtherMarkets: '0.05' });
    expect(parseDecimalUnsafe(out.liquidationPrice, 8)).toBeLessThan(
      parseDecimalUnsafe(out.whatIf.baseline.liquidationPrice, 8),
    );
  });
  it('a lending preset: the collateral price where HF falls below 1', () => {
    const r = cli(['liq-price', '--file', 'examples/liq-price-aave.json', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    // 20,000 / (10 × 0.83) = 2,409.6385…
    expect(cents(out.liquidationPrice)).toBe(240_964n);
    expect(out.lending.state).toBeUndefined();
  });
  it.each([
    ['unknown preset', ['liq-price', '--preset', 'kraken', '--position', 'X:long:1@1'], /unknown preset/],
    ['no preset', ['liq-price', '--position', 'BTCUSDT:long:1@1'], /--preset is required/],
    [
      'bad position',
      ['liq-price', '--preset', 'binance-usdm', '--position', 'BTCUSDT:long:1'],
      /expected MARKET/,
    ],
    [
      'unknown market',
      ['liq-price', '--preset', 'binance-usdm', '--position', 'DOGEUSDT:long:1@1'],
      /unknown market/,
    ],
    ['missing file', ['liq-price', '--file', 'nope.json'], /cannot read/],
  ])('%s → exit 2', (_name, args, message) => {
    const r = cli(args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});
