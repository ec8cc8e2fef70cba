/**
 * Borrows of any asset at liability weights above 100% (asset `liabilityWeight`,
 * collateral/weights.ts), executed by the engine, checked against:
 *  - Mango v4's `test_health1` (programs/mango-v4/src/health, GPL-3.0: numbers only): the token
 *    terms of cases 6 and 8 and of case 1, whose Rust expressions are written out below (the
 *    cases' serum3 open-orders terms are not reproduced), and the test reference `mangoHealth`;
 *  - Drift protocol-v2's `spot_market_asset_weight` tests (test/vectors/drift_v2_size_weights.json:
 *    liability weight 1.1 with IMF factor 0.01 → 1.1962, with 0.1 → 4.0422, 1,000 tokens), on
 *    the drift-v2 arithmetic to the unit and on the engine's ppm grid (⌊ppm / 100⌋ = Drift's);
 *  - the drift-v2 and mango-v4 presets' SOL borrow, by hand;
 * and typed rejections (NOT_BORROWABLE, UNKNOWN_ASSET, NO_PRICE, INSUFFICIENT_MARGIN, bad
 * liability weights) that leave the state unchanged.
 */
import { describe, expect, it } from 'vitest';
import sizeWeights from '../../../test/vectors/drift_v2_size_weights.json' with { type: 'json' };
import { crossView, evaluate } from '../account/figures.ts';
import { liabilityWeightPpm } from '../collateral/weights.ts';
import { driftConfig } from '../presets/drift-v2.ts';
import { mangoConfig } from '../presets/mango-v4.ts';
import { ratOf } from '../presets/rational.ts';
import { type MangoToken, mangoHealth } from '../reference/mango-v4.ts';
import { Engine } from './engine.ts';

const ref = (account: string) => ({ account, sub: '0' });
const U = 1_000_000n;
const code = (r: ReturnType<Engine['execute']>) => (r.ok ? 'accepted' : r.rejection.code);

/** test_health1's banks: token 1 at $1 (weights ±0.2 init, ±0.1 maint), tokens 4 and 5 at $5 / $10 (±0.5, ±0.3). */
function mangoTokensEngine() {
  const token = (id: string, init: string, maint: string, liabInit: string, liabMaint: string) => ({
    id,
    decimals: 6,
    initialWeight: init,
    maintenanceWeight: maint,
    liabilityWeight: { initial: liabInit, maintenance: liabMaint },
  });
  const e = Engine.create({
    settlementAsset: 'USDC',
    assets: [
      { id: 'USDC', decimals: 6 },
      token('T1', '0.8', '0.9', '1.2', '1.1'),
      token('T4', '0.5', '0.7', '1.5', '1.3'),
      token('T5', '0.5', '0.7', '1.5', '1.3'),
      { id: 'C', decimals: 6 },
    ],
    markets: [],
  });
  e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { T1: '1', T4: '5', T5: '10', C: '1' } });
  // C (weight 1, $1) is collateral to borrow against; its 10,000 are taken off the figures below.
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'C', amount: '10000' });
  return e;
}

/** The token health the engine gives alice: her collateral (init or maint) less C's 10,000. */
function tokenHealth(e: Engine) {
  const f = evaluate(e.state, crossView(e.state.subaccounts.get('alice/0')!));
  return {
    init: f.collateralInitialQuote - 10_000n * U,
    maint: f.collateralMaintenanceQuote - 10_000n * U,
  };
}

const mangoToken = (balance: number, price: number, w: [string, string, string, string]): MangoToken => ({
  balance: ratOf(String(balance)),
  price: ratOf(String(price)),
  initAssetWeight: ratOf(w[0]),
  initLiabWeight: ratOf(w[1]),
  maintAssetWeight: ratOf(w[2]),
  maintLiabWeight: ratOf(w[3]),
});
const W1: [string, string, string, string] = ['0.8', '1.2', '0.9', '1.1'];
const W45: [string, string, string, string] = ['0.5', '1.5', '0.7', '1.3'];
const toMicro = (x: { n: bigint; d: bigint }) => (x.n * U) / x.d;

