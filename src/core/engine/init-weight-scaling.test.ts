/**
 * Mango v4's INIT weights scaled by the bank's venue-wide deposits / borrows (asset
 * `initWeightScaling`, collateral/bank-totals.ts), executed by the engine, checked against:
 *  - Mango v4's `test_health1` cases 10 (collateral limit) and 11 (borrow limit)
 *    (test/vectors/mango_v4_health.json, GPL-3.0: numbers only): the bank totals are made by a
 *    second account's deposits / borrows, and the first account's init figures are Mango's
 *    health — case 11 exactly, case 10 within the ppm weight grid (rounded down, never above);
 *  - a hand derivation on a 9-decimal asset whose totals move as another account withdraws;
 *  - the test reference `mangoHealth` on random banks (exact rationals), and properties: a
 *    scaled init asset weight never exceeds the configured one, a scaled liability weight never
 *    falls below it, each is the exact floor / ceiling, and the kept totals equal a full scan;
 * and typed rejections of bad configurations that leave the state unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vectors from '../../../test/vectors/mango_v4_health.json' with { type: 'json' };
import { marginBreakdown } from '../account/breakdown.ts';
import { crossView, evaluate } from '../account/figures.ts';
import { cachedCrossFigures } from '../account/figures-cache.ts';
import {
  bankTotals,
  scaledInitAssetWeightPpm,
  scaledInitLiabilityWeightPpm,
} from '../collateral/bank-totals.ts';
import { driftConfig } from '../presets/drift-v2.ts';
import { mangoConfig } from '../presets/mango-v4.ts';
import { add, cmp, mul, ratOf, sub, toScaled } from '../presets/rational.ts';
import { type MangoToken, mangoHealth } from '../reference/mango-v4.ts';
import { decodeEvent, decodeSnapshot, encodeEvent, encodeSnapshot, stateHash } from './codec.ts';
import { ConfigError, Engine } from './engine.ts';
import type { EngineEvent } from './events.ts';

const ref = (account: string) => ({ account, sub: '0' });
const U = 1_000_000n;
const code = (r: ReturnType<Engine['execute']>) => (r.ok ? 'accepted' : r.rejection.code);

type Case = {
  name: string;
  inputs: Record<string, number[]>;
  expected: { health: string };
  tolerance: { abs: string };
};
const cases = vectors.cases as unknown as Case[];
const caseNamed = (n: string) => cases.find((c) => c.name.startsWith(n))!;

/** test_health1's banks: T1 $1 (init ±0.2, maint ±0.1), T4 $5 and T5 $10 (±0.5, ±0.3), with the case's scale starts. */
function mangoBanks(starts: { deposit?: number[]; borrow?: number[] }) {
  const token = (
    k: number,
    id: string,
    init: string,
    maint: string,
    liabInit: string,
    liabMaint: string,
  ) => ({
    id,
    decimals: 6,
    initialWeight: init,
    maintenanceWeight: maint,
    liabilityWeight: { initial: liabInit, maintenance: liabMaint },
    initWeightScaling: {
      ...(starts.deposit ? { depositScaleStartQuote: String(starts.deposit[k]) } : {}),
      ...(starts.borrow ? { borrowScaleStartQuote: String(starts.borrow[k]) } : {}),
    },
  });
  const e = Engine.create({
    settlementAsset: 'USDC',
    assets: [
      { id: 'USDC', decimals: 6 },
      token(0, 'T1', '0.8', '0.9', '1.2', '1.1'),
      token(1, 'T4', '0.5', '0.7', '1.5', '1.3'),
      token(2, 'T5', '0.5', '0.7', '1.5', '1.3'),
      { id: 'C', decimals: 6 },
    ],
    markets: [],
  });
  e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { T1: '1', T4: '5', T5: '10', C: '1' } });
  return e;
}
const TOKENS = ['T1', 'T4', 'T5'] as const;
const figuresOf = (e: Engine, who: string) =>
  evaluate(e.state, crossView(e.state.subaccounts.get(`${who}/0`)!));

