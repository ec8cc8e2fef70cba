/**
 * The inverse presets (binance-coinm, bybit-inverse, bitmex-inverse) against the venues' published
 * numbers (test/vectors/inverse_liquidation_price.json), through the engine: the calculator builds
 * the account with fills on the preset's own engine and finds the prices by bisection on the
 * exact figures. Also: the closed forms agree with the engine's trigger within rounding (property),
 * and Bybit's cross example through the reference that adds the closing fee (the preset's gap).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vectors from '../../../test/vectors/inverse_liquidation_price.json' with { type: 'json' };
import { crossView, evaluate } from '../account/figures.ts';
import { liquidationPriceFor } from '../calculator/liquidation-price.ts';
import { Engine } from '../engine/engine.ts';
import { compileBrackets } from '../margin/models.ts';
import { MarginModelConfigSchema } from '../model/config.ts';
import { formatDecimal, parseDecimalUnsafe } from '../num/index.ts';
import { bybitInverseCrossPrices } from '../reference/bybit-inverse.ts';
import { BTCUSD_COINM_BRACKETS } from './binance-coinm.ts';
import { bracketsModel } from './binance-usdm.ts';
import { getPreset } from './index.ts';
import type { PresetId } from './types.ts';

const V = 'inverse_liquidation_price.json';
interface Vector {
  readonly inputs: Record<string, string>;
  readonly expected: Record<string, string>;
  readonly tolerance: Record<string, string>;
}
const byName = (name: string): Vector => {
  const c = vectors.cases.find((x) => x.name === name);
  if (!c) throw new Error(`no vector ${name}`);
  const strings = (o: object) =>
    Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return { inputs: strings(c.inputs), expected: strings(c.expected), tolerance: strings(c.tolerance) };
};
/** A field the vector must have. */
const must = (o: Record<string, string>, k: string): string => {
  const v = o[k];
  if (v === undefined) throw new Error(`vector field ${k} missing`);
  return v;
};
const n8 = (s: string) => parseDecimalUnsafe(s, 8);
const within = (got: string | null, expected: string, tol: string) => {
  expect(got).not.toBeNull();
  const d = n8(got!) - n8(expected);
  expect(d < 0n ? -d : d, `${got} vs ${expected} ± ${tol}`).toBeLessThanOrEqual(n8(tol));
};

/** An engine on a preset with one account holding `contracts` (signed) at `entry`, funded with `btc`. */
function account(preset: PresetId, market: string, contracts: string, entry: string, btc: string) {
  const p = getPreset(preset)!;
  const engine = Engine.create(p.config());
  const coin = engine.state.settlement.id;
  const t = { v: 1 };
  const run = (c: Record<string, unknown>) => engine.executeOrThrow({ timeMs: t.v++, ...c } as never);
  run({ type: 'prices', marks: { [market]: entry } });
  run({ type: 'deposit', to: { account: 'a' }, asset: coin, amount: btc });
  run({ type: 'deposit', to: { account: 'mm' }, asset: coin, amount: '1000000' });
  const long = !contracts.startsWith('-');
  run({
    type: 'fill',
    market,
    buyer: { account: long ? 'a' : 'mm' },
    seller: { account: long ? 'mm' : 'a' },
    size: long ? contracts : contracts.slice(1),
    price: entry,
    taker: 'buyer',
  });
  return engine;
}

