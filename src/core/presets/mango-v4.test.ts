/**
 * mango-v4 preset against Mango v4's health tests (test/vectors/mango_v4_health.json,
 * test_health1): init health of accounts with perp positions (weighted positive pnl,
 * unweighted negative pnl, worst case of open bids/asks) and with deposit/borrow weight
 * scaling; and the engine mapping (perp = fixed model with ratio 1 − base asset weight).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vectors from '../../../test/vectors/mango_v4_health.json' with { type: 'json' };
import { evaluate, type ScopeView } from '../account/figures.ts';
import { liquidationPriceFor } from '../calculator/liquidation-price.ts';
import { Engine } from '../engine/engine.ts';
import { emptySubaccount } from '../model/state.ts';
import { formatDecimal, parseDecimalUnsafe } from '../num/index.ts';
import { type MangoPerp, type MangoToken, mangoHealth, mangoPerpHealth } from '../reference/mango-v4.ts';
import { MANGO_TEST_PERP_WEIGHTS, mangoConfig, mangoPerpMarket } from './mango-v4.ts';
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

describe('positive perp health at the overall asset weight (positiveHealthWeight): engine LP = root of mangoHealth', () => {
  // A USDC account with a SOL-PERP position and a profitable BTC-PERP position (same test weights):
  // the BTC perp's positive health counts at 0.98 (maint), so the SOL-PERP liquidation price is the root
  // of mangoHealth('maint') with the haircut — checked on both sides of the engine's price.
  const config = {
    ...mangoConfig(),
    markets: [
      mangoPerpMarket('SOL-PERP', 'SOL', MANGO_TEST_PERP_WEIGHTS),
      mangoPerpMarket('BTC-PERP', 'BTC', MANGO_TEST_PERP_WEIGHTS),
    ],
  };
  const cents = (n: number) => formatDecimal(BigInt(n), 2);
  const perpOf = (sizeCents: bigint, entryCents: bigint, price: Rational): MangoPerp => ({
    ...perp([0, 0, 0, 0]),
    baseLots: sizeCents,
    baseLotSize: 1n,
    quote: rat(-sizeCents * entryCents, 10_000n),
    price: { n: price.n, d: price.d * 100n },
  });
  it('configures the overall weights on the preset’s perp (init 0.95, maint 0.98)', () => {
    const m = Engine.create(mangoConfig()).state.markets.get('SOL-PERP')!;
    expect(m.config.positiveHealthWeight).toEqual({ initial: 950_000n, maintenance: 980_000n });
  });
  it('random accounts: maint health < 0 just past the engine’s LP, ≥ 0 just before it', () => {
    let haircutActive = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(1n, -1n),
        fc.integer({ min: 100, max: 50_000 }), // SOL size, cents
        fc.integer({ min: 5_000, max: 30_000 }), // SOL entry, cents
        fc.constantFrom(1n, -1n),
        fc.integer({ min: 1, max: 2_000 }), // BTC size, cents
        fc.integer({ min: 2_000_000, max: 10_000_000 }), // BTC entry, cents
        fc.integer({ min: 1_200, max: 4_000 }), // BTC profit move, 1e-4 (12%+: its perp health > 0)
        fc.integer({ min: 2, max: 5 }), // leverage on both notionals (IM 20%)
        (solSide, solSize, solEntry, btcSide, btcSize, btcEntry, move, lev) => {
          const btcMark = (BigInt(btcEntry) * (10_000n + btcSide * BigInt(move))) / 10_000n;
          const notional = BigInt(solSize) * BigInt(solEntry) + BigInt(btcSize) * BigInt(btcEntry);
          const wallet = notional / 100n / BigInt(lev) + 1n;
          const res = liquidationPriceFor({
            preset: 'mango-v4',
            config,
            walletBalance: cents(Number(wallet)),
            positions: [
              {
                market: 'SOL-PERP',
                side: solSide > 0n ? 'long' : 'short',
                size: cents(solSize),
                entryPrice: cents(solEntry),
              },
              {
                market: 'BTC-PERP',
                side: btcSide > 0n ? 'long' : 'short',
                size: cents(btcSize),
                entryPrice: cents(btcEntry),
              },
            ],
            marks: { 'BTC-PERP': formatDecimal(btcMark, 2) },
            market: 'SOL-PERP',
          });
          if (res.liquidationPrice === null) return;
          const lp = ratOf(res.liquidationPrice);
          const btc = perpOf(btcSide * BigInt(btcSize), BigInt(btcEntry), rat(btcMark, 100n));
          const health = (px: Rational) =>
            mangoHealth(
              'maint',
              [token(1, 0, 0, Number(wallet) / 100)],
              [perpOf(solSide * BigInt(solSize), BigInt(solEntry), px), btc],
            );
          if (cmp(mangoPerpHealth(btc, 'maint'), rat(0n)) > 0) haircutActive++;
          // A price step that moves health by 0.9 × size × eps = 9e-5 ≫ the engine’s 1e-6 roundings.
          const eps = rat(1n, 100n * BigInt(solSize)); // 1e-4 / size
          const safe = solSide > 0n ? add(lp, eps) : sub(lp, eps);
          const unsafe = solSide > 0n ? sub(lp, eps) : add(lp, eps);
          expect(cmp(health(unsafe), rat(0n))).toBeLessThan(0);
          expect(cmp(health(safe), rat(0n))).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 60 },
    );
    expect(haircutActive).toBeGreaterThan(10);
  });
});

describe(`${F} › test_health1 perp cases through the engine’s figures (init health = equity at init weights − IM)`, () => {
  // Cases 2–5: an account with only a perp (base lot 10, price 5, so one lot is 50 quote); the engine
  // holds it as a SOL-PERP position of lots × 10 with entry value −quote. Its init health with the
  // preset's positiveHealthWeight (0.95) is Mango's, positive perp health haircut included.
  const perpOnly = cases.filter((c) => c.inputs.perp && c.inputs.only === undefined);
  it('has the four perp-only cases', () => expect(perpOnly.length).toBe(4));
  it.each(perpOnly)('$name', (c) => {
    const [lots, quote] = c.inputs.perp as number[];
    const e = Engine.create(mangoConfig());
    e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'SOL-PERP': '5' } });
    const state = e.state;
    const view: ScopeView = {
      sub: emptySubaccount({ account: 'a', sub: '0' }),
      scope: { kind: 'cross' },
      positions: [
        { market: 'SOL-PERP', size: BigInt(lots! * 10) * 10n ** 9n, entryValue: BigInt(-quote!) * 10n ** 6n },
      ],
      balances: new Map([['USDC', 0n]]),
      settlementDelta: 0n,
    };
    const f = evaluate(state, view);
    const health = f.equityInitialQuote - f.initialMarginQuote;
    const d = health - parseDecimalUnsafe(c.expected.health, 6);
    expect((d < 0n ? -d : d) <= parseDecimalUnsafe(c.tolerance.abs, 6)).toBe(true);
  });
});

describe(`${F} › test_health1 cases 0 and 1, perp term with open orders, through the engine's figures`, () => {
  // Perp (base lots, quote, bids lots, asks lots) = (3, −131, 7, 11) and (−10, −131, 7, 11) at $5,
  // base lot 10: Mango's perp health is the worse of "all bids execute" and "all asks execute" at
  // the oracle price. The engine holds the orders as resting orders at the mark, and its init
  // health is equity at init weights − IM − the orders' reservation (worst case over bids/asks).
  // Mango charges no fee to open; the engine's reservation also holds the taker fee to open
  // (Bybit's order cost): with the preset's 0.04 % that is (7 + 11) × 50 × 0.0004 = 0.36.
  const withOrders = cases.filter((c) => c.inputs.only === 'perp contribution');
  it('has the two cases', () => expect(withOrders.length).toBe(2));
  it.each(withOrders)('$name', (c) => {
    const [lots, quote, bids, asks] = c.inputs.perp as number[];
    const health = (takerFee: string) => {
      const cfg = mangoConfig();
      const markets = cfg.markets!.map((m) => (m.id === 'SOL-PERP' ? { ...m, takerFee } : m));
      const e = Engine.create({ ...cfg, markets });
      e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'SOL-PERP': '5' } });
      const order = (id: string, side: 'buy' | 'sell', n: number) => ({
        id,
        market: 'SOL-PERP',
        side,
        size: BigInt(n * 10) * 10n ** 9n,
        pricePx8: 5n * 10n ** 8n,
        reduceOnly: false,
      });
      const view: ScopeView = {
        sub: emptySubaccount({ account: 'a', sub: '0' }),
        scope: { kind: 'cross' },
        positions: [
          {
            market: 'SOL-PERP',
            size: BigInt(lots! * 10) * 10n ** 9n,
            entryValue: BigInt(-quote!) * 10n ** 6n,
          },
        ],
        balances: new Map([['USDC', 0n]]),
        settlementDelta: 0n,
        orders: [order('b', 'buy', bids!), order('a', 'sell', asks!)],
      };
      const f = evaluate(e.state, view);
      return f.equityInitialQuote - f.initialMarginQuote - f.openOrderInitialMarginQuote;
    };
    expect(health('0')).toBe(parseDecimalUnsafe(c.expected.health, 6));
    expect(health('0.0004')).toBe(parseDecimalUnsafe(c.expected.health, 6) - 360_000n);
  });
});
