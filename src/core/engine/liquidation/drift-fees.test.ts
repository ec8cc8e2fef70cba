/**
 * Drift v2's liquidation fees executed by the engine (policy penalty `drift`): the liquidator fee
 * ramps after a grace period (get_liquidation_fee) and the insurance fund takes the implied
 * remainder × 95 % (calculate_perp_if_fee). The engine's functions (liquidation/drift-fees.ts) are
 * checked against the numbers of Drift's Rust tests (test/vectors/drift_v2_liquidation_margin.json)
 * and against the test reference (reference/drift-v2.ts) on random inputs; a liquidation through
 * the engine is derived by hand.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newVenue, ref } from '../../../../test/support/fixtures.ts';
import { crossView, evaluate } from '../../account/figures.ts';
import { impliedInsuranceFeePpm, rampedLiquidatorFeePpm } from '../../liquidation/drift-fees.ts';
import { EngineConfigSchema } from '../../model/engine-config.ts';
import { driftConfig } from '../../presets/drift-v2.ts';
import {
  driftBaseToCoverMarginShortage,
  driftLiquidationFee,
  driftPerpIfFee,
} from '../../reference/drift-v2.ts';
import { Engine } from '../engine.ts';
import type { EngineEvent } from '../events.ts';

const U = 1_000_000n;
type Case = {
  group?: string;
  name: string;
  inputs: Record<string, number>;
  expected: Record<string, number>;
};
const liq = JSON.parse(
  readFileSync(new URL('../../../../test/vectors/drift_v2_liquidation_margin.json', import.meta.url), 'utf8'),
) as { cases: Case[] };
const group = (g: string) => liq.cases.filter((c) => c.group === g);
const big = (v: number) => BigInt(Math.round(v));

const RAMP = {
  liquidatorFee: 0n,
  maxLiquidatorFee: 0n,
  slotMs: 1,
  gracePeriodSlots: 1500, // LIQUIDATION_FEE_ADJUST_GRACE_PERIOD_SLOTS
  increasePerSlot: 1n, // LIQUIDATION_FEE_INCREASE_PER_SLOT, 0.01 bps at 1e6
};

describe('the engine’s Drift fee functions = Drift’s Rust test numbers', () => {
  it.each(group('get_liquidation_fee'))('get_liquidation_fee: $name', ({ inputs: i, expected }) => {
    const ramp = { ...RAMP, liquidatorFee: big(i.baseLiqFee_1e6!), maxLiquidatorFee: big(i.maxLiqFee_1e6!) };
    // slotMs 1: one slot per millisecond, so the slots are Drift's.
    expect(rampedLiquidatorFeePpm(ramp, i.userLiquidationStartSlot!, i.currentSlot!)).toBe(
      big(expected.fee_1e6!),
    );
  });

  it.each(group('calculate_perp_if_fee'))('calculate_perp_if_fee: $name', ({ inputs: i, expected }) => {
    const got = impliedInsuranceFeePpm({
      shortageQuote: big(i.marginShortage_quote!),
      sizeQty9: big(i.baseAssetAmount_1e9!),
      pricePx8: big(i.oraclePrice_1e6!) * 100n, // Drift's 1e6 price at px8; the quote price is 1
      marginRatioPpm: big(i.marginRatio_1e4!) * 100n,
      liquidatorFeePpm: big(i.liquidatorFee_1e6!),
      maxInsuranceFeePpm: big(i.maxIfFee_1e6!),
      quoteDecimals: 6,
    });
    expect(got).toBe(big(expected.ifFee_1e6!));
  });

  it('the ramp: base fee within the grace period, +1 ppm a slot after it, capped (hand-derived)', () => {
    const ramp = { ...RAMP, liquidatorFee: 20_000n, maxLiquidatorFee: 50_000n, slotMs: 400 };
    expect(rampedLiquidatorFeePpm(ramp, 0, 1_499 * 400 + 399)).toBe(20_000n); // 1,499 slots
    expect(rampedLiquidatorFeePpm(ramp, 0, 1_500 * 400)).toBe(21_500n);
    expect(rampedLiquidatorFeePpm(ramp, 0, 100_000 * 400)).toBe(50_000n);
  });

  it('equal the test reference on random inputs (Drift precisions mapped to the engine’s)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 13n }),
        fc.bigInt({ min: 0n, max: 10n ** 13n }),
        fc.bigInt({ min: 1n, max: 5_000n }),
        fc.bigInt({ min: 0n, max: 200_000n }),
        fc.bigInt({ min: 0n, max: 10n ** 11n }),
        fc.bigInt({ min: 0n, max: 100_000n }),
        (shortage, base, mr1e4, liqFee, price1e6, maxIf) => {
          const engine = impliedInsuranceFeePpm({
            shortageQuote: shortage,
            sizeQty9: base,
            pricePx8: price1e6 * 100n,
            marginRatioPpm: mr1e4 * 100n,
            liquidatorFeePpm: liqFee,
            maxInsuranceFeePpm: maxIf,
            quoteDecimals: 6,
          });
          const drift = driftPerpIfFee({
            shortageQuote: shortage,
            baseAssetAmount1e9: base,
            marginRatio1e4: mr1e4,
            liquidatorFee1e6: liqFee,
            oraclePrice1e6: price1e6,
            quotePrice1e6: 1_000_000n,
            maxIfFee1e6: maxIf,
          });
          expect(engine).toBe(drift);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 50_000n }),
        fc.bigInt({ min: 0n, max: 200_000n }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (base, extra, start, elapsed) => {
          const ramp = { ...RAMP, liquidatorFee: base, maxLiquidatorFee: base + extra };
          expect(rampedLiquidatorFeePpm(ramp, start, start + elapsed)).toBe(
            driftLiquidationFee(base, base + extra, BigInt(start), BigInt(start + elapsed)),
          );
        },
      ),
    );
  });
});

function account(penalty: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const e = newVenue({
    config: {
      liquidation: { target: 'maintenance_plus_notional', targetBuffer: '0.02', penalty, ...extra } as never,
    },
  });
  const events: EngineEvent[] = [];
  e.onEvents((evs) => events.push(...evs));
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '1000' });
  e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'USDC', amount: '100000' });
  e.executeOrThrow({
    type: 'fill',
    market: 'BTC-PERP',
    buyer: ref('alice'),
    seller: ref('bob'),
    size: '0.1',
    price: '60000',
  });
  e.executeOrThrow({ type: 'prices', timeMs: 3, marks: { 'BTC-PERP': '52000' } });
  return { e, events };
}
const DRIFT = { kind: 'drift', liquidatorFee: '0.01', maxLiquidatorFee: '0.05', maxInsuranceFee: '0.05' };
const position = (e: Engine) => e.state.subaccounts.get('alice/0')!.positions.get('BTC-PERP')?.size ?? 0n;
const completed = (evs: EngineEvent[]) =>
  evs.filter(
    (x): x is Extract<EngineEvent, { type: 'liquidation_completed' }> => x.type === 'liquidation_completed',
  );

describe('penalty drift through the engine', () => {
  it('a step: liquidator fee 1 %, IF fee = implied remainder × 95 %, size = Drift’s base to cover (hand-derived)', () => {
    const { e, events } = account(DRIFT);
    const f = evaluate(e.state, crossView(e.state.subaccounts.get('alice/0')!));
    // equity = 1,000 − 3 (taker fee) − 800 = 197 < MM = 5,200 × 5 % = 260; buffer 2 % × 5,200 = 104.
    expect(f.equityQuote).toBe(197n * U);
    expect(f.maintenanceMarginQuote).toBe(260n * U);
    // shortage 364 − 197 = 167 → 1,670 per BTC → 1,670 / 52,000 = 0.032115 (32,115 ppm); margin
    // ratio 7 %: IF fee = (70,000 − 10,000 − 32,115) × 19 / 20 = 26,490.75 → 26,490 ppm (< the 5 % cap).
    expect(
      driftPerpIfFee({
        shortageQuote: 167n * U,
        baseAssetAmount1e9: 100_000_000n,
        marginRatio1e4: 700n,
        liquidatorFee1e6: 10_000n,
        oraclePrice1e6: 52_000n * U,
        quotePrice1e6: U,
        maxIfFee1e6: 50_000n,
      }),
    ).toBe(26_490n);
    // Drift's base to cover: 167 / (52,000 × (7 % − 1 %) − 52,000 × 2.649 %) = 0.095838 → step 0.001: 0.096.
    const base = driftBaseToCoverMarginShortage({
      shortageQuote: 167n * U,
      marginRatioPpm: 70_000n,
      liquidationFeePpm: 10_000n,
      insuranceFundFeePpm: 26_490n,
      pricePx8: 52_000n * 10n ** 8n,
      quoteDecimals: 6,
      rounding: 'ceil',
    })!;
    expect((base + 999_999n) / 1_000_000n).toBe(96n);
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 3 });
    expect(100_000_000n - position(e)).toBe(96_000_000n);
    const [step] = completed(events);
    // Closed value 0.096 × 52,000 = 4,992: reward 1 % = 49.92; IF fee 4,992 × 2.649 % = 132.23808.
    expect(step!.liquidatorRewardQuote).toBe(49_920_000n);
    expect(step!.insuranceFeeQuote).toBe(132_238_080n);
    // The step reaches the target (equity 14.84192 ≥ 0.004 × 52,000 × 7 % = 14.56): out of liquidation.
    expect(step!.liquidationStartMs).toBeUndefined();
    expect(e.state.liquidationStartMs?.size ?? 0).toBe(0);
  });

  it('the liquidator fee ramps for a scope that stays in liquidation past the grace period', () => {
    // A window cap keeps the first step short of the target, so the scope stays in liquidation.
    const { e, events } = account(DRIFT, { maxAccountNotionalPerWindow: '1000', windowMs: 60_000 });
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 3 });
    const [first] = completed(events);
    expect(first!.closedQty9).toBe(19_000_000n); // ⌊1,000 / 52,000⌋ at the 0.001 step
    expect(first!.liquidationStartMs).toBe(3);
    expect(first!.liquidatorRewardQuote).toBe(9_880_000n); // 988 × 1 %
    // 2,500 slots of 400 ms later: the fee is 1 % + 2,500 × 0.0001 % = 1.25 % (Drift's ramp).
    const t = 3 + 2_500 * 400;
    e.executeOrThrow({ type: 'prices', timeMs: t, marks: { 'BTC-PERP': '52000' } });
    const f = evaluate(e.state, crossView(e.state.subaccounts.get('alice/0')!));
    const size = position(e);
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: t });
    const second = completed(events)[1]!;
    const fee = driftLiquidationFee(10_000n, 50_000n, 0n, 2_500n);
    expect(fee).toBe(12_500n);
    const closedValue = (second.closedQty9 * 52_000n) / 1_000n; // qty9 × price → 6-dp quote
    expect(second.liquidatorRewardQuote).toBe((closedValue * fee + 999_999n) / 1_000_000n);
    // The IF fee is Drift's on the shortage at the time of the second step.
    const notional = (size * 52_000n) / 1_000n;
    const shortage = f.maintenanceMarginQuote + (notional * 2n) / 100n - f.equityQuote;
    const ifFee = driftPerpIfFee({
      shortageQuote: shortage,
      baseAssetAmount1e9: size,
      marginRatio1e4: 700n,
      liquidatorFee1e6: fee,
      oraclePrice1e6: 52_000n * U,
      quotePrice1e6: U,
      maxIfFee1e6: 50_000n,
    });
    expect(second.insuranceFeeQuote).toBe((closedValue * ifFee + 999_999n) / 1_000_000n);
  });

  it('bad configuration is refused with a typed error', () => {
    const cfg = (penalty: Record<string, unknown>) =>
      EngineConfigSchema.safeParse({
        settlementAsset: 'USDC',
        assets: [{ id: 'USDC', decimals: 6 }],
        liquidation: { penalty },
      }).success;
    expect(cfg(DRIFT)).toBe(true);
    expect(cfg({ ...DRIFT, maxLiquidatorFee: '0.005' })).toBe(false); // max below the base
    expect(cfg({ ...DRIFT, liquidatorFee: '-0.01' })).toBe(false);
    expect(cfg({ ...DRIFT, slotMs: 0 })).toBe(false);
    const e = newVenue();
    const before = e.stateHash();
    const r = e.execute({
      type: 'set_policy',
      liquidation: { penalty: { ...DRIFT, maxInsuranceFee: '2' } },
    } as never);
    expect(r.ok).toBe(false);
    expect(e.stateHash()).toBe(before);
  });
});

describe('the drift-v2 preset executes the fees', () => {
  it('a SOL-PERP liquidation on the preset: liquidator fee 1 %, IF fee = Drift’s implied fee (capped at 1 %)', () => {
    const e = Engine.create({ ...driftConfig(), backstop: { account: 'backstop' } });
    expect(e.state.policy.penalty.kind).toBe('drift');
    e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'SOL-PERP': '100' } });
    e.executeOrThrow({ type: 'deposit', to: ref('backstop'), asset: 'USDC', amount: '1000000' });
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '200' });
    e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'USDC', amount: '100000' });
    e.executeOrThrow({
      type: 'fill',
      market: 'SOL-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '10',
      price: '100',
    });
    e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'SOL-PERP': '84' } });
    const f = evaluate(e.state, crossView(e.state.subaccounts.get('alice/0')!));
    // equity = 200 − 1 (taker 0.1 %) − 160 = 39 < MM = 840 × 5 % = 42.
    expect(f.equityQuote).toBe(39n * U);
    expect(f.maintenanceMarginQuote).toBe(42n * U);
    const events: EngineEvent[] = [];
    e.onEvents((evs) => events.push(...evs));
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 });
    const [step] = completed(events);
    // Drift's IF fee on the shortage MM + 2 % × 840 − 39 = 19.8: (7 % − 1 % − 19.8 / 840) × 95 % →
    // 34,628 ppm, capped at the preset's 1 %.
    const ifFee = driftPerpIfFee({
      shortageQuote: 19_800_000n,
      baseAssetAmount1e9: 10_000_000_000n,
      marginRatio1e4: 700n,
      liquidatorFee1e6: 10_000n,
      oraclePrice1e6: 84n * U,
      quotePrice1e6: U,
      maxIfFee1e6: 10_000n,
    });
    expect(ifFee).toBe(10_000n);
    // Size: 19.8 / (84 × (7 % − 1 % − 1 %)) = 4.714… SOL → 4.72 at the 0.01 step.
    expect(step!.closedQty9).toBe(4_720_000_000n);
    const closedValue = 396_480_000n; // 4.72 × 84
    expect(step!.liquidatorRewardQuote).toBe(closedValue / 100n); // 1 %: 3.9648
    expect(step!.insuranceFeeQuote).toBe(closedValue / 100n);
  });
});