describe(`${V} › Binance COIN-M`, () => {
  it('binance_coinm_maintenance_level1: 100 contracts at 25,000 are 0.4 BTC, MM 0.0016 BTC', () => {
    const c = byName('binance_coinm_maintenance_level1');
    const e = account(
      'binance-coinm',
      'BTCUSD_PERP',
      must(c.inputs, 'contracts'),
      must(c.inputs, 'markPrice'),
      '1',
    );
    const f = evaluate(e.state, crossOf(e, 'a'));
    const p = f.positions[0]!;
    expect(formatDecimal(p.notionalQuote, 8)).toBe(formatDecimal(n8(must(c.expected, 'notionalBtc')), 8));
    expect(formatDecimal(p.maintenanceQuote, 8)).toBe(
      formatDecimal(n8(must(c.expected, 'maintenanceMarginBtc')), 8),
    );
  });

  it('binance_coinm_maintenance_amount_300btc: the preset table holds 300 BTC at 12.5%, amount 11.605', () => {
    const c = byName('binance_coinm_maintenance_amount_300btc');
    const brackets = compileBracketsOf(BTCUSD_COINM_BRACKETS);
    const b = brackets.find(
      (x) => x.capQuote === undefined || x.capQuote > n8(must(c.inputs, 'notionalBtc')),
    )!;
    expect(formatDecimal(b.maintenanceRatioPpm, 6)).toBe('0.125');
    expect(formatDecimal(b.maintenanceAmountQuotePpm, 14)).toBe(
      formatDecimal(n8(must(c.expected, 'maintenanceAmountBtc')) * 10n ** 6n, 14),
    );
  });

  it('binance_coinm_maintenance_amount_level5_2021: the engine derives 0.56 and 1.81 BTC', () => {
    const c = vectors.cases.find((x) => x.name === 'binance_coinm_maintenance_amount_level5_2021')!;
    const rows = (c.inputs as { brackets: { notionalCap: string; maintenanceMarginRate: string }[] })
      .brackets;
    const m = MarginModelConfigSchema.parse({
      kind: 'brackets',
      // the level-5 row closes the table here: open-ended, as the engine's last bracket is
      brackets: rows.map((r, i) => ({
        ...(i === rows.length - 1 ? {} : { notionalCap: r.notionalCap }),
        maintenanceRatio: r.maintenanceMarginRate,
        initialRatio: '0.5',
      })),
    });
    if (m.kind !== 'brackets') throw new Error('brackets');
    const compiled = compileBrackets(m.brackets, 8);
    expect(formatDecimal(compiled[3]!.maintenanceAmountQuotePpm / 10n ** 6n, 8)).toBe('0.56');
    expect(formatDecimal(compiled[4]!.maintenanceAmountQuotePpm / 10n ** 6n, 8)).toBe('1.81');
  });

  it("binance_coinm_cross_long_calculator: 101 BTC, long 100,000 contracts @ 45,000 → Binance's 33,599.4(0)", () => {
    const c = byName('binance_coinm_cross_long_calculator');
    const r = liquidationPriceFor({
      preset: 'binance-coinm',
      walletBalance: must(c.inputs, 'walletBalanceBtc'),
      positions: [
        {
          market: 'BTCUSD_PERP',
          side: 'long',
          size: must(c.inputs, 'contracts'),
          entryPrice: must(c.inputs, 'entryPrice'),
        },
      ],
    });
    within(r.liquidationPrice, must(c.expected, 'liquidationPrice'), must(c.tolerance, 'abs'));
    // At BTCUSD_PERP's price precision (one decimal, as Binance shows it) the engine's price is the
    // calculator's figure exactly.
    expect(Number(r.liquidationPrice).toFixed(1)).toBe(must(c.expected, 'liquidationPrice'));
    // Binance's closed form on the same account: the same price to 1e-8 (the engine's side).
    within(r.venueFormula!.liquidationPrice, must(c.expected, 'liquidationPrice'), must(c.tolerance, 'abs'));
    expect(r.venueFormula!.bracket).toBe(6); // 12.5%, 11.605 BTC
    expect(r.formula).toContain('harmonic');
  });
});

