/**
 * Drift v2 spot liquidation through the engine (policy `spotLiquidation: { kind: 'drift' }`,
 * drift-spot.ts). Golden numbers: Drift protocol-v2's Rust tests of
 * calculate_liability_transfer_to_cover_margin_shortage (math/liquidation/tests.rs, in
 * test/vectors/drift_v2_liquidation_margin.json and drift_v2_bankruptcy.json): a $10 shortage,
 * asset weight 0.8, liability weight 1.2, a 9-decimal liability at $100. The engine account is
 * built by hand so that its shortage is exactly those $10 (derivation in `account`).
 */
import { describe, expect, it } from 'vitest';
import { ref } from '../../../../test/support/fixtures.ts';
import bankruptcy from '../../../../test/vectors/drift_v2_bankruptcy.json' with { type: 'json' };
import liq from '../../../../test/vectors/drift_v2_liquidation_margin.json' with { type: 'json' };
import { crossView, evaluate } from '../../account/figures.ts';
import { driftConfig } from '../../presets/drift-v2.ts';
import { driftLiabilityTransferToCoverMarginShortage } from '../../reference/drift-v2.ts';
import { Engine } from '../engine.ts';
import { planDriftSpotBankruptcy } from './drift-spot.ts';

const U = 1_000_000n;

interface Fees {
  readonly assetFee: string;
  readonly liabilityDiscount: string;
  readonly ifFee: string;
}

/**
 * ETH (maintenance weight 0.8, initial 0.7) against a SOL borrow (maintenance 1.2, initial 1.3),
 * on the drift-v2 arithmetic. 10 ETH at $100, 5 SOL borrowed at $100 (initial 650 ≤ 700), then
 * ETH falls to $73.75: total collateral 10 × 73.75 × 0.8 = 590, requirement 5 × 100 × 1.2 = 600,
 * shortage $10 — the Rust tests' marginShortage.
 */
function account(f: Fees): Engine {
  const base = driftConfig();
  const e = Engine.create({
    ...base,
    assets: [
      { id: 'USDC', decimals: 6 },
      { id: 'ETH', decimals: 9, initialWeight: '0.7', maintenanceWeight: '0.8' },
      { id: 'SOL', decimals: 9, liabilityWeight: { initial: '1.3', maintenance: '1.2' } },
    ],
    markets: [],
    liquidation: {
      ...base.liquidation,
      penalty: {
        kind: 'drift',
        liquidatorFee: f.assetFee,
        maxLiquidatorFee: '0.5',
        maxInsuranceFee: '0.01',
      },
      spotLiquidation: { kind: 'drift', ifLiquidationFee: f.ifFee, liabilityDiscount: f.liabilityDiscount },
    },
  });
  e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { ETH: '100', SOL: '100' } });
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'ETH', amount: '10' });
  e.executeOrThrow({ type: 'deposit', to: ref('liq'), asset: 'USDC', amount: '100000' });
  e.executeOrThrow({ type: 'borrow', subaccount: ref('alice'), asset: 'SOL', amount: '5', timeMs: 2 });
  e.executeOrThrow({ type: 'prices', timeMs: 3, assets: { ETH: '73.75', SOL: '100' } });
  return e;
}

const bal = (e: Engine, sub: string, asset: string) =>
  e.state.subaccounts.get(sub)!.balances.get(asset) ?? 0n;
const insurance = (e: Engine, asset: string) => e.state.insurance.get(asset) ?? 0n;
const figures = (e: Engine) => evaluate(e.state, crossView(e.state.subaccounts.get('alice/0')!));

const cases = [
  ...liq.cases.filter((c) => c.group === 'calculate_liability_transfer_to_cover_margin_shortage'),
  ...bankruptcy.cases.filter((c) => c.group === 'calculate_liability_transfer_to_cover_margin_shortage'),
];