describe('test_health1 case 10 (collateral limit) through the engine', () => {
  const c = caseNamed('case_10');
  const e = mangoBanks({ deposit: c.inputs.depositWeightScaleStartQuote });
  // alice holds the case's 100 of each token; bob's deposits make the banks' totals (100, 1500, 10000).
  for (const [k, t] of TOKENS.entries()) {
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: t, amount: String(c.inputs.tokens![k]) });
    const rest = c.inputs.bankDeposits![k]! - c.inputs.tokens![k]!;
    if (rest > 0) e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: t, amount: String(rest) });
  }
  const f = figuresOf(e, 'alice');
  it('the banks hold the case’s totals', () => {
    for (const [k, t] of TOKENS.entries())
      expect(bankTotals(e.state, t).deposits).toBe(BigInt(c.inputs.bankDeposits![k]!) * U);
  });
  it('init collateral = Mango’s health within the tolerance, never above it', () => {
    const mango = ratOf(c.expected.health); // 296.666…
    const got = { n: f.collateralInitialQuote, d: U };
    expect(cmp(got, mango)).toBeLessThanOrEqual(0);
    const gap = toScaled(sub(mango, got), 6, 'ceil');
    expect(gap <= 1_000n).toBe(true); // 0.001
  });
  it('by hand on the ppm grid: 80 + 500 × ⌊0.5 × 5000/7500⌋ppm + 1000 × 0.05 = 296.6665', () => {
    // T1: 100 × $1 = 100 ≤ 1,000 → 0.8; T4: 7,500 > 5,000 → 0.333333; T5: 100,000 > 10,000 → 0.05.
    expect(f.collateralInitialQuote).toBe(296_666_500n);
  });
  it('maintenance is not scaled: 90 + 350 + 700', () => {
    expect(f.collateralMaintenanceQuote).toBe(1_140n * U);
  });
});

describe('test_health1 case 11 (borrow limit) through the engine', () => {
  const c = caseNamed('case_11');
  const e = mangoBanks({ borrow: c.inputs.borrowWeightScaleStartQuote });
  // bob's borrows first (10M of C behind them), then alice's 100 of each against 20,000 of C.
  e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'C', amount: '10000000' });
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'C', amount: '20000' });
  for (const [k, t] of TOKENS.entries()) {
    const rest = c.inputs.bankBorrows![k]! - -c.inputs.tokens![k]!;
    if (rest > 0)
      e.executeOrThrow({ type: 'borrow', subaccount: ref('bob'), asset: t, amount: String(rest), timeMs: 2 });
  }
  for (const [k, t] of TOKENS.entries())
    e.executeOrThrow({
      type: 'borrow',
      subaccount: ref('alice'),
      asset: t,
      amount: String(-c.inputs.tokens![k]!),
      timeMs: 2,
    });
  const f = figuresOf(e, 'alice');
  it('the banks hold the case’s totals', () => {
    for (const [k, t] of TOKENS.entries())
      expect(bankTotals(e.state, t).borrows).toBe(BigInt(c.inputs.bankBorrows![k]!) * U);
  });
  it('init token health = Mango’s −16,245 exactly (−120 − 500 × 2.25 − 1000 × 15)', () => {
    expect(f.collateralInitialQuote - 20_000n * U).toBe(-16_245n * U);
    expect(cmp({ n: f.collateralInitialQuote - 20_000n * U, d: U }, ratOf(c.expected.health))).toBe(0);
  });
  it('maintenance is not scaled: −(110 + 650 + 1300)', () => {
    expect(f.collateralMaintenanceQuote - 20_000n * U).toBe(-2_060n * U);
  });
  it('a borrow the scaled weight no longer covers is refused, state unchanged', () => {
    // alice's init free collateral: 20,000 − 16,245 = 3,755. 30 more T5 at the unscaled 1.5 would
    // cost 450; scaled, her T5 debt becomes 130 × $10 × 1.5 × 10,030 × 10 / 10,000 = 19,558.5
    // (from 15,000): 4,558.5 > 3,755, refused.
    const before = e.state.subaccounts.get('alice/0')!.balances.get('T5');
    const r = e.execute({ type: 'borrow', subaccount: ref('alice'), asset: 'T5', amount: '30', timeMs: 3 });
    expect(code(r)).toBe('INSUFFICIENT_MARGIN');
    expect(e.state.subaccounts.get('alice/0')!.balances.get('T5')).toBe(before);
    expect(bankTotals(e.state, 'T5').borrows).toBe(10_000n * U);
    // 10 more: 110 × 10 × 1.5 × 10.01 = 16,516.5, +1,516.5 ≤ 3,755: accepted
    expect(
      code(e.execute({ type: 'borrow', subaccount: ref('alice'), asset: 'T5', amount: '10', timeMs: 3 })),
    ).toBe('accepted');
  });
});

