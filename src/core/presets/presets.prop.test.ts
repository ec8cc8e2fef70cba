/**
 * One property per preset: the liquidation price the calculator reports is where the
 * engine's own liquidation trigger fires. For random accounts on each venue preset:
 *  - at the reported price the engine says liquidatable (equity < MM): the scope is listed
 *    by Engine.liquidatable() once the mark is moved there by `prices` commands;
 *  - one unit (1e-8) beyond it on the safe side (above for a long, below for a short) it is not;
 *  - likewise the bankruptcy price and net value < 0;
 *  - bybit-usdt (IM and MM on the entry notional): the engine's price is Bybit's published formula.
 * The lending preset (aave-v3) has no positions: its trigger is checked on the engine's figures and
 * on the engine itself (policy `lending`: a `borrow`ed debt, listed by Engine.liquidatable() at the
 * collateral's liquidation price, not 1e-8 above it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, isLiquidatable, type ScopeView } from '../account/figures.ts';
import { type CalculatorPosition, liquidationPriceDetailed } from '../calculator/liquidation-price.ts';
import { Engine } from '../engine/engine.ts';
import { formatDecimal, PRICE_DECIMALS, parseDecimalUnsafe } from '../num/index.ts';
import { getPreset } from './index.ts';
import type { PresetId } from './types.ts';

const px = (v: bigint) => formatDecimal(v, PRICE_DECIMALS);

/** Moves a market's mark to `target` with `prices` commands, in steps the wild-price guard accepts. */
function moveMark(engine: Engine, market: string, target: bigint): void {
  let mark = engine.state.markets.get(market)!.markPx8!;
  let time = engine.state.timeMs + 1;
  while (mark !== target) {
    // at least one unit per step, so a walk from a price of a few units cannot stall (it used to
    // loop forever: 1 × 1.4 rounds down to 1)
    const up = (mark * 14n) / 10n > mark ? (mark * 14n) / 10n : mark + 1n;
    const down = (mark * 7n) / 10n;
    const next = target > mark ? (target < up ? target : up) : target > down ? target : down;
    engine.executeOrThrow({ type: 'prices', timeMs: time++, marks: { [market]: px(next) } });
    mark = next;
  }
}

/** Moves an asset price to `target` with `prices` commands, in steps the wild-price guard accepts. */
function moveAsset(engine: Engine, asset: string, target: bigint): void {
  let price = engine.state.assetPricesPx8.get(asset)!;
  let time = engine.state.timeMs + 1;
  while (price !== target) {
    // at least one unit per step, so a walk from a price of a few units cannot stall (it used to
    // loop forever: 1 × 1.4 rounds down to 1)
    const up = (price * 14n) / 10n > price ? (price * 14n) / 10n : price + 1n;
    const down = (price * 7n) / 10n;
    const next = target > price ? (target < up ? target : up) : target > down ? target : down;
    engine.executeOrThrow({ type: 'prices', timeMs: time++, assets: { [asset]: px(next) } });
    price = next;
  }
}

const listed = (engine: Engine, view: ScopeView) =>
  engine
    .liquidatable()
    .some(
      (l) =>
        l.ref.account === view.sub.ref.account &&
        l.scope.kind === view.scope.kind &&
        (l.scope.kind === 'cross' ||
          (view.scope.kind === 'isolated' && l.scope.market === view.scope.market)),
    );

