/**
 * Aave v3 balance sheets on the engine: debts in several assets (`borrow … asset`, reserves with
 * `borrowable`), liquidationCall(collateral, debt) choosing both (`liquidate … debtAsset,
 * collateralAsset`), and e-mode categories (`eModeCategories`, `set_emode`). Checked against:
 *  - aave-utilities' user summary (test/vectors/aave_v3_health_factor.json,
 *    `user_summary_two_reserves` and `…_emode`): total collateral $40,000 at LTV 50% / LT 60%
 *    against $20,000 of debt → HF 1.2, nothing left to borrow; in e-mode (LTV 60%, LT 70%) → HF
 *    1.4 and $4,000 to borrow. aave-utilities' positions supply and borrow both reserves; the
 *    engine holds one net balance per asset, so the same totals are built as two collateral
 *    reserves against a USDC and a second-asset debt;
 *  - Aave v3.3's "whole position" example (Aave-v3.3-features.md, the same file): debts of 3k
 *    GHO + 3k USDC + 3k DAI, HF below 1 but above 0.95 → one liquidation may repay the full 3k of
 *    one reserve (50% of the TOTAL debt), where pre-3.3 rules allowed 1.5k;
 *  - Aave's `liquidationCall` amounts (the reference in src/core/reference/aave-v3.ts) and
 *    hand-derived amounts for an e-mode liquidation bonus;
 * and typed rejections (EMODE_MISMATCH, INSUFFICIENT_BALANCE, UNKNOWN_ASSET, MALFORMED_COMMAND)
 * leaving the state unchanged; INV-01 and replay after every step.
 */
import { describe, expect, it } from 'vitest';
import { HEALTH_FACTOR_ONE } from '../../src/core/collateral/health-factor.ts';
import { Engine } from '../../src/core/engine/engine.ts';
import { planLendingLiquidation } from '../../src/core/engine/liquidation/lending.ts';
import type { EngineState } from '../../src/core/model/state.ts';
import { type AaveEModeCategory, type AaveReserve, aaveConfig } from '../../src/core/presets/aave-v3.ts';
import { liquidationCall } from '../../src/core/reference/aave-v3.ts';
import { InMemoryJournal } from '../../src/store/memory-journal.ts';
import { assertConserved } from '../support/conservation.ts';
import vectors from '../vectors/aave_v3_health_factor.json' with { type: 'json' };

const ref = (account: string) => ({ account, sub: '0' });
const U = 10n ** 6n;
const E18 = 10n ** 18n;
const code = (r: ReturnType<Engine['execute']>) => (r.ok ? 'accepted' : r.rejection.code);
const vector = (name: string) => vectors.cases.find((c) => c.name === name)!;

const reserve = (id: string, ltvBps: number, ltBps: number, borrowable = false): AaveReserve => ({
  id,
  decimals: 18,
  ltvBps,
  liquidationThresholdBps: ltBps,
  liquidationBonusBps: 10_500,
  liquidationProtocolFeeBps: 1000,
  borrowable,
});

const journals = new WeakMap<Engine, InMemoryJournal>();
function engineOf(reserves: AaveReserve[], eModes: AaveEModeCategory[] = []) {
  const journal = new InMemoryJournal();
  const e = Engine.create(aaveConfig(reserves, { id: 'USDC', decimals: 6 }, eModes), { journal });
  journals.set(e, journal);
  return e;
}
function conserved(e: Engine) {
  assertConserved(e.state);
  expect(Engine.open(journals.get(e)!).stateHash(), 'INV-02').toBe(e.stateHash());
}
const bal = (e: Engine, who: string, asset: string) =>
  e.state.subaccounts.get(`${who}/0`)?.balances.get(asset) ?? 0n;
const hf = (e: Engine, who: string) =>
  planLendingLiquidation(e.state as EngineState, (e.state as EngineState).subaccounts.get(`${who}/0`)!)!
    .healthFactorWad;