describe('hand-derived: a 9-decimal asset whose bank grows and shrinks', () => {
  const e = Engine.create({
    settlementAsset: 'USDC',
    assets: [
      { id: 'USDC', decimals: 6 },
      {
        id: 'SOL',
        decimals: 9,
        initialWeight: '0.5',
        maintenanceWeight: '0.7',
        initWeightScaling: { depositScaleStartQuote: '100000' },
      },
    ],
    markets: [],
  });
  const log: EngineEvent[] = [{ type: 'engine_configured', config: e.state.config }];
  e.onEvents((events) => log.push(...events));
  e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { SOL: '150' } });
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'SOL', amount: '500' });
  it('alone: 500 SOL × $150 = 75,000 ≤ 100,000, unscaled: 37,500', () => {
    expect(figuresOf(e, 'alice').collateralInitialQuote).toBe(37_500n * U);
  });
  it('bob deposits 1,000 SOL: bank 225,000 > 100,000, weight ⌊0.5 × 100,000 / 225,000⌋ = 0.222222 → 16,666.65', () => {
    e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'SOL', amount: '1000' });
    expect(figuresOf(e, 'alice').collateralInitialQuote).toBe(16_666_650_000n);
    expect(figuresOf(e, 'alice').collateralMaintenanceQuote).toBe(52_500n * U); // 75,000 × 0.7
    // the cache is off for such states: the cached figure follows bob's deposit too
    expect(cachedCrossFigures(e.state, e.state.subaccounts.get('alice/0')!).collateralInitialQuote).toBe(
      16_666_650_000n,
    );
  });
  it('the margin breakdown shows the scaled init weight and its value (maintenance unscaled)', () => {
    const sol = marginBreakdown(e.state, e.state.subaccounts.get('alice/0')!).cross.collateral.find(
      (c) => c.asset === 'SOL',
    )!;
    expect([sol.initialWeight, sol.valueInitial]).toEqual(['0.222222', '16666.65']);
    expect([sol.maintenanceWeight, sol.valueMaintenance]).toEqual(['0.7', '52500']);
  });
  it('bob withdraws 700: bank 120,000, weight ⌊0.5 × 100/120⌋ = 0.416666 → 31,249.95', () => {
    e.executeOrThrow({ type: 'withdraw', from: ref('bob'), asset: 'SOL', amount: '700' });
    expect(bankTotals(e.state, 'SOL').deposits).toBe(800n * 10n ** 9n);
    expect(figuresOf(e, 'alice').collateralInitialQuote).toBe(31_249_950_000n);
  });
  it('a replayed engine builds the same totals', () => {
    const replayed = Engine.replay(log.map((ev) => decodeEvent(encodeEvent(ev)))); // through the journal's text
    expect(bankTotals(replayed, 'SOL')).toEqual(bankTotals(e.state, 'SOL'));
    expect(stateHash(replayed)).toBe(stateHash(e.state));
    expect(evaluate(replayed, crossView(replayed.subaccounts.get('alice/0')!)).collateralInitialQuote).toBe(
      31_249_950_000n,
    );
  });
});

describe('the mango-v4 preset opts in (SOL: starts 5,000 / 5,000, test_health1’s token 4)', () => {
  const e = Engine.create(mangoConfig());
  e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { SOL: '100' } });
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'SOL', amount: '100' });
  it('100 SOL × $100 = 10,000 > 5,000: init 0.5 × 5,000 / 10,000 = 0.25 → 2,500; maint 0.7 → 7,000', () => {
    const f = figuresOf(e, 'alice');
    expect(f.collateralInitialQuote).toBe(2_500n * U);
    expect(f.collateralMaintenanceQuote).toBe(7_000n * U);
  });
  it('a snapshot round trip keeps the configuration, the hash and the totals', () => {
    const back = decodeSnapshot(encodeSnapshot(e.state));
    expect(stateHash(back)).toBe(stateHash(e.state));
    expect(back.assets.get('SOL')!.initWeightScaling).toEqual({
      depositScaleStartQuote: 5_000n * 10n ** 8n,
      borrowScaleStartQuote: 5_000n * 10n ** 8n,
    });
    expect(bankTotals(back, 'SOL')).toEqual({ deposits: 100n * 10n ** 9n, borrows: 0n });
    expect(evaluate(back, crossView(back.subaccounts.get('alice/0')!)).collateralInitialQuote).toBe(
      2_500n * U,
    );
  });
});

