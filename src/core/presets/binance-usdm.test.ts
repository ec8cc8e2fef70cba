/**
 * binance-usdm preset against Binance's published numbers:
 *  - test/vectors/binance_usdm_worked_example.json: Binance's worked example (cross and
 *    isolated, two positions), through the calculator (the engine's trigger) and through
 *    the closed form — to the cent;
 *  - test/vectors/cex_liquidation_price.json: the Binance isolated cases (freqtrade);
 *  - test/vectors/binance_usdm_btcusdt_brackets.json: bracket and maintenance amount lookups.
 */
import { describe, expect, it } from 'vitest';
import brackets from '../../../test/vectors/binance_usdm_btcusdt_brackets.json' with { type: 'json' };
import worked from '../../../test/vectors/binance_usdm_worked_example.json' with { type: 'json' };
import cex from '../../../test/vectors/cex_liquidation_price.json' with { type: 'json' };
import { liquidationPriceFor } from '../calculator/liquidation-price.ts';
import { Engine } from '../engine/engine.ts';
import { bracketFor, compileBrackets } from '../margin/models.ts';
import { MarginModelConfigSchema } from '../model/config.ts';
import { formatDecimal, parseDecimalUnsafe } from '../num/index.ts';
import {
  type BracketRow,
  BTCUSDT_BRACKETS,
  binanceLiquidationPrice,
  binanceUsdm,
  bracketsModel,
  ETHUSDT_BRACKETS,
  initialRatioForLeverage,
} from './binance-usdm.ts';
import { ratOf, toScaled } from './rational.ts';

/** A bracket table compiled as the engine compiles it (USDT: 8 decimals). */
function ladderOf(rows: readonly BracketRow[]) {
  const m = MarginModelConfigSchema.parse(bracketsModel(rows));
  if (m.kind !== 'brackets') throw new Error('not a brackets model');
  return compileBrackets(m.brackets, 8);
}

/** A decimal price string rounded half-even to cents. */
const cents = (px: string) => formatDecimal(toScaled(ratOf(px), 2, 'halfEven'), 2);
const within = (got: string, expected: string, tol: string) => {
  const d = parseDecimalUnsafe(got, 8) - parseDecimalUnsafe(expected, 8);
  return (d < 0n ? -d : d) <= parseDecimalUnsafe(tol, 8);
};

const W = 'binance_usdm_worked_example.json';
const both = [
  { market: 'BTCUSDT', side: 'long' as const, size: '109.488', entryPrice: '32481.98' },
  { market: 'ETHUSDT', side: 'long' as const, size: '3683.979', entryPrice: '1456.84' },
];

describe(`${W} › Binance's worked example through the engine (calculator)`, () => {
  it('has the four cases', () => expect(worked.cases.length).toBe(4));
  it.each(worked.cases)('$name', (c) => {
    const i = c.inputs;
    const r =
      i.mode === 'cross'
        ? liquidationPriceFor({
            preset: 'binance-usdm',
            walletBalance: i.walletBalance,
            positions: both,
            marks: worked.marks_derived,
            market: i.market,
          })
        : liquidationPriceFor({
            preset: 'binance-usdm',
            walletBalance: '0',
            positions: [
              {
                ...both.find((p) => p.market === i.market)!,
                mode: 'isolated',
                isolatedMargin: i.walletBalance,
              },
            ],
          });
    expect(cents(r.liquidationPrice!)).toBe(c.expected.liquidationPrice);
    expect(within(r.liquidationPrice!, c.expected.liquidationPrice, c.tolerance.abs)).toBe(true);
    // The bracket at the liquidation price is the one Binance's example uses.
    expect(r.atLiquidation!.maintenance.maintenanceRate).toBe(i.mmr);
    expect(r.atLiquidation!.maintenance.maintenanceAmount).toBe(i.maintenanceAmount);
    // The venue's closed form agrees with the engine's trigger to 1e-8.
    const diff = parseDecimalUnsafe(r.venueFormula!.differenceFromEngine!, 8);
    expect(diff >= -1n && diff <= 1n).toBe(true);
    if (i.mode === 'cross') {
      // The other position's MM and UPNL at the derived marks are the example's TMM₁ and UPNL₁.
      const other = r.breakdown.positions.find((p) => p.market !== i.market)!;
      // (the example prints TMM₁ to 3 or 5 decimals)
      expect(within(other.maintenanceMargin, i.otherMaintenance, '0.0005')).toBe(true);
      expect(within(other.unrealizedPnl, i.otherUnrealizedPnl, '0.005')).toBe(true);
    }
  });
});

describe(`${W} › the published closed form, from the example's own TMM₁ / UPNL₁`, () => {
  it.each(worked.cases)('$name', (c) => {
    const i = c.inputs;
    const rows = i.market === 'BTCUSDT' ? BTCUSDT_BRACKETS : ETHUSDT_BRACKETS;
    const ladder = ladderOf(rows).map((b) => ({
      floor: { n: b.floorQuote, d: 10n ** 8n },
      cap: b.capQuote === undefined ? null : { n: b.capQuote, d: 10n ** 8n },
      mmr: { n: b.maintenanceRatioPpm, d: 1_000_000n },
      amount: { n: b.maintenanceAmountQuotePpm, d: 10n ** 14n },
    }));
    const r = binanceLiquidationPrice({
      side: i.side as 1,
      size: ratOf(i.size),
      entryPrice: ratOf(i.entryPrice),
      markPrice: ratOf(i.entryPrice),
      walletBalance: ratOf(i.walletBalance),
      otherMaintenance: ratOf(i.otherMaintenance),
      otherUnrealizedPnl: ratOf(i.otherUnrealizedPnl),
      ladder,
    });
    expect(formatDecimal(toScaled(r.price!, 2, 'halfEven'), 2)).toBe(c.expected.liquidationPrice);
  });
});