describe('liability weights above 100%: Mango test_health1 token terms', () => {
  it('case 6: −100 × 1.2 − 10 × 5 × 1.5 − 10 × 10 × 1.5 = −345 (init); maint = mangoHealth', () => {
    const e = mangoTokensEngine();
    for (const [asset, amount] of [
      ['T1', '100'],
      ['T4', '10'],
      ['T5', '10'],
    ] as const)
      e.executeOrThrow({ type: 'borrow', subaccount: ref('alice'), asset, amount, timeMs: 2 });
    const h = tokenHealth(e);
    expect(h.init).toBe(-345n * U); // Rust: -100.0 * 1.2 - 10.0 * 5.0 * 1.5 - 10.0 * 10.0 * 1.5
    const tokens = [mangoToken(-100, 1, W1), mangoToken(-10, 5, W45), mangoToken(-10, 10, W45)];
    expect(h.init).toBe(toMicro(mangoHealth('init', tokens, [])));
    expect(h.maint).toBe(toMicro(mangoHealth('maint', tokens, []))); // −110 − 65 − 130 = −305
    expect(h.maint).toBe(-305n * U);
  });

  it('case 8: −100 × 1.2 − 100 × 5 × 1.5 − 10 × 1.5 = −885 (init)', () => {
    const e = mangoTokensEngine();
    for (const [asset, amount] of [
      ['T1', '100'],
      ['T4', '100'],
      ['T5', '1'],
    ] as const)
      e.executeOrThrow({ type: 'borrow', subaccount: ref('alice'), asset, amount, timeMs: 2 });
    expect(tokenHealth(e).init).toBe(-885n * U);
  });

  it('case 1 (token part): −100 × 1.2 + 10 × 5 × 0.5 = −95 (init), a borrow next to a deposit', () => {
    const e = mangoTokensEngine();
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'T4', amount: '10' });
    e.executeOrThrow({ type: 'borrow', subaccount: ref('alice'), asset: 'T1', amount: '100', timeMs: 2 });
    expect(tokenHealth(e).init).toBe(-95n * U);
  });

  it('the mango-v4 preset: a SOL borrow counts at 1.5 (init) / 1.3 (maint)', () => {
    const e = Engine.create(mangoConfig());
    e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { SOL: '100' } });
    e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '1000' });
    e.executeOrThrow({ type: 'borrow', subaccount: ref('a'), asset: 'SOL', amount: '2', timeMs: 2 });
    const f = evaluate(e.state, crossView(e.state.subaccounts.get('a/0')!));
    // 1,000 USDC − 2 SOL × $100 × weight
    expect(f.collateralInitialQuote).toBe((1000n - 300n) * U);
    expect(f.collateralMaintenanceQuote).toBe((1000n - 260n) * U);
    expect(f.netValueQuote).toBe((1000n - 200n) * U);
  });
});