describe('Drift spot liquidation on the engine = calculate_liability_transfer_to_cover_margin_shortage', () => {
  it('has the four Rust cases', () => expect(cases.length).toBe(4));

  it('the hand-built account is $10 short and listed as liquidatable', () => {
    const e = account({ assetFee: '0', liabilityDiscount: '0', ifFee: '0' });
    const f = figures(e);
    expect(f.maintenanceMarginQuote - f.equityQuote).toBe(10n * U);
    expect(e.liquidatable().map((c) => c.ref.account)).toEqual(['alice']);
  });

  it.each(cases)('$name: the engine transfers the Rust test’s liability, conserving every asset', (c) => {
    const i = c.inputs;
    const assetFee = (Number(i.assetLiquidationMultiplier_1e6) - 1_000_000) / 1e6;
    const discount = (1_000_000 - Number(i.liabilityLiquidationMultiplier_1e6)) / 1e6;
    const ifFee = Number(i.ifLiquidationFee_1e6) / 1e6;
    const e = account({
      assetFee: String(assetFee),
      liabilityDiscount: String(discount),
      ifFee: String(ifFee),
    });
    const totalsBefore = ['ETH', 'SOL', 'USDC'].map((a) => total(e, a));
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), liquidator: ref('liq'), timeMs: 4 });
    const T = BigInt(c.expected.liabilityTransfer_tokenUnits!);
    // The liquidator took over T SOL; the borrow fell by T less the IF fee (⌊T × ifFee⌋, hand).
    const fee = (T * BigInt(i.ifLiquidationFee_1e6!)) / U;
    expect(bal(e, 'liq/0', 'SOL')).toBe(-T);
    expect(insurance(e, 'SOL')).toBe(fee);
    expect(bal(e, 'alice/0', 'SOL')).toBe(-5_000_000_000n + T - fee);
    // Collateral at the premium: T × $100 × (1 + fee) / (1 − discount) / $73.75, floored.
    const asset =
      (T * 100_000_000n * BigInt(i.assetLiquidationMultiplier_1e6!)) /
      (BigInt(i.liabilityLiquidationMultiplier_1e6!) * 73_750_000n);
    expect(bal(e, 'liq/0', 'ETH')).toBe(asset);
    expect(bal(e, 'alice/0', 'ETH')).toBe(10_000_000_000n - asset);
    // INV-01: every asset conserved.
    expect(['ETH', 'SOL', 'USDC'].map((a) => total(e, a))).toEqual(totalsBefore);
    // The freed margin covers the shortage up to Drift's own floors: T itself, and (with fees)
    // ⌊assetW × 10 × assetMult / liabMult⌋ = 97,777 for 97,777.7…, which frees 0.44998 SOL ×
    // $100 × 0.00000777… × … less: by hand 44.998425 × (1.2 − 0.8 × 1.1/0.9) = 9.99965, so
    // $0.00035 short (0.00037 with the IF fee); without fees within one unit.
    const f = figures(e);
    const left = f.maintenanceMarginQuote - f.equityQuote;
    expect(left).toBeLessThanOrEqual(i.assetLiquidationMultiplier_1e6 === 1_000_000 ? 1n : 400n);
    expect(left).toBeGreaterThanOrEqual(0n);
  });

  it('equal asset and liability weights transfer the whole borrow (Drift: u128::MAX)', () => {
    expect(
      driftLiabilityTransferToCoverMarginShortage({
        shortageQuote: 1n,
        assetWeight1e4: 10_000n,
        assetLiquidationMultiplier1e6: U,
        liabilityWeight1e4: 10_000n,
        liabilityLiquidationMultiplier1e6: U,
        liabilityDecimals: 9,
        liabilityPrice1e6: U,
        ifLiquidationFee1e6: 0n,
      }),
    ).toBeNull();
  });

  it('collateral runs out: all of it goes, the liability is sized from it', () => {
    const e = account({ assetFee: '0.1', liabilityDiscount: '0', ifFee: '0' });
    // ETH to $60: collateral 480 < 600 × …; the sizing asks for more ETH than the 10 held.
    e.executeOrThrow({ type: 'prices', timeMs: 4, assets: { ETH: '55', SOL: '100' } });
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), liquidator: ref('liq'), timeMs: 5 });
    expect(bal(e, 'alice/0', 'ETH')).toBe(0n);
    // T = ⌊10 ETH × $55 / 1.1 / $100⌋ = 5 SOL: the whole borrow (hand).
    expect(bal(e, 'liq/0', 'SOL')).toBe(-5_000_000_000n);
    expect(bal(e, 'alice/0', 'SOL')).toBe(0n);
  });

  it('bad input: a debt or collateral the scope does not hold, debtToCover, a short liquidator — typed, nothing changed', () => {
    const e = account({ assetFee: '0.01', liabilityDiscount: '0', ifFee: '0.01' });
    const before = JSON.stringify(
      [...e.state.subaccounts.values()].map((s) => [...s.balances]),
      big,
    );
    const code = (cmd: Parameters<Engine['execute']>[0]) => {
      const r = e.execute(cmd);
      return r.ok ? 'accepted' : r.rejection.code;
    };
    const liq0 = { type: 'liquidate', subaccount: ref('alice'), liquidator: ref('liq'), timeMs: 4 } as const;
    expect(code({ ...liq0, debtAsset: 'USDC' })).toBe('INSUFFICIENT_BALANCE');
    expect(code({ ...liq0, collateralAsset: 'SOL' })).toBe('INSUFFICIENT_BALANCE');
    expect(code({ ...liq0, debtAsset: 'NOPE' })).toBe('UNKNOWN_ASSET');
    expect(code({ ...liq0, debtToCover: '1' })).toBe('MALFORMED_COMMAND');
    e.executeOrThrow({ type: 'deposit', to: ref('poor'), asset: 'USDC', amount: '1' });
    expect(code({ ...liq0, liquidator: ref('poor') })).toBe('LIQUIDATOR_INSUFFICIENT_MARGIN');
    expect(
      JSON.stringify(
        [...e.state.subaccounts.values()].filter((s) => s.ref.account !== 'poor').map((s) => [...s.balances]),
        big,
      ),
    ).toBe(before);
  });
});

