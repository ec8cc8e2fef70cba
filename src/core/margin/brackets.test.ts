/**
 * Tiered margin (Binance USDⓈ-M style) against published numbers:
 *  - test/vectors/binance_usdm_btcusdt_brackets.json: the BTCUSDT ladder and its "cum" amounts
 *    (freqtrade fixtures), and freqtrade's bracket-lookup expectations;
 *  - test/vectors/cex_liquidation_price.json: cases that state a maintenance ratio and
 *    maintenance amount (Binance), checked as "equity = MM at the published liquidation
 *    price" within the vector's own tolerance, and Binance's COIN-M cum recurrence.
 */
import Big from 'big.js';
import { describe, expect, it } from 'vitest';
import ladder from '../../../test/vectors/binance_usdm_btcusdt_brackets.json' with { type: 'json' };
import cex from '../../../test/vectors/cex_liquidation_price.json' with { type: 'json' };
import { MarginModelConfigSchema } from '../model/config.ts';
import { formatDecimal } from '../num/index.ts';
import { D, scaled } from '../reference/decimal.ts';
import {
  bracketFor,
  bracketMaintenanceAmountStep,
  bracketMaintenanceAmounts,
  bracketMaintenanceQuote,
  compileBrackets,
  createMarginModel,
} from './models.ts';
import { notionalQuote, signedValueQuote } from './notional.ts';

const QD = 6; // USDT at 6 decimals
const ppm = (x: string | number) => scaled(new D(String(x)), 6, 'ceil');

/** The ladder as our config: caps from maxNotional (none on the last), IM = 1 / maxLeverage rounded up to ppm. */
function ladderConfig(withAmounts: boolean) {
  const n = ladder.brackets.length;
  return MarginModelConfigSchema.parse({
    kind: 'brackets',
    brackets: ladder.brackets.map((b, i) => ({
      notionalCap: i < n - 1 ? b.maxNotional : undefined,
      maintenanceRatio: b.maintenanceMarginRate,
      initialRatio: formatDecimal(ppm(new D(1).div(b.maxLeverage).toString()), 6),
      maintenanceAmount: withAmounts ? b.maintAmt : undefined,
    })),
  });
}
const compiled = () => {
  const c = ladderConfig(false);
  if (c.kind !== 'brackets') throw new Error('unreachable');
  return compileBrackets(c.brackets, QD);
};

describe('binance_usdm_btcusdt_brackets.json › BTCUSDT ladder', () => {
  it('derives every published maintenance amount (cum) exactly', () => {
    const steps = ladder.brackets.map((b, i) => ({
      capQuote: i < ladder.brackets.length - 1 ? scaled(new D(b.maxNotional), QD, 'trunc') : undefined,
      maintenanceRatioPpm: ppm(b.maintenanceMarginRate),
    }));
    const derived = bracketMaintenanceAmounts(steps);
    expect(derived).toEqual(ladder.brackets.map((b) => scaled(new D(b.maintAmt), QD + 6, 'trunc')));
  });
  it('compiles with the published amounts given (continuity check passes)', () => {
    expect(createMarginModel(ladderConfig(true), QD).kind).toBe('brackets');
  });
  it('bracket floors are the published minNotional', () => {
    expect(compiled().map((b) => b.floorQuote)).toEqual(
      ladder.brackets.map((b) => scaled(new D(b.minNotional), QD, 'trunc')),
    );
  });
  it('MM is continuous at every published boundary and IM steps up', () => {
    const brackets = compiled();
    for (let i = 1; i < brackets.length; i++) {
      const below = brackets[i - 1]!;
      const above = brackets[i]!;
      const at = above.floorQuote;
      expect(bracketMaintenanceQuote(at, below.maintenanceRatioPpm, below.maintenanceAmountQuotePpm)).toBe(
        bracketMaintenanceQuote(at, above.maintenanceRatioPpm, above.maintenanceAmountQuotePpm),
      );
      expect(above.initialRatioPpm).toBeGreaterThanOrEqual(below.initialRatioPpm);
    }
  });
  it.each(ladder.cases)('$name', (c) => {
    const b = bracketFor(compiled(), scaled(new D(c.inputs.notional), QD, 'trunc'));
    expect(b.maintenanceRatioPpm).toBe(ppm(c.expected.maintenanceMarginRate));
    expect(b.maintenanceAmountQuotePpm).toBe(scaled(new D(c.expected.maintAmt), QD + 6, 'trunc'));
  });
});