describe('liability weights with Drift’s size premium', () => {
  const liabilityCases = sizeWeights.cases.filter(
    (c) =>
      c.group === 'spot_market_asset_weight' &&
      c.inputs.kind === 'liability' &&
      (c.inputs.weight_1e4 ?? 0) >= 10_000,
  );

  it.each(liabilityCases.map((c) => [c.name, c] as const))(
    '%s: drift-v2 arithmetic and engine grid',
    (_n, c) => {
      const i = c.inputs as {
        decimals: number;
        tokenAmount: number;
        weight_1e4: number;
        imfFactor_1e6: number;
      };
      const expected = BigInt((c.expected as { weight_1e4: number }).weight_1e4);
      const weight = (BigInt(i.weight_1e4) * 100n).toString();
      const imf = BigInt(i.imfFactor_1e6).toString();
      const frac = (v: string) => `${v.slice(0, -6) || '0'}.${v.slice(-6).padStart(6, '0')}`;
      const asset = {
        id: 'TKN',
        decimals: i.decimals,
        initialWeight: '0.8',
        maintenanceWeight: '0.9',
        sizeHaircutFactor: frac(imf),
        liabilityWeight: { initial: frac(weight), maintenance: '1' },
      };
      const tokens = BigInt(i.tokenAmount) / 10n ** BigInt(i.decimals);
      const deposit = (tokens * expected * 2n).toString(); // ample USDC at $1 for the borrow
      for (const arithmetic of ['drift-v2', 'engine'] as const) {
        const base = driftConfig();
        const e = Engine.create({
          ...base,
          ...(arithmetic === 'engine' ? { marginArithmetic: 'engine', openOrderCharge: undefined } : {}),
          assets: [{ id: 'USDC', decimals: 6 }, asset],
          markets: [],
        });
        e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { TKN: '1' } });
        e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: deposit });
        e.executeOrThrow({
          type: 'borrow',
          subaccount: ref('a'),
          asset: 'TKN',
          amount: tokens.toString(),
          timeMs: 2,
        });
        const f = evaluate(e.state, crossView(e.state.subaccounts.get('a/0')!));
        const borrowQuote = tokens * U; // tokens × $1
        if (arithmetic === 'drift-v2') {
          // Drift: the borrow is in the initial margin requirement at liability value × weight / 1e4.
          expect(f.initialMarginQuote).toBe((borrowQuote * expected) / 10_000n);
        } else {
          // The engine's own grid: liability at the ppm weight, rounded up; ⌊ppm / 100⌋ = Drift's weight.
          const ppm = liabilityWeightPpm(e.state.assets.get('TKN')!, -BigInt(i.tokenAmount), 'initial');
          expect(ppm / 100n).toBe(expected);
          expect(BigInt(deposit) * U - f.collateralInitialQuote).toBe((borrowQuote * ppm) / U);
        }
      }
    },
  );

  it('the drift-v2 preset: a SOL borrow in both requirements at 1.2 / 1.1 (Drift’s margin-test SOL market)', () => {
    const e = Engine.create(driftConfig());
    e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { SOL: '100' } });
    e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '2000' });
    e.executeOrThrow({ type: 'borrow', subaccount: ref('a'), asset: 'SOL', amount: '10', timeMs: 2 });
    const f = evaluate(e.state, crossView(e.state.subaccounts.get('a/0')!));
    // total collateral 2,000 USDC; requirement 10 SOL × $100 × 1.2 (initial) / 1.1 (maintenance)
    expect(f.initialMarginQuote).toBe(1200n * U);
    expect(f.maintenanceMarginQuote).toBe(1100n * U);
    expect(f.freeCollateralQuote).toBe(800n * U);
    expect(f.healthQuote).toBe(900n * U);
    // a further 6.67 SOL would need 800.4 > 800 of free collateral
    expect(
      code(e.execute({ type: 'borrow', subaccount: ref('a'), asset: 'SOL', amount: '6.67', timeMs: 3 })),
    ).toBe('INSUFFICIENT_MARGIN');
    expect(
      code(e.execute({ type: 'borrow', subaccount: ref('a'), asset: 'SOL', amount: '6.66', timeMs: 3 })),
    ).toBe('accepted');
  });
});

describe('a borrow of a non-settlement asset bears interest', () => {
  it('4 ETH borrowed of 10 deposited (U 40%, R 2%, share 10%): a year later 4.08 owed, 10.072 held, 0.008 to the fund', () => {
    const e = Engine.create({
      settlementAsset: 'USDC',
      assets: [
        { id: 'USDC', decimals: 6 },
        {
          id: 'ETH',
          decimals: 8,
          liabilityWeight: { initial: '1.1', maintenance: '1.05' },
          interest: { optimalUtilization: '0.8', slope1: '0.04', slope2: '0.6', protocolShare: '0.1' },
        },
      ],
      markets: [],
    });
    e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { ETH: '1000' } });
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'ETH', amount: '10' });
    e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'USDC', amount: '10000' });
    e.executeOrThrow({ type: 'borrow', subaccount: ref('bob'), asset: 'ETH', amount: '4', timeMs: 2 });
    e.executeOrThrow({ type: 'accrue_interest', asset: 'ETH', elapsedMs: 31_536_000_000, timeMs: 3 });
    const eth = (who: string) => e.state.subaccounts.get(`${who}/0`)!.balances.get('ETH');
    // R = 4% × 0.4 / 0.8 = 2%; deposit rate 2% × 0.4 × 0.9 = 0.72% (by hand)
    expect(eth('bob')).toBe(-408_000_000n);
    expect(eth('alice')).toBe(1_007_200_000n);
    expect(e.state.insurance.get('ETH')).toBe(800_000n);
  });
});

