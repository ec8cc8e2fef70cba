/**
 * The engine executes Aave v3.3's liquidation on the aave-v3 preset (policy `lending`,
 * engine/liquidation/lending.ts): `borrow` opens a debt (a negative USDC balance) within the LTV,
 * Engine.liquidatable() lists the position-less scope once HF < 1 (equity < 0), and a `liquidate`
 * step repays debt up to the close factor from the liquidator for collateral + bonus, the protocol's
 * share of the bonus to the insurance fund (treasury). Checked against:
 *  - the amounts of the preset's `liquidationCall` (LiquidationLogic's rounding) and by hand below;
 *  - the v3.3 close-factor rules of test/vectors/aave_v3_health_factor.json (50%; 100% at HF ≤ 0.95
 *    or below $2,000) (aave-dao/aave-v3-origin docs/3.3/Aave-v3.3-features.md);
 *  - Aave's docs example (test/vectors/aave_v3_docs.json: collateral 10,000, LT 80%, debt 6,000 →
 *    HF 1.333, liquidatable once the collateral price falls to 75%);
 *  - v3.3's dust rule (MIN_LEFTOVER_BASE: all the debt, all the collateral, or ≥ $1,000 of both left),
 *    cases by hand;
 * and INV-01 (every asset conserved) and INV-02 (journal replay) after every step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { healthFactor } from '../../src/core/collateral/health-factor.ts';
import { Engine } from '../../src/core/engine/engine.ts';
import type { Sequenced } from '../../src/core/engine/events.ts';
import { formatDecimal, PRICE_DECIMALS, parseDecimalUnsafe } from '../../src/core/num/index.ts';
import { AAVE_V3_EXAMPLE_RESERVES, aaveConfig, maxCloseFactorBps } from '../../src/core/presets/aave-v3.ts';
import { liquidationCall, percentMul } from '../../src/core/reference/aave-v3.ts';
import { InMemoryJournal } from '../../src/store/memory-journal.ts';
import { assertConserved } from '../support/conservation.ts';
import docs from '../vectors/aave_v3_docs.json' with { type: 'json' };

const ref = (account: string) => ({ account, sub: '0' });
const E18 = 10n ** 18n;
const U = 10n ** 6n;

const journals = new WeakMap<Engine, InMemoryJournal>();

/** borrower: `weth` WETH at `price`, borrows `debt` USDC; liquidator: 1,000,000 USDC. */
function world(weth: string, price: string, debt: string, config = aaveConfig()) {
  const journal = new InMemoryJournal();
  const engine = Engine.create(config, { journal });
  journals.set(engine, journal);
  const wbtc = engine.state.assets.has('WBTC') ? { WBTC: '60000' } : {};
  engine.executeOrThrow({ type: 'prices', timeMs: 1, assets: { WETH: price, ...wbtc } });
  engine.executeOrThrow({ type: 'deposit', to: ref('borrower'), asset: 'WETH', amount: weth });
  engine.executeOrThrow({ type: 'deposit', to: ref('liquidator'), asset: 'USDC', amount: '1000000' });
  engine.executeOrThrow({ type: 'borrow', subaccount: ref('borrower'), amount: debt, timeMs: 2 });
  return engine;
}
const bal = (e: Engine, who: string, asset: string) =>
  e.state.subaccounts.get(`${who}/0`)?.balances.get(asset) ?? 0n;
const setPrice = (e: Engine, price: string, timeMs = 3) =>
  e.executeOrThrow({ type: 'prices', timeMs, assets: { WETH: price } });

/** INV-01 for every asset: Σ balances (− entry values, + margins) + insurance (+ fee pool, socialized) = deposits. */
function conserved(e: Engine): void {
  assertConserved(e.state);
  // INV-02: the journal (borrow, debt_repaid, collateral_seized, liquidation_fee events) replays to the same state.
  const journal = journals.get(e);
  if (journal) expect(Engine.open(journal).stateHash(), 'INV-02').toBe(e.stateHash());
}