/** aave-utilities' totals: 200 CA + 200 CB at $100 (LTV 50%, LT 60%) against 10,000 USDC + 100 DB ($100). */
const STABLE_EMODE: AaveEModeCategory = {
  id: 1,
  label: 'stablecoins',
  ltvBps: 6000,
  liquidationThresholdBps: 7000,
  liquidationBonusBps: 10_100,
  collateral: ['CA', 'CB'],
  borrowable: ['USDC', 'DB'],
};
function summaryWorld() {
  const e = engineOf(
    [
      reserve('CA', 5000, 6000),
      reserve('CB', 5000, 6000),
      reserve('DB', 5000, 6000, true),
      reserve('DC', 5000, 6000, true),
    ],
    [STABLE_EMODE, { ...STABLE_EMODE, id: 2, label: 'USDC only', borrowable: ['USDC'] }],
  );
  e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { CA: '100', CB: '100', DB: '100', DC: '100' } });
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'CA', amount: '200' });
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'CB', amount: '200' });
  e.executeOrThrow({ type: 'borrow', subaccount: ref('alice'), amount: '10000', timeMs: 2 });
  e.executeOrThrow({ type: 'borrow', subaccount: ref('alice'), asset: 'DB', amount: '100', timeMs: 2 });
  return e;
}

describe('several debt assets and e-mode: aave-utilities user summary', () => {
  it('two debts: HF 1.2 and nothing left to borrow (user_summary_two_reserves)', () => {
    const v = vector('user_summary_two_reserves');
    const e = summaryWorld();
    expect(hf(e, 'alice')).toBe((BigInt(Math.round(Number(v.expected.healthFactor) * 10)) * E18) / 10n);
    const f = e.state.subaccounts.get('alice/0')!;
    expect(f.balances.get('USDC')).toBe(-10_000n * U);
    expect(f.balances.get('DB')).toBe(-100n * E18);
    // availableBorrowsMarketRef 0: a further micro-USDC or a wei of DB is over the LTV
    const hash = e.stateHash();
    expect(code(e.execute({ type: 'borrow', subaccount: ref('alice'), amount: '0.000001', timeMs: 3 }))).toBe(
      'INSUFFICIENT_MARGIN',
    );
    expect(
      code(
        e.execute({
          type: 'borrow',
          subaccount: ref('alice'),
          asset: 'DB',
          amount: '0.000000000000000001',
          timeMs: 3,
        }),
      ),
    ).toBe('INSUFFICIENT_MARGIN');
    expect(e.stateHash()).toBe(hash);
    conserved(e);
  });

  it('e-mode: HF 1.4 and $4,000 to borrow (user_summary_two_reserves_emode)', () => {
    const v = vector('user_summary_two_reserves_emode');
    const e = summaryWorld();
    e.executeOrThrow({ type: 'set_emode', subaccount: ref('alice'), category: 1 });
    expect(e.state.subaccounts.get('alice/0')!.eModeCategory).toBe(1);
    expect(hf(e, 'alice')).toBe((BigInt(Math.round(Number(v.expected.healthFactor) * 10)) * E18) / 10n);
    const available = BigInt(v.expected.availableBorrowsUSD!) * U;
    expect(
      code(e.execute({ type: 'borrow', subaccount: ref('alice'), amount: '4000.000001', timeMs: 3 })),
    ).toBe('INSUFFICIENT_MARGIN');
    e.executeOrThrow({
      type: 'borrow',
      subaccount: ref('alice'),
      amount: (available / U).toString(),
      timeMs: 3,
    });
    expect(bal(e, 'alice', 'USDC')).toBe(-14_000n * U);
    conserved(e);
  });

  it('e-mode: typed rejections (unknown category, debts not borrowable, borrow outside the category, HF < 1 on leaving)', () => {
    const e = summaryWorld();
    const hash = e.stateHash();
    const set = (category: number) =>
      code(e.execute({ type: 'set_emode', subaccount: ref('alice'), category }));
    expect(set(9)).toBe('EMODE_MISMATCH'); // no such category
    expect(set(2)).toBe('EMODE_MISMATCH'); // alice owes DB, not borrowable in category 2
    expect(code(e.execute({ type: 'set_emode', subaccount: ref('alice'), category: 256 }))).toBe(
      'MALFORMED_COMMAND',
    );
    expect(e.stateHash()).toBe(hash);
    expect(set(1)).toBe('accepted');
    // DC is borrowable in general, not in category 1
    expect(
      code(e.execute({ type: 'borrow', subaccount: ref('alice'), asset: 'DC', amount: '1', timeMs: 3 })),
    ).toBe('EMODE_MISMATCH');
    // borrow to e-mode's LTV (24,000 of debt); with CA at $99, leaving e-mode would put HF at
    // 39,800 × 0.6 / 24,000 = 0.995 < 1 (in e-mode: 39,800 × 0.7 / 24,000 = 1.16)
    e.executeOrThrow({ type: 'borrow', subaccount: ref('alice'), amount: '4000', timeMs: 3 });
    e.executeOrThrow({ type: 'prices', timeMs: 4, assets: { CA: '99' } });
    const inMode = e.stateHash();
    expect(set(0)).toBe('INSUFFICIENT_MARGIN');
    expect(e.stateHash()).toBe(inMode);
    e.executeOrThrow({ type: 'prices', timeMs: 5, assets: { CA: '100' } });
    expect(set(0)).toBe('accepted'); // HF exactly 1.0: allowed, as Aave's HF ≥ 1 check
    expect(e.state.subaccounts.get('alice/0')!.eModeCategory).toBeUndefined();
    conserved(e);
  });
});

