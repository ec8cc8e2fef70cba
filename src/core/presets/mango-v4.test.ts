/**
 * mango-v4 preset against Mango v4's health tests (test/vectors/mango_v4_health.json,
 * test_health1): init health of accounts with perp positions (weighted positive pnl,
 * unweighted negative pnl, worst case of open bids/asks) and with deposit/borrow weight
 * scaling; and the engine mapping (perp = fixed model with ratio 1 − base asset weight).
 */
import { describe, expect, it } from 'vitest';
import vectors from '../../../test/vectors/mango_v4_health.json' with { type: 'json' };
import { liquidationPriceFor } from '../calculator/liquidation-price.ts';
import { Engine } from '../engine/engine.ts';
import { parseDecimalUnsafe } from '../num/index.ts';
import {
  type MangoPerp,
  type MangoToken,
  mangoConfig,
  mangoHealth,
  mangoPerpHealth,
  mangoPerpMarket,
} from './mango-v4.ts';
import { add, cmp, type Rational, rat, ratOf, sub, toScaled } from './rational.ts';

const F = 'mango_v4_health.json';
const r = (x: string | number) => ratOf(String(x));

/** test_health1's mocks: tokens at $1 (0.2/0.1 weights), $5 and $10 (0.5/0.3); perp 9 on the $5 oracle. */
const token = (
  price: number,
  init: number,
  maint: number,
  balance: number,
  bank?: MangoToken['bank'],
): MangoToken => ({
  balance: r(balance),
  price: r(price),
  initAssetWeight: sub(r(1), r(init)),
  initLiabWeight: add(r(1), r(init)),
  maintAssetWeight: sub(r(1), r(maint)),
  maintLiabWeight: add(r(1), r(maint)),
  ...(bank ? { bank } : {}),
});
const perp = (p: number[]): MangoPerp => ({
  baseLots: BigInt(p[0]!),
  baseLotSize: 10n,
  quote: r(p[1]!),
  price: r(5),
  bidsLots: BigInt(p[2]!),
  asksLots: BigInt(p[3]!),
  initBaseAssetWeight: r('0.8'),
  initBaseLiabWeight: r('1.2'),
  maintBaseAssetWeight: r('0.9'),
  maintBaseLiabWeight: r('1.1'),
  initOverallAssetWeight: r('0.95'),
  maintOverallAssetWeight: r('0.98'),
});
const close = (got: Rational, expected: string, tol: string) => {
  const d = toScaled(sub(got, r(expected)), 9, 'halfEven');
  return (d < 0n ? -d : d) <= parseDecimalUnsafe(tol, 9);
};

type Case = {
  name: string;
  inputs: Record<string, unknown>;
  expected: { health: string };
  tolerance: { abs: string };
};
const cases = vectors.cases as unknown as Case[];

describe(`${F} › test_health1 (init health)`, () => {
  it('has eight cases', () => expect(cases.length).toBe(8));
  it.each(cases)('$name', (c) => {
    const i = c.inputs;
    let h: Rational;
    if (i.only === 'perp contribution') h = mangoPerpHealth(perp(i.perp as number[]), 'init');
    else if (i.perp) h = mangoHealth('init', [], [perp(i.perp as number[])]);
    else {
      const balances = i.tokens as number[];
      const prices = [1, 5, 10];
      const w = [
        [0.2, 0.1],
        [0.5, 0.3],
        [0.5, 0.3],
      ];
      const tokens = balances.map((b, k) =>
        token(prices[k]!, w[k]![0]!, w[k]![1]!, b, {
          deposits: r(((i.bankDeposits as number[] | undefined) ?? [0, 0, 0])[k]!),
          borrows: r(((i.bankBorrows as number[] | undefined) ?? [0, 0, 0])[k]!),
          ...(i.depositWeightScaleStartQuote
            ? { depositWeightScaleStartQuote: r((i.depositWeightScaleStartQuote as number[])[k]!) }
            : {}),
          ...(i.borrowWeightScaleStartQuote
            ? { borrowWeightScaleStartQuote: r((i.borrowWeightScaleStartQuote as number[])[k]!) }
            : {}),
        }),
      );
      h = mangoHealth('init', tokens, []);
    }
    expect(close(h, c.expected.health, c.tolerance.abs)).toBe(true);
  });
});

describe('mango-v4 preset shape and engine mapping', () => {
  it('is a valid engine configuration', () => expect(() => Engine.create(mangoConfig())).not.toThrow());
  it('refuses asymmetric perp weights (no margin ratio expresses them)', () => {
    expect(() =>
      mangoPerpMarket('X', 'X', {
        initBaseAssetWeight: '0.8',
        initBaseLiabWeight: '1.25',
        maintBaseAssetWeight: '0.9',
        maintBaseLiabWeight: '1.1',
      }),
    ).toThrow(RangeError);
  });
  it('at the engine’s liquidation price of a USDC + SOL-PERP account, maint health crosses 0 (within rounding)', () => {
    for (const side of ['long', 'short'] as const) {
      const res = liquidationPriceFor({
        preset: 'mango-v4',
        walletBalance: '1000',
        positions: [{ market: 'SOL-PERP', side, size: '50', entryPrice: '150' }],
      });
      const lp = ratOf(res.liquidationPrice!);
      const size = side === 'long' ? 50n : -50n;
      const health = (px: Rational) =>
        mangoHealth(
          'maint',
          [token(1, 0, 0, 1000)],
          [
            {
              ...perp([0, 0, 0, 0]),
              baseLots: size,
              baseLotSize: 1n,
              quote: rat(-size * 150n),
              price: px,
            },
          ],
        );
      const eps = ratOf('0.000001');
      const safe = side === 'long' ? add(lp, eps) : sub(lp, eps);
      const unsafe = side === 'long' ? sub(lp, eps) : add(lp, eps);
      expect(cmp(health(unsafe), rat(0n))).toBeLessThan(0);
      expect(cmp(health(safe), rat(0n))).toBeGreaterThanOrEqual(0);
    }
  });
});