const cexBinance = cex.cases.filter(
  (c) => c.inputs.mode === 'isolated' && typeof c.inputs.maintenanceAmount === 'number',
);

describe('cex_liquidation_price.json › Binance isolated cases through the calculator', () => {
  it('has the six cases', () => expect(cexBinance.length).toBe(6));
  it.each(cexBinance)('$name', (c) => {
    const i = c.inputs as unknown as Record<string, number | string | null>;
    const side = Number(i.side) === 1 ? ('long' as const) : ('short' as const);
    // Wallet balances like 3.3333333333333335 (a float in freqtrade) truncated to USDT's 8 decimals.
    const wallet = formatDecimal(
      toScaled(ratOf(String(i.isolatedWalletBalance ?? i.walletBalance)), 8, 'floor'),
      8,
    );
    const mmr = String(i.mmr);
    const cum = String(i.maintenanceAmount);
    // The published (mmr, cum) as the second bracket of a two-bracket ladder whose recurrence gives cum.
    const cap0 = formatDecimal((parseDecimalUnsafe(cum, 8) * 2n * 10n ** 8n) / parseDecimalUnsafe(mmr, 8), 8);
    const config = {
      settlementAsset: 'USDT',
      assets: [{ id: 'USDT', decimals: 8 }],
      markets: [
        {
          id: 'X',
          kind: 'perpetual' as const,
          base: 'X',
          stepSize: '0.001',
          margin: {
            kind: 'brackets' as const,
            brackets: [
              {
                notionalCap: cap0,
                maintenanceRatio: formatDecimal(parseDecimalUnsafe(mmr, 6) / 2n, 6),
                initialRatio: mmr,
              },
              { maintenanceRatio: mmr, initialRatio: mmr, maintenanceAmount: cum },
            ],
          },
        },
      ],
    };
    const r = liquidationPriceFor({
      preset: 'binance-usdm',
      config,
      positions: [
        {
          market: 'X',
          side,
          size: String(i.size),
          entryPrice: String(i.entryPrice),
          mode: 'isolated',
          isolatedMargin: wallet,
        },
      ],
    });
    const expected = String(c.expected.liquidationPrice);
    const got = ratOf(r.liquidationPrice!);
    const e = ratOf(expected);
    const tol = c.tolerance as { abs?: number; rel?: number };
    const diff = Math.abs(Number(toScaled(got, 10, 'halfEven') - toScaled(e, 10, 'halfEven'))) / 1e10;
    if (tol.abs !== undefined) expect(diff).toBeLessThanOrEqual(tol.abs);
    else expect(diff / Number(expected)).toBeLessThanOrEqual(tol.rel!);
  });
});

describe('binance_usdm_btcusdt_brackets.json › the preset ladder is the captured one', () => {
  const ladder = ladderOf(BTCUSDT_BRACKETS);
  it('rows: rate, leverage and maintenance amount as captured (the last row open-ended)', () => {
    expect(BTCUSDT_BRACKETS.length).toBe(brackets.brackets.length);
    brackets.brackets.forEach((b, k) => {
      const row = BTCUSDT_BRACKETS[k]!;
      expect(row.maintenanceMarginRate).toBe(b.maintenanceMarginRate);
      expect(row.maxLeverage).toBe(b.maxLeverage);
      expect(row.maintenanceAmount).toBe(b.maintAmt);
      if (k < brackets.brackets.length - 1) expect(row.notionalCap).toBe(b.maxNotional);
    });
  });
  it.each(brackets.cases)('$name', (c) => {
    const b = bracketFor(ladder, parseDecimalUnsafe(c.inputs.notional, 8));
    expect(formatDecimal(b.maintenanceRatioPpm, 6)).toBe(c.expected.maintenanceMarginRate);
    expect(formatDecimal(b.maintenanceAmountQuotePpm, 14)).toBe(c.expected.maintAmt);
  });
});

describe('binance-usdm preset shape', () => {
  it('is a valid engine configuration (zod + bracket continuity)', () => {
    expect(() => Engine.create(binanceUsdm.config())).not.toThrow();
  });
  it('initial ratio from max leverage rounds up to ppm', () => {
    expect(initialRatioForLeverage(125)).toBe('0.008000');
    expect(initialRatioForLeverage(3)).toBe('0.333334');
    expect(initialRatioForLeverage(1)).toBe('1.000000');
  });
  it('a negative formula price is "--" (null)', () => {
    const r = binanceLiquidationPrice({
      side: 1,
      size: ratOf('1'),
      entryPrice: ratOf('100'),
      markPrice: ratOf('100'),
      walletBalance: ratOf('200'),
      otherMaintenance: ratOf('0'),
      otherUnrealizedPnl: ratOf('0'),
      ladder: [{ floor: ratOf('0'), cap: null, mmr: ratOf('0.01'), amount: ratOf('0') }],
    });
    expect(r.price).toBeNull();
  });
});