function checkTrigger(presetId: PresetId, input: Parameters<typeof liquidationPriceDetailed>[0]): void {
  const d = liquidationPriceDetailed(input);
  const r = d.result;
  const state = d.state;
  const view = d.view!;
  const long = r.side === 'long';
  const at = (price: bigint) => evaluate(state, view, new Map([[d.market, price]]));
  if (r.liquidationPrice !== null) {
    const lp = parseDecimalUnsafe(r.liquidationPrice, PRICE_DECIMALS);
    expect(isLiquidatable(at(lp)), `${presetId}: liquidatable at ${r.liquidationPrice}`).toBe(true);
    const safe = long ? lp + 1n : lp - 1n;
    if (safe > 0n) expect(isLiquidatable(at(safe)), `${presetId}: not liquidatable 1e-8 beyond`).toBe(false);
    // The engine itself, after prices commands: listed at the LP, not one unit on the safe side.
    // (Below 1e-5 the guarded relative steps cannot walk one unit back up: the calculator's
    // answer is checked above, the engine walk is skipped.)
    if (lp >= 1000n) {
      moveMark(d.engine!, d.market, lp);
      expect(listed(d.engine!, view)).toBe(true);
      if (safe > 0n) {
        moveMark(d.engine!, d.market, safe);
        expect(listed(d.engine!, view)).toBe(false);
      }
    }
  }
  if (r.bankruptcyPrice !== null) {
    const bp = parseDecimalUnsafe(r.bankruptcyPrice, PRICE_DECIMALS);
    expect(at(bp).netValueQuote < 0n).toBe(true);
    const safe = long ? bp + 1n : bp - 1n;
    if (safe > 0n) expect(at(safe).netValueQuote < 0n).toBe(false);
  }
}

/** A decimal string of an integer count of 10^-decimals. */
const dec = (decimals: number, min: number, max: number) =>
  fc.integer({ min, max }).map((n) => formatDecimal(BigInt(n), decimals));

interface MarketSpec {
  readonly id: string;
  /** Entry price range (whole units) and size step decimals / range in steps. */
  readonly price: [number, number];
  readonly sizeDecimals: number;
  readonly sizeSteps: [number, number];
  /** Inverse markets: quote per contract (sizes count contracts; the wallet is in the coin). */
  readonly contractValue?: number;
}

const SPECS: Record<Exclude<PresetId, 'aave-v3'>, MarketSpec[]> = {
  'binance-usdm': [
    { id: 'BTCUSDT', price: [10_000, 120_000], sizeDecimals: 3, sizeSteps: [1, 200_000] },
    { id: 'ETHUSDT', price: [500, 6_000], sizeDecimals: 3, sizeSteps: [1, 4_000_000] },
  ],
  'bybit-usdt': [{ id: 'BTCUSDT', price: [10_000, 120_000], sizeDecimals: 3, sizeSteps: [1, 50_000] }],
  'dydx-v4': [
    { id: 'BTC-USD', price: [10_000, 120_000], sizeDecimals: 4, sizeSteps: [1, 200_000] },
    { id: 'ETH-USD', price: [500, 6_000], sizeDecimals: 3, sizeSteps: [1, 1_000_000] },
    { id: 'SOL-USD', price: [10, 400], sizeDecimals: 2, sizeSteps: [1, 50_000_000] },
  ],
  'drift-v2': [{ id: 'SOL-PERP', price: [10, 400], sizeDecimals: 2, sizeSteps: [1, 10_000_000] }],
  hyperliquid: [
    { id: 'BTC', price: [10_000, 120_000], sizeDecimals: 5, sizeSteps: [1, 30_000_000] },
    { id: 'ETH', price: [500, 6_000], sizeDecimals: 4, sizeSteps: [1, 100_000_000] },
    { id: 'SOL', price: [10, 400], sizeDecimals: 2, sizeSteps: [1, 10_000_000] },
  ],
  'mango-v4': [{ id: 'SOL-PERP', price: [10, 400], sizeDecimals: 2, sizeSteps: [1, 1_000_000] }],
  'binance-coinm': [
    {
      id: 'BTCUSD_PERP',
      price: [5_000, 120_000],
      sizeDecimals: 0,
      sizeSteps: [1, 2_000_000],
      contractValue: 100,
    },
  ],
  'bybit-inverse': [
    { id: 'BTCUSD', price: [5_000, 120_000], sizeDecimals: 0, sizeSteps: [1, 50_000_000], contractValue: 1 },
  ],
  'bitmex-inverse': [
    { id: 'XBTUSD', price: [5_000, 120_000], sizeDecimals: 0, sizeSteps: [1, 50_000_000], contractValue: 1 },
  ],
};