describe('the weight functions', () => {
  it('examples: 0.5 × 5000/7500 → 0.333333 (down), 1.5 × 7500/5000 → 2.25, below the start unchanged', () => {
    expect(scaledInitAssetWeightPpm(500_000n, 1500n, 0, 5n * 10n ** 8n, 5000n * 10n ** 8n)).toBe(333_333n);
    expect(scaledInitLiabilityWeightPpm(1_500_000n, 1500n, 0, 5n * 10n ** 8n, 5000n * 10n ** 8n)).toBe(
      2_250_000n,
    );
    expect(scaledInitAssetWeightPpm(500_000n, 1000n, 0, 5n * 10n ** 8n, 5000n * 10n ** 8n)).toBe(500_000n);
    expect(scaledInitLiabilityWeightPpm(1_500_000n, 1000n, 0, 5n * 10n ** 8n, 5000n * 10n ** 8n)).toBe(
      1_500_000n,
    );
    // a liability weight rounds up: 1.2 × 1001/1000 = 1.2012 exactly; × 1000001/1000000 → ⌈1.2000012⌉ = 1.200002
    expect(scaledInitLiabilityWeightPpm(1_200_000n, 1_000_001n, 0, 10n ** 8n, 1_000_000n * 10n ** 8n)).toBe(
      1_200_002n,
    );
  });
  it('property: asset weight ≤ w and = ⌊w·start/value⌋; liability ≥ w and = ⌈w·value/start⌉', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 1_000_000n }),
        fc.bigInt({ min: 1_000_000n, max: 10_000_000n }),
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        fc.integer({ min: 0, max: 18 }),
        fc.bigInt({ min: 0n, max: 10n ** 14n }),
        fc.bigInt({ min: 1n, max: 10n ** 20n }),
        (aw, lw, total, dec, px, start) => {
          const a = scaledInitAssetWeightPpm(aw, total, dec, px, start);
          const l = scaledInitLiabilityWeightPpm(lw, total, dec, px, start);
          expect(a <= aw && a >= 0n).toBe(true);
          expect(l >= lw).toBe(true);
          const value = total * px; // quote × 10^(8 + dec)
          const s = start * 10n ** BigInt(dec);
          if (value > s) {
            expect(a * value <= aw * s && (a + 1n) * value > aw * s).toBe(true);
            expect(l * s >= lw * value && (l - 1n) * s < lw * value).toBe(true);
          } else {
            expect(a).toBe(aw);
            expect(l).toBe(lw);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('random banks: engine init collateral vs mangoHealth (exact rationals), totals vs a full scan', () => {
  it('engine ≤ Mango and within one ppm of weight per token; kept totals = scan', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            who: fc.constantFrom('alice', 'bob', 'carol'),
            token: fc.constantFrom(...TOKENS),
            kind: fc.constantFrom('deposit', 'withdraw', 'borrow'),
            amount: fc.integer({ min: 1, max: 5_000 }),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        (ops) => {
          const e = mangoBanks({ deposit: [1000, 5000, 10000], borrow: [1000, 5000, 10000] });
          for (const w of ['alice', 'bob', 'carol'])
            e.executeOrThrow({ type: 'deposit', to: ref(w), asset: 'C', amount: '1000000' });
          for (const o of ops) {
            const amount = String(o.amount);
            if (o.kind === 'deposit') e.execute({ type: 'deposit', to: ref(o.who), asset: o.token, amount });
            else if (o.kind === 'withdraw')
              e.execute({ type: 'withdraw', from: ref(o.who), asset: o.token, amount });
            else e.execute({ type: 'borrow', subaccount: ref(o.who), asset: o.token, amount, timeMs: 2 });
          }
          const prices = { T1: '1', T4: '5', T5: '10' } as const;
          const weights = { T1: ['0.8', '1.2'], T4: ['0.5', '1.5'], T5: ['0.5', '1.5'] } as const;
          const starts = { T1: '1000', T4: '5000', T5: '10000' } as const;
          for (const t of TOKENS) {
            let deposits = 0n;
            let borrows = 0n;
            for (const s of e.state.subaccounts.values()) {
              const b = s.balances.get(t) ?? 0n;
              if (b > 0n) deposits += b;
              else borrows -= b;
            }
            expect(bankTotals(e.state, t)).toEqual({ deposits, borrows });
          }
          const a = e.state.subaccounts.get('alice/0')!;
          const tokens: MangoToken[] = TOKENS.map((t) => {
            const t0 = bankTotals(e.state, t);
            return {
              balance: { n: a.balances.get(t) ?? 0n, d: U },
              price: ratOf(prices[t]),
              initAssetWeight: ratOf(weights[t][0]),
              initLiabWeight: ratOf(weights[t][1]),
              maintAssetWeight: ratOf('1'),
              maintLiabWeight: ratOf('1'),
              bank: {
                deposits: { n: t0.deposits, d: U },
                borrows: { n: t0.borrows, d: U },
                depositWeightScaleStartQuote: ratOf(starts[t]),
                borrowWeightScaleStartQuote: ratOf(starts[t]),
              },
            };
          });
          const mango = add(mangoHealth('init', tokens, []), ratOf('1000000'));
          const engine = { n: figuresOf(e, 'alice').collateralInitialQuote, d: U };
          expect(cmp(engine, mango)).toBeLessThanOrEqual(0);
          // each token's weight is off by < 1 ppm and its value by < 1 unit: Σ |b·p| × 1e-6 + 3 units
          const slack = TOKENS.reduce(
            (s, t) => {
              const b = a.balances.get(t) ?? 0n;
              return add(s, mul({ n: b < 0n ? -b : b, d: U * U }, ratOf(prices[t])));
            },
            { n: 3n, d: U },
          );
          expect(cmp(sub(mango, engine), slack)).toBeLessThanOrEqual(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('bad configuration: typed errors, state unchanged', () => {
  const base = (scaling: unknown, id = 'SOL') => ({
    settlementAsset: 'USDC',
    assets: [
      { id: 'USDC', decimals: 6, ...(id === 'USDC' ? { initWeightScaling: scaling } : {}) },
      {
        id: 'SOL',
        decimals: 9,
        initialWeight: '0.5',
        ...(id === 'SOL' ? { initWeightScaling: scaling } : {}),
      },
    ],
    markets: [],
  });
  it.each([
    ['a zero start', { depositScaleStartQuote: '0' }],
    ['a negative start', { borrowScaleStartQuote: '-5' }],
    ['a float', { depositScaleStartQuote: 1000 }],
    ['neither start', {}],
    ['an unknown key', { depositScaleStartQuote: '1000', start: '5' }],
  ])('refuses %s', (_, scaling) => {
    expect(() => Engine.create(base(scaling))).toThrow(ConfigError);
  });
  it('refuses scaling on the settlement asset (it counts at face value)', () => {
    expect(() => Engine.create(base({ depositScaleStartQuote: '1000' }, 'USDC'))).toThrow(/face value/);
  });
  it('refuses it on the drift-v2 arithmetic (whose integer passes do not read bank totals)', () => {
    const cfg = driftConfig();
    const assets = cfg.assets!.map((a) =>
      a.id === 'SOL' ? { ...a, initWeightScaling: { depositScaleStartQuote: '1000' } } : a,
    );
    expect(() => Engine.create({ ...cfg, assets })).toThrow(/drift-v2 arithmetic/);
  });
  it('set_asset: scaling on the settlement asset is rejected, the asset unchanged', () => {
    const e = Engine.create(mangoConfig());
    const before = e.state.assets.get('USDC');
    const r = e.execute({
      type: 'set_asset',
      config: { id: 'USDC', decimals: 6, initWeightScaling: { depositScaleStartQuote: '1' } },
    });
    expect(code(r)).toBe('INVALID_CONFIG');
    expect(e.state.assets.get('USDC')).toBe(before);
  });
  it('set_asset can opt an asset in later: the scaling (and the cache switch) follow at once', () => {
    const e = Engine.create(mangoConfig());
    e.executeOrThrow({
      type: 'set_asset',
      config: { id: 'SOL', decimals: 9, initialWeight: '0.5', maintenanceWeight: '0.7' },
    });
    e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { SOL: '100' } });
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'SOL', amount: '100' });
    const alice = () => e.state.subaccounts.get('alice/0')!;
    expect(cachedCrossFigures(e.state, alice()).collateralInitialQuote).toBe(5_000n * U);
    e.executeOrThrow({
      type: 'set_asset',
      config: {
        id: 'SOL',
        decimals: 9,
        initialWeight: '0.5',
        maintenanceWeight: '0.7',
        initWeightScaling: { depositScaleStartQuote: '5000' },
      },
    });
    expect(cachedCrossFigures(e.state, alice()).collateralInitialQuote).toBe(2_500n * U);
    e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'SOL', amount: '100' });
    // bank 20,000: 0.5 × 5,000 / 20,000 = 0.125 → 1,250 (bob's deposit reached alice's figures)
    expect(cachedCrossFigures(e.state, alice()).collateralInitialQuote).toBe(1_250n * U);
  });
  it('set_asset: a zero start is a malformed command', () => {
    const e = Engine.create(mangoConfig());
    const r = e.execute({
      type: 'set_asset',
      config: { id: 'SOL', decimals: 9, initWeightScaling: { depositScaleStartQuote: '0' } },
    } as never);
    expect(r.ok).toBe(false);
  });
});