describe('liquidationCall(collateral, debt) with several debts', () => {
  /** Aave-v3.3-features.md: 3k GHO + 3k USDC + 3k DAI against ETH; LT 97% puts HF at 0.97 at $9,000. */
  function wholePositionWorld() {
    const e = engineOf([reserve('ETH', 8000, 9700), reserve('GHO', 0, 0, true), reserve('DAI', 0, 0, true)]);
    e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { ETH: '3000', GHO: '1', DAI: '1' } });
    e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'ETH', amount: '4' });
    for (const asset of ['USDC', 'GHO', 'DAI'])
      e.executeOrThrow({ type: 'deposit', to: ref('liq'), asset, amount: '10000' });
    e.executeOrThrow({ type: 'borrow', subaccount: ref('bob'), amount: '3000', timeMs: 2 });
    e.executeOrThrow({ type: 'borrow', subaccount: ref('bob'), asset: 'GHO', amount: '3000', timeMs: 2 });
    e.executeOrThrow({ type: 'borrow', subaccount: ref('bob'), asset: 'DAI', amount: '3000', timeMs: 2 });
    e.executeOrThrow({ type: 'prices', timeMs: 3, assets: { ETH: '2250' } }); // collateral $9,000
    return e;
  }

  it('v3.3: the full 3k of one reserve in one step (50% of the total debt), = liquidationCall', () => {
    const v = vector('v3_3_close_factor_whole_position_example');
    const e = wholePositionWorld();
    expect(hf(e, 'bob')).toBe((97n * E18) / 100n); // 9,000 × 0.97 / 9,000: above 0.95, below 1
    expect(e.liquidatable()).toEqual([{ ref: ref('bob'), scope: { kind: 'cross' } }]);
    e.executeOrThrow({
      type: 'liquidate',
      subaccount: ref('bob'),
      liquidator: ref('liq'),
      debtAsset: 'DAI',
      collateralAsset: 'ETH',
      timeMs: 4,
    });
    const repaid = 3000n * E18 - -bal(e, 'bob', 'DAI');
    expect(repaid).toBe(BigInt(v.expected.maxRepayOneReserve_v3_3!) * E18);
    expect(repaid).toBeGreaterThan(BigInt(v.expected.maxRepayOneReserve_pre_v3_3!) * E18);
    const call = liquidationCall({
      debtToCover: 3000n * E18,
      debtPrice: 1n * 10n ** 8n,
      collateralPrice: 2250n * 10n ** 8n,
      debtDecimals: 18,
      collateralDecimals: 18,
      userCollateralBalance: 4n * E18,
      liquidationBonusBps: 10_500n,
      liquidationProtocolFeeBps: 1000n,
    });
    // by hand: 3,000 / 2,250 × 1.05 = 1.4 ETH seized; fee 10% of the 0.0666… ETH bonus
    expect(call.collateralToLiquidator + call.protocolFee).toBe((14n * E18) / 10n);
    expect(bal(e, 'liq', 'ETH')).toBe(call.collateralToLiquidator);
    expect(bal(e, 'liq', 'DAI')).toBe(7000n * E18);
    expect(e.state.insurance.get('ETH')).toBe(call.protocolFee);
    expect(bal(e, 'bob', 'USDC')).toBe(-3000n * U); // the other debts are untouched
    expect(bal(e, 'bob', 'GHO')).toBe(-3000n * E18);
    conserved(e);
  });

  it('default debt asset: the largest by value (ties: the first id); debtToCover in the debt asset', () => {
    const e = wholePositionWorld();
    e.executeOrThrow({ type: 'prices', timeMs: 3, assets: { GHO: '1.01' } }); // GHO now the largest debt
    e.executeOrThrow({
      type: 'liquidate',
      subaccount: ref('bob'),
      liquidator: ref('liq'),
      debtAsset: 'GHO',
      debtToCover: '1500',
      timeMs: 4,
    });
    expect(bal(e, 'bob', 'GHO')).toBe(-1500n * E18);
    const again = e.execute({ type: 'liquidate', subaccount: ref('bob'), liquidator: ref('liq'), timeMs: 5 });
    expect(code(again)).toBe('accepted');
    // with GHO at 1,515 now, DAI and USDC (3,000 each) are the largest: DAI < USDC by id
    expect(bal(e, 'bob', 'DAI')).toBe(0n);
    conserved(e);
  });

  it('bad input: a debt the scope does not owe, an unknown asset, debtToCover without debtAsset', () => {
    const e = wholePositionWorld();
    e.executeOrThrow({ type: 'deposit', to: ref('carol'), asset: 'USDC', amount: '1' });
    const hash = e.stateHash();
    const liq = (extra: Record<string, string>) =>
      code(
        e.execute({ type: 'liquidate', subaccount: ref('bob'), liquidator: ref('liq'), timeMs: 4, ...extra }),
      );
    expect(liq({ debtAsset: 'ETH' })).toBe('INSUFFICIENT_BALANCE'); // bob owes no ETH
    expect(liq({ debtAsset: 'XYZ' })).toBe('UNKNOWN_ASSET');
    expect(liq({ debtToCover: '100' })).toBe('MALFORMED_COMMAND'); // the default debt is DAI: name it
    expect(liq({ debtAsset: 'DAI', debtToCover: '-1' })).toBe('INVALID_AMOUNT');
    expect(e.stateHash()).toBe(hash);
  });

  it('e-mode liquidation bonus (1%) on the category’s collateral, by hand and = liquidationCall', () => {
    const e = summaryWorld();
    e.executeOrThrow({ type: 'set_emode', subaccount: ref('alice'), category: 1 });
    e.executeOrThrow({ type: 'borrow', subaccount: ref('alice'), amount: '4000', timeMs: 3 });
    e.executeOrThrow({ type: 'deposit', to: ref('liq'), asset: 'USDC', amount: '20000' });
    // CA, CB at $80: 32,000 × 0.7 = 22,400 < 24,000 of debt: HF 0.9333 ≤ 0.95, the whole USDC debt
    e.executeOrThrow({ type: 'prices', timeMs: 4, assets: { CA: '80', CB: '80' } });
    expect(hf(e, 'alice')).toBe((22_400n * E18) / 24_000n);
    e.executeOrThrow({
      type: 'liquidate',
      subaccount: ref('alice'),
      liquidator: ref('liq'),
      debtAsset: 'USDC',
      collateralAsset: 'CA',
      timeMs: 5,
    });
    // by hand: 14,000 USDC / $80 = 175 CA, × 1.01 = 176.75 CA; protocol 10% of the 1.75 CA bonus
    expect(bal(e, 'alice', 'USDC')).toBe(0n);
    expect(bal(e, 'alice', 'CA')).toBe(200n * E18 - (17_675n * E18) / 100n);
    expect(e.state.insurance.get('CA')).toBe((175n * E18) / 1000n);
    const call = liquidationCall({
      debtToCover: 14_000n * U,
      debtPrice: 10n ** 8n,
      collateralPrice: 80n * 10n ** 8n,
      debtDecimals: 6,
      collateralDecimals: 18,
      userCollateralBalance: 200n * E18,
      liquidationBonusBps: 10_100n,
      liquidationProtocolFeeBps: 1000n,
    });
    expect(bal(e, 'liq', 'CA')).toBe(call.collateralToLiquidator);
    conserved(e);
  });
});

describe('HF threshold constant', () => {
  it('HEALTH_FACTOR_ONE is 1e18 (the wad the tests compare)', () => expect(HEALTH_FACTOR_ONE).toBe(E18));
});