const positionArb = (spec: MarketSpec) =>
  fc.record({
    market: fc.constant(spec.id),
    side: fc.constantFrom('long' as const, 'short' as const),
    size: dec(spec.sizeDecimals, spec.sizeSteps[0], spec.sizeSteps[1]),
    entryPrice: dec(2, spec.price[0] * 100, spec.price[1] * 100),
    /** mark / entry − 1, in 1e-4: −20% … +20% */
    move: fc.integer({ min: -2_000, max: 2_000 }),
  });

const accountArb = (specs: MarketSpec[]) =>
  fc
    .record({
      first: fc.constantFrom(...specs).chain(positionArb),
      second: fc.option(fc.constantFrom(...specs).chain(positionArb), { nil: undefined }),
      isolated: fc.boolean(),
      /** wallet = notional / leverage, leverage 1…50 */
      leverage: fc.integer({ min: 1, max: 50 }),
    })
    .filter((a) => a.second === undefined || a.second.market !== a.first.market);

type Account = ReturnType<typeof accountArb> extends fc.Arbitrary<infer T> ? T : never;

function inputOf(preset: PresetId, a: Account) {
  const positions: CalculatorPosition[] = [];
  const marks: Record<string, string> = {};
  let notional = 0n; // in 1e-8 of the settlement asset, roughly
  const cv = SPECS[preset as Exclude<PresetId, 'aave-v3'>]?.[0]?.contractValue;
  for (const p of [a.first, a.second]) {
    if (!p) continue;
    const entry = parseDecimalUnsafe(p.entryPrice, 2);
    const mark = (entry * BigInt(10_000 + p.move)) / 10_000n;
    marks[p.market] = formatDecimal(mark > 0n ? mark : 1n, 2);
    const size9 = parseDecimalUnsafe(p.size, 9);
    // linear: size × entry (quote); inverse: contracts × cv / entry (coin)
    notional +=
      cv === undefined
        ? (size9 * entry) / 10n ** 3n
        : (size9 * BigInt(cv) * 10n ** 10n) / (entry * 10n ** 9n);
    positions.push({ market: p.market, side: p.side, size: p.size, entryPrice: p.entryPrice });
  }
  // At least one cent (inverse: 1e-8 coin): an opening fill needs free collateral ≥ 0 at the
  // entry price (scenario.ts).
  const places = cv === undefined ? 2 : 8;
  const units = notional / 10n ** BigInt(8 - places) / BigInt(a.leverage);
  const wallet = formatDecimal(units > 0n ? units : 1n, places);
  if (a.isolated && positions.length === 1) {
    return {
      preset,
      walletBalance: '0',
      positions: [{ ...positions[0]!, mode: 'isolated' as const, isolatedMargin: wallet }],
      marks,
    };
  }
  return { preset, walletBalance: wallet, positions, marks };
}