function big(_k: string, v: unknown) {
  return typeof v === 'bigint' ? v.toString() : v;
}

function total(e: Engine, asset: string): bigint {
  let t = e.state.insurance.get(asset) ?? 0n;
  for (const s of e.state.subaccounts.values()) t += s.balances.get(asset) ?? 0n;
  return t;
}

/**
 * resolve_spot_bankruptcy: Drift's Rust test `non_zero_total_deposits` (11 tokens of 6 decimals
 * owed, cumulative deposit interest 1e10, 120 tokens deposited → δ = 916,666,667) through the
 * engine. Alice borrows 16 TKN ($1, liability weights 1.3 / 1.2) against 10 ETH; ETH falls to
 * $0.50 and a first step takes all 10 ETH for ⌊10 × 0.5 / 1⌋ = 5 TKN of liability (fees 0), so
 * 11 TKN are left with no collateral; Bob (100) and Carol (20) hold the 120 deposited.
 */
function bankruptAccount(): Engine {
  const base = driftConfig();
  const e = Engine.create({
    ...base,
    assets: [
      { id: 'USDC', decimals: 6 },
      { id: 'ETH', decimals: 9, initialWeight: '0.7', maintenanceWeight: '0.8' },
      { id: 'TKN', decimals: 6, liabilityWeight: { initial: '1.3', maintenance: '1.2' } },
    ],
    markets: [],
    // A crash of 99.5 % in one update (the default guard refuses moves over 50 %).
    guards: { maxPriceMove: '1' },
    liquidation: {
      ...base.liquidation,
      penalty: { kind: 'drift', liquidatorFee: '0', maxLiquidatorFee: '0.05', maxInsuranceFee: '0.01' },
      spotLiquidation: { kind: 'drift', ifLiquidationFee: '0' },
    },
  });
  e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { ETH: '100', TKN: '1' } });
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'ETH', amount: '10' });
  e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'TKN', amount: '100' });
  e.executeOrThrow({ type: 'deposit', to: ref('carol'), asset: 'TKN', amount: '20' });
  e.executeOrThrow({ type: 'deposit', to: ref('liq'), asset: 'USDC', amount: '1000' });
  e.executeOrThrow({ type: 'borrow', subaccount: ref('alice'), asset: 'TKN', amount: '16', timeMs: 2 });
  e.executeOrThrow({ type: 'prices', timeMs: 3, assets: { ETH: '0.5', TKN: '1' } });
  e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), liquidator: ref('liq'), timeMs: 4 });
  return e;
}