const WETH = AAVE_V3_EXAMPLE_RESERVES[0]!;
const callFor = (debtToCover: bigint, pricePx8: bigint, balance: bigint) =>
  liquidationCall({
    debtToCover,
    debtPrice: 10n ** 8n,
    collateralPrice: pricePx8,
    debtDecimals: 6,
    collateralDecimals: 18,
    userCollateralBalance: balance,
    liquidationBonusBps: BigInt(WETH.liquidationBonusBps),
    liquidationProtocolFeeBps: BigInt(WETH.liquidationProtocolFeeBps),
  });

describe('aave-v3 on the engine: borrow, liquidatable(), liquidate', () => {
  it('close factor 50% (HF 0.968 > 0.95, $7,000 ≥ $2,000): by hand and = liquidationCall', () => {
    // 5 WETH @ 2,000 (LTV 80.5% → may borrow 8,050), borrow 6,000. At 1,400: HF = 7,000 × 0.83 / 6,000 = 0.968.
    const e = world('5', '2000', '6000');
    expect(e.liquidatable()).toEqual([]);
    setPrice(e, '1400');
    expect(e.liquidatable()).toEqual([{ ref: ref('borrower'), scope: { kind: 'cross' } }]);
    const evs = e.executeOrThrow({
      type: 'liquidate',
      subaccount: ref('borrower'),
      liquidator: ref('liquidator'),
    });
    // repay 50% = 3,000 USDC; base = 3,000 / 1,400 = 2.142857142857142857 WETH; × 1.05 half up = 2.25;
    // bonus = 2.25 − percentDiv(2.25, 1.05) = 2.25 − 2.142857142857142857 = 0.107142857142857143;
    // protocol fee = 10% of it, half up = 0.010714285714285714; liquidator 2.239285714285714286.
    expect(bal(e, 'borrower', 'USDC')).toBe(-3_000n * U);
    expect(bal(e, 'liquidator', 'USDC')).toBe(997_000n * U);
    expect(bal(e, 'liquidator', 'WETH')).toBe(2_239_285_714_285_714_286n);
    expect(e.state.insurance.get('WETH')).toBe(10_714_285_714_285_714n);
    expect(bal(e, 'borrower', 'WETH')).toBe(5n * E18 - 2_250_000_000_000_000_000n);
    expect(callFor(3_000n * U, 1_400n * 10n ** 8n, 5n * E18)).toEqual({
      collateralToLiquidator: 2_239_285_714_285_714_286n,
      debtRepaid: 3_000n * U,
      protocolFee: 10_714_285_714_285_714n,
    });
    const reasons = evs.filter((x) => x.type === 'moved').map((x) => (x as { reason: string }).reason);
    expect(reasons).toEqual(['debt_repaid', 'collateral_seized', 'liquidation_fee']);
    conserved(e);
    // HF after = 2.75 × 1,400 × 0.83 / 3,000 = 1.065: healthy again.
    expect(e.liquidatable()).toEqual([]);
  });

  it('close factor 100% at HF ≤ 0.95: the whole debt is repaid', () => {
    // At 1,300: HF = 6,500 × 0.83 / 6,000 = 0.899 → 100%: base 6,000 / 1,300 = 4.615384615384615384, × 1.05.
    const e = world('5', '2000', '6000');
    setPrice(e, '1300');
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('borrower'), liquidator: ref('liquidator') });
    const r = callFor(6_000n * U, 1_300n * 10n ** 8n, 5n * E18);
    expect(r.debtRepaid).toBe(6_000n * U);
    expect(bal(e, 'borrower', 'USDC')).toBe(0n);
    expect(bal(e, 'liquidator', 'WETH')).toBe(r.collateralToLiquidator);
    expect(e.state.insurance.get('WETH')).toBe(r.protocolFee);
    expect(r.collateralToLiquidator + r.protocolFee).toBe(4_846_153_846_153_846_153n); // percentMul(base, 10500)
    conserved(e);
  });

  it('close factor 100% below $2,000 of debt (v3.3), even at HF 0.968', () => {
    const e = world('0.5', '2000', '600');
    setPrice(e, '1400'); // HF = 700 × 0.83 / 600 = 0.968
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('borrower'), liquidator: ref('liquidator') });
    expect(bal(e, 'borrower', 'USDC')).toBe(0n);
    conserved(e);
  });

  it('collateral runs out: all of it is seized, the debt repaid shrinks; the rest goes to the waterfall', () => {
    // At 1,100: HF 0.76 → 100%; base 6,000 / 1,100 × 1.05 > 5 WETH → all 5 WETH,
    // debt repaid = percentDiv(5 × 1,100 = 5,500, 1.05) = 5,238.095238 USDC.
    const e = world('5', '2000', '6000');
    setPrice(e, '1100');
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('borrower'), liquidator: ref('liquidator') });
    expect(bal(e, 'borrower', 'WETH')).toBe(0n);
    expect(bal(e, 'borrower', 'USDC')).toBe(-(6_000n * U - 5_238_095_238n));
    expect(callFor(6_000n * U, 1_100n * 10n ** 8n, 5n * E18).debtRepaid).toBe(5_238_095_238n);
    conserved(e);
    // Debt with no collateral: still listed; the next step is the waterfall (no insurance: socialized).
    expect(e.liquidatable().length).toBe(1);
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('borrower'), liquidator: ref('liquidator') });
    expect(bal(e, 'borrower', 'USDC')).toBe(0n);
    expect(e.state.socializedLedger).toBe(-761_904_762n);
    conserved(e);
    expect(e.liquidatable()).toEqual([]);
  });

  it(`${docs.cases[0]!.name}: HF 1.333 is not liquidatable; at 75% of the price it is`, () => {
    const c = docs.cases[0]!;
    // One collateral with LT 80% (LTV 80%), 5 units @ 2,000 = 10,000; debt 6,000.
    const config = aaveConfig([
      { ...WETH, ltvBps: 8000, liquidationThresholdBps: Number(c.inputs.liquidationThreshold) * 10_000 },
    ]);
    const e = world('5', '2000', String(c.inputs.debtUsd), config);
    const r = e.execute({ type: 'liquidate', subaccount: ref('borrower'), liquidator: ref('liquidator') });
    expect(r.ok ? undefined : r.rejection.code).toBe('NOT_LIQUIDATABLE');
    // 0.75 × 2,000 = 1,500: 7,500 × 0.8 = 6,000 = debt → HF = 1, not liquidatable; one unit lower it is.
    expect(Number(c.expected.liquidationPriceShareOfCurrent_derived)).toBe(0.75);
    setPrice(e, '1500');
    expect(e.liquidatable()).toEqual([]);
    setPrice(e, '1499.99999999', 4);
    expect(e.liquidatable().length).toBe(1);
  });

  it('refusals change nothing: borrowing past the LTV, borrowing without the lending policy, a poor liquidator', () => {
    const e = world('5', '2000', '6000');
    const hash = e.stateHash();
    const over = e.execute({ type: 'borrow', subaccount: ref('borrower'), amount: '2050.000001', timeMs: 3 });
    expect(over.ok ? undefined : over.rejection.code).toBe('INSUFFICIENT_MARGIN'); // 8,050 − 6,000 = 2,050 left
    expect(e.stateHash()).toBe(hash);
    e.executeOrThrow({ type: 'borrow', subaccount: ref('borrower'), amount: '2050', timeMs: 3 }); // exactly the LTV
    setPrice(e, '1400');
    e.executeOrThrow({ type: 'deposit', to: ref('poor'), asset: 'USDC', amount: '100' });
    const h3 = e.stateHash();
    const poor = e.execute({ type: 'liquidate', subaccount: ref('borrower'), liquidator: ref('poor') });
    expect(poor.ok ? undefined : poor.rejection.code).toBe('INSUFFICIENT_BALANCE');
    expect(e.stateHash()).toBe(h3);
    const wrong = e.execute({
      type: 'liquidate',
      subaccount: ref('borrower'),
      liquidator: ref('liquidator'),
      collateralAsset: 'WBTC',
    });
    expect(wrong.ok ? undefined : wrong.rejection.code).toBe('INSUFFICIENT_BALANCE');
    expect(e.stateHash()).toBe(h3);
    const perps = Engine.create({ ...aaveConfig(), liquidation: {} });
    perps.executeOrThrow({ type: 'deposit', to: ref('x'), asset: 'USDC', amount: '1' });
    const no = perps.execute({ type: 'borrow', subaccount: ref('x'), amount: '1' });
    expect(no.ok ? undefined : no.rejection.code).toBe('MALFORMED_COMMAND');
  });

  it('random loans: the step moves exactly liquidationCall’s amounts and conserves every asset (INV-01)', () => {
    let steps = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200_000 }), // WETH in 1e-3
        fc.integer({ min: 5_000, max: 10_000 }), // borrowed share of the LTV cap, 1e-4
        fc.integer({ min: 5_000, max: 9_500 }), // price drop: new price = 2,000 × x / 1e4
        (wethMilli, borrowShare, drop) => {
          const weth = formatDecimal(BigInt(wethMilli), 3);
          const capacity = (BigInt(wethMilli) * 2_000n * 805n) / 1_000n; // USDC units × 1e3 … in 1e-3 USDC
          const debtMilli = (capacity * BigInt(borrowShare)) / 10_000n;
          if (debtMilli <= 0n) return;
          const e = world(weth, '2000', formatDecimal(debtMilli, 3));
          const pricePx8 = (2_000n * 10n ** 8n * BigInt(drop)) / 10_000n;
          setPrice(e, formatDecimal(pricePx8, PRICE_DECIMALS));
          if (e.liquidatable().length === 0) return;
          const debtBefore = -bal(e, 'borrower', 'USDC');
          const wethBefore = bal(e, 'borrower', 'WETH');
          const evs: Sequenced[] = e.executeOrThrow({
            type: 'liquidate',
            subaccount: ref('borrower'),
            liquidator: ref('liquidator'),
          });
          expect(evs[0]!.type).toBe('liquidation_started');
          const repaid = debtBefore + bal(e, 'borrower', 'USDC');
          // Close factor by the preset's maxCloseFactorBps (v3.3), HF from the collateral at LT 83%.
          const value = (wethBefore * pricePx8) / 10n ** 20n;
          const hf = healthFactor([{ valueQuote: value, liquidationThresholdPpm: 830_000n }], debtBefore);
          const cf = maxCloseFactorBps(hf, value * 100n, debtBefore * 100n)!;
          const toCover = cf === 10_000n ? debtBefore : percentMul(debtBefore, cf);
          const r = callFor(toCover, pricePx8, wethBefore);
          expect(repaid).toBe(r.debtRepaid);
          expect(bal(e, 'liquidator', 'WETH')).toBe(r.collateralToLiquidator);
          expect(e.state.insurance.get('WETH') ?? 0n).toBe(r.protocolFee);
          conserved(e);
          steps++;
        },
      ),
      { numRuns: 60 },
    );
    expect(steps).toBeGreaterThan(10);
  });
});