describe('bad input: typed rejection, state unchanged', () => {
  it('borrow: NOT_BORROWABLE, UNKNOWN_ASSET, NO_PRICE, INSUFFICIENT_MARGIN', () => {
    const e = Engine.create({
      settlementAsset: 'USDC',
      assets: [
        { id: 'USDC', decimals: 6 },
        { id: 'BTC', decimals: 8 },
        { id: 'ETH', decimals: 8, liabilityWeight: { initial: '1.1', maintenance: '1.05' } },
      ],
      markets: [],
    });
    e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '1000' });
    const hash = e.stateHash();
    const b = (asset: string, amount = '1') =>
      code(e.execute({ type: 'borrow', subaccount: ref('a'), asset, amount, timeMs: 5 }));
    expect(b('BTC')).toBe('NOT_BORROWABLE'); // no liabilityWeight
    expect(b('DOGE')).toBe('UNKNOWN_ASSET');
    expect(b('ETH')).toBe('NO_PRICE'); // an unpriced debt could not be valued
    // the settlement asset still needs the lending policy
    expect(b('USDC')).toBe('MALFORMED_COMMAND');
    e.executeOrThrow({ type: 'prices', timeMs: 3, assets: { ETH: '1000' } });
    const priced = e.stateHash();
    expect(b('ETH', '0.91')).toBe('INSUFFICIENT_MARGIN'); // 0.91 × 1,000 × 1.1 = 1,001 > 1,000
    expect(b('ETH', '-1')).toBe('INVALID_AMOUNT');
    expect(e.stateHash()).toBe(priced);
    expect(hash).not.toBe(priced);
    expect(b('ETH', '0.9')).toBe('accepted'); // 990 ≤ 1,000
  });

  it('liability weights below 1, negative or initial < maintenance are refused (create, set_asset)', () => {
    const cfg = (liabilityWeight: unknown) => ({
      settlementAsset: 'USDC',
      assets: [
        { id: 'USDC', decimals: 6 },
        { id: 'ETH', decimals: 8, liabilityWeight },
      ],
      markets: [],
    });
    expect(() => Engine.create(cfg({ initial: '0.9', maintenance: '0.9' }))).toThrow(/liabilityWeight/);
    expect(() => Engine.create(cfg({ initial: '-1.2', maintenance: '1.1' }))).toThrow(/liabilityWeight/);
    expect(() => Engine.create(cfg({ initial: '1.1', maintenance: '1.2' }))).toThrow(/liabilityWeight/);
    const e = Engine.create(cfg({ initial: '1.2', maintenance: '1.1' }));
    const hash = e.stateHash();
    const r = e.execute({
      type: 'set_asset',
      config: { id: 'ETH', decimals: 8, liabilityWeight: { initial: '1.2', maintenance: '0.5' } },
    });
    expect(code(r)).toBe('MALFORMED_COMMAND');
    expect(e.stateHash()).toBe(hash);
  });

  it('drift-v2 arithmetic refuses liability weights off the 0.0001 grid', () => {
    const base = driftConfig();
    expect(() =>
      Engine.create({
        ...base,
        assets: [
          { id: 'USDC', decimals: 6 },
          { id: 'SOL', decimals: 9, liabilityWeight: { initial: '1.20005', maintenance: '1.1' } },
        ],
        markets: [],
      }),
    ).toThrow(/liability weights on the 0.0001 grid/);
  });
});