describe(`${V} › Bybit inverse`, () => {
  it('bybit_inverse_initial_margin: 12,000 contracts at 8,000, 50× → 0.03 BTC', () => {
    const c = byName('bybit_inverse_initial_margin');
    const e = account(
      'bybit-inverse',
      'BTCUSD',
      must(c.inputs, 'contracts'),
      must(c.inputs, 'entryPrice'),
      '1',
    );
    e.executeOrThrow({
      type: 'set_leverage',
      subaccount: { account: 'a' },
      market: 'BTCUSD',
      maxLeverage: must(c.inputs, 'leverage'),
      timeMs: 99,
    });
    const f = evaluate(e.state, crossOf(e, 'a'));
    expect(formatDecimal(f.initialMarginQuote, 8)).toBe(
      formatDecimal(n8(must(c.expected, 'initialMarginBtc')), 8),
    );
  });

  it('bybit_inverse_cross_long_with_close_fee: the engine, with the fee to close in cross MM, gives Bybit’s liquidation price', () => {
    const c = byName('bybit_inverse_cross_long_with_close_fee');
    const ref = bybitInverseCrossPrices(refInputs(c));
    within(ref.bankruptcyPrice!, must(c.expected, 'bankruptcyPrice'), must(c.tolerance, 'bankruptcyAbs'));
    within(ref.liquidationPrice!, must(c.expected, 'liquidationPrice'), must(c.tolerance, 'liquidationAbs'));
    const r = liquidationPriceFor({
      preset: 'bybit-inverse',
      walletBalance: must(c.inputs, 'walletBalanceBtc'),
      positions: [
        {
          market: 'BTCUSD',
          side: 'long',
          size: must(c.inputs, 'contracts'),
          entryPrice: must(c.inputs, 'entryPrice'),
        },
      ],
    });
    // Bybit's formula with its fee term: 10000 / (1.75 − 0.00625 − 0.00075·1.75/1.00075) = 5,739.08,
    // up to the fee term's rounding (≤ 2e-8 BTC of MM, × LP²/Q ≈ 3,294 in price: < 0.0001).
    within(r.liquidationPrice, ref.liquidationPrice!, '0.0001');
    within(r.liquidationPrice, must(c.expected, 'liquidationPrice'), must(c.tolerance, 'liquidationAbs'));
    // Without the fee term the root is 10000/1.74375 = 5,734.77: the fee moves it, and the engine
    // is not that root.
    const noFee = bybitInverseCrossPrices({ ...refInputs(c), takerFee: '0' });
    expect(n8(r.liquidationPrice!) - n8(noFee.liquidationPrice!)).toBeGreaterThan(4n * 10n ** 8n);
    // The engine's bankruptcy price is net value < 0, without a fee: Bybit's BP less the fee.
    within(r.bankruptcyPrice, noFee.bankruptcyPrice!, '0.00000002');
  });

  it('the fee to close in cross MM, by hand: a long and a short, inverse and linear', () => {
    // Long 10,000 contracts at 8,000 bought as taker (fee 1.25 × 0.075% = 0.0009375 BTC, balance
    // 0.4990625), mark 8,000: MM = 1.25 × 0.5% + 0.00075 × (1.25 + 0.4990625) / 1.00075
    // = 0.00625 + 0.00131081376... → 0.00756082 BTC (the fee term rounded up).
    const e = account('bybit-inverse', 'BTCUSD', '10000', '8000', '0.5');
    expect(evaluate(e.state, crossOf(e, 'a')).maintenanceMarginQuote).toBe(625_000n + 131_082n);
    // Short (the counterparty took): fee × (PV − balance) / (1 − fee) = 0.00075 × 0.75 / 0.99925
    // = 0.00056292... → 0.00056293.
    const s = account('bybit-inverse', 'BTCUSD', '-10000', '8000', '0.5');
    expect(evaluate(s.state, crossOf(s, 'a')).maintenanceMarginQuote).toBe(625_000n + 56_293n);
  });
});

describe(`${V} › BitMEX-style inverse (MCS worked example)`, () => {
  it('mcs_bitmex_style_isolated_long_10x: 10× long at 10,000 → 9,132.42', () => {
    const c = byName('mcs_bitmex_style_isolated_long_10x');
    const r = liquidationPriceFor({
      preset: 'bitmex-inverse',
      positions: [
        {
          market: 'XBTUSD',
          side: 'long',
          size: must(c.inputs, 'contracts'),
          entryPrice: must(c.inputs, 'entryPrice'),
          mode: 'isolated',
          leverage: must(c.inputs, 'leverage'),
        },
      ],
    });
    within(r.liquidationPrice, must(c.expected, 'liquidationPrice'), must(c.tolerance, 'abs'));
    within(r.venueFormula!.liquidationPrice, must(c.expected, 'liquidationPrice'), must(c.tolerance, 'abs'));
  });

  it('mcs_bitmex_style_isolated_bankruptcy_long_10x: bankruptcy EP·lev/(lev ± 1), long and short', () => {
    const c = byName('mcs_bitmex_style_isolated_bankruptcy_long_10x');
    for (const side of ['long', 'short'] as const) {
      const r = liquidationPriceFor({
        preset: 'bitmex-inverse',
        positions: [
          {
            market: 'XBTUSD',
            side,
            size: must(c.inputs, 'contracts'),
            entryPrice: must(c.inputs, 'entryPrice'),
            mode: 'isolated',
            leverage: must(c.inputs, 'leverage'),
          },
        ],
      });
      const expected =
        side === 'long' ? must(c.expected, 'longBankruptcyPrice') : must(c.expected, 'shortBankruptcyPrice');
      within(r.bankruptcyPrice, expected, must(c.tolerance, 'abs'));
    }
  });
});