describe('aave-v3 preset: the lending policy and the reserves’ bonus and protocol fee', () => {
  it('configures lending with v3.3’s close factor, $1,000 leftover, and WETH’s 5% bonus, 10% protocol fee', () => {
    const e = Engine.create(aaveConfig());
    expect(e.state.policy.lending).toEqual({
      closeFactor: 500_000n,
      fullCloseBelowHealthFactor: 950_000n,
      fullCloseBelowValue: '2000',
      minLeftoverValue: '1000',
    });
    const weth = e.state.assets.get('WETH')!;
    expect(weth.liquidationBonus).toBe(50_000n);
    expect(weth.liquidationProtocolFee).toBe(100_000n);
    expect(parseDecimalUnsafe('1', 6)).toBe(U);
  });
});

describe('aave-v3 v3.3 dust rule (MIN_LEFTOVER_BASE $1,000) on the engine', () => {
  // aave-dao/aave-v3-origin LiquidationLogic.executeLiquidationCall: "to prevent accumulation of
  // dust on the protocol, it is enforced that you either 1. liquidate all debt 2. liquidate all
  // collateral 3. leave more than MIN_LEFTOVER_BASE of collateral & debt" (MustNotLeaveDust).
  const liquidate = (e: Engine, debtToCover?: string) =>
    e.execute({
      type: 'liquidate',
      subaccount: ref('borrower'),
      liquidator: ref('liquidator'),
      ...(debtToCover === undefined ? {} : { debtToCover }),
    });
  const refusedWithDust = (e: Engine, debtToCover: string) => {
    const hash = e.stateHash();
    const r = liquidate(e, debtToCover);
    expect(r.ok ? 'ok' : r.rejection.code, debtToCover).toBe('LIQUIDATION_LEAVES_DUST');
    expect(e.stateHash()).toBe(hash);
  };

  it('debt left below $1,000 is refused; exactly $1,000 passes; repaying all of it passes', () => {
    // 5 WETH at 1,300 against 6,000: HF = 6,500 × 0.83 / 6,000 = 0.899 ≤ 0.95 → close factor 100%.
    const e = world('5', '2000', '6000');
    setPrice(e, '1300');
    refusedWithDust(e, '5100'); // 900 of debt left
    refusedWithDust(e, '5999.999999');
    // 5,000: debt left 1,000; collateral 5,000 / 1,300 × 1.05 = 4.038461538461538462 WETH seized,
    // 0.961538461538461538 × 1,300 = 1,249.99 left: both at least $1,000.
    expect(liquidate(e, '5000').ok).toBe(true);
    expect(bal(e, 'borrower', 'USDC')).toBe(-1_000n * U);
    conserved(e);
    const all = world('5', '2000', '6000');
    setPrice(all, '1300');
    expect(liquidate(all).ok).toBe(true); // the whole debt (100% close factor)
    expect(bal(all, 'borrower', 'USDC')).toBe(0n);
  });

  it('collateral left below $1,000 is refused although the debt left is above it', () => {
    // 5 WETH at 1,400 against 7,000: HF 0.83. debtToCover 5,800: debt left 1,200, but the collateral
    // seized is 5,800 / 1,400 × 1.05 = 4.35 WETH, leaving 0.65 × 1,400 = $910.
    const e = world('5', '2000', '7000');
    setPrice(e, '1400');
    refusedWithDust(e, '5800');
    // 5,500: seized 4.125, left 0.875 × 1,400 = $1,225; debt left $1,500.
    expect(liquidate(e, '5500').ok).toBe(true);
    expect(bal(e, 'borrower', 'WETH')).toBe(875_000_000_000_000_000n);
    conserved(e);
  });

  it('without the rule (policy minLeftoverValue absent) the same step is taken', () => {
    const config = aaveConfig();
    const lending = { ...config.liquidation!.lending! };
    delete (lending as { minLeftoverValue?: string }).minLeftoverValue;
    const e = world('5', '2000', '7000', { ...config, liquidation: { ...config.liquidation, lending } });
    setPrice(e, '1400');
    expect(liquidate(e, '5800').ok).toBe(true);
    expect(bal(e, 'borrower', 'WETH')).toBe(650_000_000_000_000_000n);
    conserved(e);
  });
});