describe('cex_liquidation_price.json › binance_coinm_maintenance_amount_level5', () => {
  const c = cex.cases.find((x) => x.name === 'binance_coinm_maintenance_amount_level5')!;
  it('cum_n = floor_n × (MMR_n − MMR_{n−1}) + cum_{n−1} (BTC at 8 decimals)', () => {
    const i = c.inputs as unknown as Record<string, number>;
    const btc8 = (x: number) => scaled(new D(String(x)), 8, 'trunc');
    const cum = bracketMaintenanceAmountStep(
      btc8(i.cum_prev!) * 1_000_000n,
      btc8(i.bracketFloorBtc!),
      ppm(i.mmr_prev!),
      ppm(i.mmr_n!),
    );
    const expected = scaled(
      new D(String((c.expected as { maintenanceAmountBtc: number }).maintenanceAmountBtc)),
      14,
      'trunc',
    );
    // tolerance 1e-9 BTC = 1e5 at 14 decimals; the recurrence is exact here
    expect(cum).toBe(expected);
  });
});

/**
 * Binance isolated liquidation: equity(LP) = MM(LP) where
 * equity(p) = WB + side·size·(p − EP) and MM(p) = size·p·mmr − cum.
 * We evaluate both sides with our bracket MM at the published LP; the gap must be
 * within d(equity − MM)/dp × the vector's price tolerance (plus a few quote units).
 */
const binanceCases = cex.cases.filter(
  (c) => (c.inputs as { maintenanceAmount?: number | null }).maintenanceAmount != null,
);
describe('cex_liquidation_price.json › Binance cases with a maintenance amount (MM at the liquidation price)', () => {
  it('has the cases we expect', () => expect(binanceCases.length).toBe(6));
  it.each(binanceCases)('$name', (c) => {
    const i = c.inputs as unknown as Record<string, number>;
    const qd = 8; // finer quote units so input rounding stays far below the tolerance
    const big = (x: number, d: number) => scaled(new D(String(x)), d, 'halfEven');
    const wallet = big(i.isolatedWalletBalance ?? i.walletBalance!, qd);
    const side = BigInt(i.side!);
    const size = big(i.size!, 9);
    const entry = big(i.entryPrice!, 8);
    const lpNumber = (c.expected as { liquidationPrice: number }).liquidationPrice;
    const lp = big(lpNumber, 8);
    const mmr = ppm(i.mmr!);
    const cum = big(i.maintenanceAmount!, qd + 6);

    const equity =
      wallet +
      side * (signedValueQuote(size, lp, qd, 'halfEven') - signedValueQuote(size, entry, qd, 'halfEven'));
    const mm = bracketMaintenanceQuote(notionalQuote(size, lp, qd, 'ceil'), mmr, cum);

    const tol = c.tolerance as { abs?: number; rel?: number };
    const priceTol = tol.abs !== undefined ? new D(tol.abs) : new D(String(lpNumber)).times(tol.rel!);
    const slope = new D(String(i.size)).times(new D(String(i.side)).minus(String(i.mmr)).abs());
    const allowed = scaled(slope.times(priceTol.plus('0.000000005')), qd, 'ceil') + 10n;
    const gap = equity - mm;
    expect(gap < 0n ? -gap : gap).toBeLessThanOrEqual(allowed);
  });

  it('binance_isolated_BTC_size_from_example: the BTCUSDT ladder puts the position in the stated bracket', () => {
    const c = binanceCases.find((x) => x.name === 'binance_isolated_BTC_size_from_example')!;
    const i = c.inputs as unknown as Record<string, number>;
    const lp = scaled(
      new Big(String((c.expected as { liquidationPrice: number }).liquidationPrice)),
      8,
      'trunc',
    );
    const n = notionalQuote(scaled(new D(String(i.size)), 9, 'trunc'), lp, QD, 'ceil');
    const b = bracketFor(compiled(), n);
    expect(b.maintenanceRatioPpm).toBe(ppm(i.mmr!));
    expect(b.maintenanceAmountQuotePpm).toBe(scaled(new D(String(i.maintenanceAmount)), QD + 6, 'trunc'));
  });
});