describe('inverse closed forms agree with the engine’s trigger (property)', () => {
  const cases: [PresetId, string, number][] = [
    ['binance-coinm', 'BTCUSD_PERP', 100],
    ['bybit-inverse', 'BTCUSD', 1],
    ['bitmex-inverse', 'XBTUSD', 1],
  ];
  for (const [preset, market, cv] of cases) {
    it(`${preset}: |engine − formula| ≤ a few 1e-8 coin of rounding, converted to price`, () => {
      fc.assert(
        fc.property(
          fc.constantFrom('long' as const, 'short' as const),
          fc.integer({ min: 1, max: 5_000_000 }),
          fc.integer({ min: 5_000, max: 120_000 }),
          fc.integer({ min: 2, max: 100 }),
          fc.boolean(),
          (side, contracts, entry, leverage, isolated) => {
            const wallet = isolated
              ? '0'
              : formatDecimal((BigInt(contracts * cv) * 10n ** 8n) / BigInt(entry * leverage) + 1n, 8);
            const r = liquidationPriceFor({
              preset,
              walletBalance: wallet,
              positions: [
                {
                  market,
                  side,
                  size: String(contracts),
                  entryPrice: String(entry),
                  ...(isolated ? { mode: 'isolated' as const, leverage: String(leverage) } : {}),
                },
              ],
            });
            // Bybit's cross MM holds the fee to close (closeFeeInMaintenance): its cross formula.
            const f =
              preset === 'bybit-inverse' && !isolated
                ? bybitInverseCrossPrices({
                    balance: wallet,
                    contracts: String(contracts),
                    entryPrice: String(entry),
                    mmr: '0.005',
                    takerFee: '0.00075',
                    side,
                  }).liquidationPrice
                : (r.venueFormula?.liquidationPrice ?? null);
            if (r.liquidationPrice === null || f === null) {
              expect(r.liquidationPrice === null && f === null, `${r.liquidationPrice} vs ${f}`).toBe(true);
              return;
            }
            // A few units (1e-8 coin) of rounding in equity move the root by ≈ units·LP²/(n·cv).
            const lp = Number(r.liquidationPrice);
            const slack = (4e-8 * lp * lp) / (contracts * cv) + 2e-8;
            expect(Math.abs(lp - Number(f)), `${r.liquidationPrice} vs ${f}`).toBeLessThanOrEqual(
              slack + 1e-9 * lp,
            );
          },
        ),
        { numRuns: 40 },
      );
    });
  }
});

function crossOf(e: Engine, account: string) {
  return crossView(e.state.subaccounts.get(`${account}/0`)!);
}

function compileBracketsOf(rows: typeof BTCUSD_COINM_BRACKETS) {
  const m = MarginModelConfigSchema.parse(bracketsModel(rows));
  if (m.kind !== 'brackets') throw new Error('brackets');
  return compileBrackets(m.brackets, 8);
}

function refInputs(c: { inputs: Record<string, string> }) {
  return {
    balance: must(c.inputs, 'walletBalanceBtc'),
    contracts: must(c.inputs, 'contracts'),
    entryPrice: must(c.inputs, 'entryPrice'),
    mmr: must(c.inputs, 'mmr'),
    takerFee: must(c.inputs, 'takerFee'),
  };
}