describe('INV: the reported liquidation price is the engine’s own trigger (one property per preset)', () => {
  for (const [preset, specs] of Object.entries(SPECS) as [Exclude<PresetId, 'aave-v3'>, MarketSpec[]][]) {
    it(`${preset}: liquidatable at LP, not 1e-8 beyond on the safe side; bankrupt at BP, not beyond`, () => {
      fc.assert(
        fc.property(accountArb(specs), (a) => {
          checkTrigger(preset, inputOf(preset, a));
        }),
        { numRuns: 40 },
      );
    });
  }

  it('bybit-usdt (requirementOn: entry): the engine’s LP is Bybit’s published formula, within rounding', () => {
    // |engine − formula| × size ≤ 3 quote units (MM rounds up, position value down) + one 1e-8 step.
    fc.assert(
      fc.property(accountArb(SPECS['bybit-usdt']), (a) => {
        const input = inputOf('bybit-usdt', a);
        const r = liquidationPriceDetailed(input).result;
        if (r.liquidationPrice === null || r.venueFormula?.liquidationPrice == null) return;
        const d = parseDecimalUnsafe(r.venueFormula.differenceFromEngine!, PRICE_DECIMALS);
        const size = parseDecimalUnsafe(a.first.size, 9);
        const absD = d < 0n ? -d : d;
        expect(absD * size <= 3n * 10n ** 9n + size, `engine − formula = ${d}`).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('drift-v2 with SOL collateral (size-discounted weights) as well as USDC', () => {
    fc.assert(
      fc.property(
        positionArb(SPECS['drift-v2'][0]!),
        dec(9, 1, 10_000_000_000_000),
        dec(2, 1_000, 40_000),
        (p, sol, solPrice) => {
          checkTrigger('drift-v2', {
            preset: 'drift-v2',
            walletBalance: '100',
            collateral: { SOL: sol },
            assetPrices: { SOL: solPrice },
            positions: [{ market: p.market, side: p.side, size: p.size, entryPrice: p.entryPrice }],
          });
        },
      ),
      { numRuns: 30 },
    );
  });

  it('aave-v3: at the collateral’s liquidation price equity < 0 (HF < 1); 1e-8 above it not', () => {
    fc.assert(
      fc.property(dec(2, 50_000, 500_000), fc.integer({ min: 10, max: 95 }), (price, debtPct) => {
        const weth = '10';
        const collateralValue = parseDecimalUnsafe(price, 2) * 10n;
        const debt = formatDecimal((collateralValue * BigInt(debtPct)) / 100n, 2);
        const d = liquidationPriceDetailed({
          preset: 'aave-v3',
          collateral: { WETH: weth },
          assetPrices: { WETH: price },
          debt,
        });
        const r = d.result;
        if (r.liquidationPrice === null) return;
        const lp = parseDecimalUnsafe(r.liquidationPrice, PRICE_DECIMALS);
        const view: ScopeView = {
          sub: {
            key: 'x',
            ref: { account: 'x', sub: '0' },
            balances: new Map(),
            positions: new Map(),
            isolatedMarkets: new Set(),
            maxLeverage: new Map(),
          },
          scope: { kind: 'cross' },
          positions: [],
          balances: new Map([
            ['USDC', -parseDecimalUnsafe(debt, 6)],
            ['WETH', parseDecimalUnsafe(weth, 18)],
          ]),
          settlementDelta: 0n,
        };
        const at = (p: bigint) =>
          isLiquidatable(
            evaluate({ ...d.state, assetPricesPx8: new Map(d.state.assetPricesPx8).set('WETH', p) }, view),
          );
        expect(at(lp)).toBe(true);
        expect(at(lp + 1n)).toBe(false);
        if (lp < 1000n) return; // below 1e-5 guarded relative steps cannot walk one unit back up
        // The engine: borrow at twice the price (within the LTV), then move the WETH price there.
        const engine = Engine.create(getPreset('aave-v3')!.config());
        engine.executeOrThrow({
          type: 'prices',
          timeMs: 0,
          assets: { WETH: px(parseDecimalUnsafe(price, 8) * 2n) },
        });
        engine.executeOrThrow({ type: 'deposit', to: { account: 'b' }, asset: 'WETH', amount: weth });
        engine.executeOrThrow({ type: 'borrow', subaccount: { account: 'b' }, amount: debt });
        const lendingListed = (p: bigint) => {
          moveAsset(engine, 'WETH', p);
          return engine.liquidatable().some((l) => l.ref.account === 'b');
        };
        expect(lendingListed(lp)).toBe(true);
        expect(lendingListed(lp + 1n)).toBe(false);
      }),
      { numRuns: 40 },
    );
  });
});