describe('Drift spot bankruptcy on the engine = calculate_cumulative_deposit_interest_delta_to_resolve_bankruptcy', () => {
  const vector = bankruptcy.cases.find((c) => c.name === 'non_zero_total_deposits')!;

  it('the first step takes all the collateral and leaves 11 TKN owed', () => {
    const e = bankruptAccount();
    expect(bal(e, 'alice/0', 'ETH')).toBe(0n);
    expect(bal(e, 'alice/0', 'TKN')).toBe(-BigInt(vector.inputs.borrow_tokenUnits!));
    expect(e.liquidatable().map((c) => c.ref.account)).toEqual(['alice']);
  });

  it('the second step socializes the 11 TKN through the deposit index: δ = the Rust test’s', () => {
    const e = bankruptAccount();
    const sub = e.state.subaccounts.get('alice/0')!;
    const plan = planDriftSpotBankruptcy(e.state, sub)!;
    expect(plan.depositInterest1e10).toBe(BigInt(vector.inputs.cumulativeDepositInterest_1e10!));
    expect(plan.delta1e10).toBe(BigInt(vector.expected.delta_1e10!));
    const totals = ['ETH', 'TKN', 'USDC'].map((a) => total(e, a));
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), liquidator: ref('liq'), timeMs: 5 });
    // By hand: Bob ⌊100e6 × 9,083,333,333 / 1e10⌋ = 90,833,333, Carol ⌊20e6 × …⌋ = 18,166,666;
    // they pay 9,166,667 + 1,833,334 = 11,000,001: the borrow and 1 unit of rounding to the fund.
    expect(bal(e, 'bob/0', 'TKN')).toBe(90_833_333n);
    expect(bal(e, 'carol/0', 'TKN')).toBe(18_166_666n);
    expect(bal(e, 'alice/0', 'TKN')).toBe(0n);
    expect(insurance(e, 'TKN')).toBe(1n);
    expect(['ETH', 'TKN', 'USDC'].map((a) => total(e, a))).toEqual(totals);
    expect(e.liquidatable()).toEqual([]);
  });

  it('the insurance fund pays first; only the rest is socialized', () => {
    const e = bankruptAccount();
    // Dan funds the insurance fund with 11 TKN less 1 unit: 0.000001 TKN is left to socialize,
    // δ = ⌈1e10 × 1 / 120e6⌉ = 84 (by hand); Bob and Carol each pay ⌈balance × 84 / 1e10⌉ = 1 unit.
    e.executeOrThrow({ type: 'deposit', to: ref('dan'), asset: 'TKN', amount: '10.999999' });
    e.executeOrThrow({ type: 'fund_insurance', from: ref('dan'), asset: 'TKN', amount: '10.999999' });
    const plan = planDriftSpotBankruptcy(e.state, e.state.subaccounts.get('alice/0')!)!;
    expect(plan.insuranceCover).toBe(10_999_999n);
    expect(plan.delta1e10).toBe(84n);
    const totals = ['ETH', 'TKN', 'USDC'].map((a) => total(e, a));
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), liquidator: ref('liq'), timeMs: 5 });
    expect(bal(e, 'alice/0', 'TKN')).toBe(0n);
    expect(bal(e, 'bob/0', 'TKN')).toBe(99_999_999n);
    expect(bal(e, 'carol/0', 'TKN')).toBe(19_999_999n);
    expect(insurance(e, 'TKN')).toBe(1n);
    expect(['ETH', 'TKN', 'USDC'].map((a) => total(e, a))).toEqual(totals);
  });

  it('a debt larger than all deposits goes to the waterfall, as before', () => {
    const e = bankruptAccount();
    e.executeOrThrow({ type: 'withdraw', from: ref('bob'), asset: 'TKN', amount: '100' });
    e.executeOrThrow({ type: 'withdraw', from: ref('carol'), asset: 'TKN', amount: '10' });
    // 10 TKN deposited against 11 owed: depositors cannot cover it.
    expect(planDriftSpotBankruptcy(e.state, e.state.subaccounts.get('alice/0')!)).toBeUndefined();
  });
});
