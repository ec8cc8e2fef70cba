/**
 * The strategies against hand-derived cases: the band rebalancer's top-up, repayment and
 * reduction amounts (arithmetic in the comments), its typed errors for impossible bands, the
 * cool-down and minimum size; the probability guard's trigger against the closed-form
 * first-passage probability, and that its top-up brings the probability back to the threshold.
 */
import { describe, expect, it } from 'vitest';
import { normalCdf } from '../../core/pricing/normal.ts';
import { BandRebalancer } from './band-rebalancer.ts';
import { ProbabilityGuard } from './probability-guard.ts';
import type { LendingObservation, PerpObservation } from './strategy.ts';

const U = 1_000_000n; // 1 USD at 6 decimals
const perp = (over: Partial<PerpObservation> = {}): PerpObservation => ({
  kind: 'perp',
  timeMs: 0,
  decimals: 6,
  equity: 1000n * U,
  maintenanceMargin: 400n * U,
  reserve: 10_000n * U,
  // 1 BTC long at 20,000: notional 20,000.
  position: {
    side: 'long',
    sizeQty9: 1_000_000_000n,
    markPx8: 20_000n * 100_000_000n,
    liquidationPx8: null,
    takerFeePpm: 0n,
  },
  ...over,
});
const lending = (over: Partial<LendingObservation> = {}): LendingObservation => ({
  kind: 'lending',
  timeMs: 0,
  decimals: 6,
  collateralValue: 30_000n * U, // 10 WETH at 3,000
  liquidationThresholdPpm: 830_000n, // 83%
  debt: 20_000n * U,
  reserve: 100_000n * U,
  ...over,
});
const band = (over: object = {}) =>
  new BandRebalancer({
    account: 'perp',
    triggerPpm: 350_000n,
    targetPpm: 250_000n,
    cooldownMs: 60_000,
    minAction: 0n,
    ...over,
  });

describe('band rebalancer, perps', () => {
  it('tops_up_to_the_target_ratio', () => {
    // ratio 400/1,000 = 40% ≥ 35%. Target 25%: equity must reach 400/0.25 = 1,600 → top up 600.
    expect(band().decide(perp()).actions).toEqual([{ kind: 'top_up', amount: 600n * U }]);
  });

  it('below_the_trigger_does_nothing', () => {
    // 340/1,000 = 34% < 35%.
    expect(band().decide(perp({ maintenanceMargin: 340n * U })).actions).toEqual([]);
  });

  it('reserve_short_then_reduces', () => {
    // Reserve 200: equity 1,200. Reduce f = (MM − τE)/(MM − τφN) = (400 − 0.25·1,200)/(400 − 0) = 0.25
    // of the 1 BTC → 0.25 BTC.
    expect(band().decide(perp({ reserve: 200n * U })).actions).toEqual([
      { kind: 'top_up', amount: 200n * U },
      { kind: 'reduce', sizeQty9: 250_000_000n },
    ]);
  });

  it('reduction_pays_the_taker_fee', () => {
    // prefer reduce, fee 0.1% on N = 20,000: f = (400 − 250)/(400 − 0.25·0.001·20,000) = 150/395
    // = 0.379746835… → ⌈1e9 · 150/395⌉ = 379,746,836 qty9.
    const d = band({ prefer: 'reduce' }).decide(
      perp({ position: { ...perp().position, takerFeePpm: 1000n } }),
    );
    expect(d.actions).toEqual([{ kind: 'reduce', sizeQty9: 379_746_836n }]);
  });

  it('minimum_size_and_cool_down', () => {
    // MM 352, E 1,000 (35.2% ≥ 35%): 352/0.25 = 1,408 → top-up 408 < minimum 500 → 500.
    const s = band({ minAction: 500n * U });
    expect(s.decide(perp({ maintenanceMargin: 352n * U })).actions).toEqual([
      { kind: 'top_up', amount: 500n * U },
    ]);
    // 30 s later, still crossed: the cool-down (60 s) holds.
    const again = s.decide(perp({ timeMs: 30_000, maintenanceMargin: 400n * U }));
    expect(again.actions).toEqual([]);
    expect(again.reason).toMatch(/cool-down/);
    expect(s.decide(perp({ timeMs: 60_000 })).actions).toHaveLength(1);
  });

  it('impossible_bands_are_typed_errors', () => {
    expect(() => band({ targetPpm: 350_000n })).toThrow(
      expect.objectContaining({ code: 'TARGET_NOT_SAFER' }),
    );
    expect(() => band({ targetPpm: 400_000n })).toThrow(
      expect.objectContaining({ code: 'TARGET_NOT_SAFER' }),
    );
    expect(() => band({ triggerPpm: 1_200_000n })).toThrow(
      expect.objectContaining({ code: 'BAD_PARAMETER' }),
    );
    expect(
      () =>
        new BandRebalancer({
          account: 'lending',
          triggerPpm: 1_300_000n,
          targetPpm: 1_200_000n,
          cooldownMs: 0,
          minAction: 0n,
        }),
    ).toThrow(expect.objectContaining({ code: 'TARGET_NOT_SAFER' }));
    expect(() => band().decide(lending())).toThrow(expect.objectContaining({ code: 'WRONG_ACCOUNT_KIND' }));
  });
});

describe('band rebalancer, lending (Aave-style)', () => {
  const rb = (prefer?: 'repay' | 'top_up' | 'delever') =>
    new BandRebalancer({
      account: 'lending',
      triggerPpm: 1_300_000n,
      targetPpm: 1_500_000n,
      cooldownMs: 0,
      minAction: 0n,
      ...(prefer ? { prefer } : {}),
    });
  // HF = 30,000 · 0.83 / 20,000 = 1.245 ≤ 1.3.
  it('repays_to_the_target', () => {
    // r = D − C·LT/h = 20,000 − 24,900/1.5 = 20,000 − 16,600 = 3,400.
    expect(rb().decide(lending()).actions).toEqual([{ kind: 'repay', amount: 3400n * U }]);
  });
  it('tops_up_collateral_to_the_target', () => {
    // ΔC = h·D/LT − C = 30,000/0.83 − 30,000 = 36,144.578313… − 30,000 → 6,144.578314 (rounded up).
    expect(rb('top_up').decide(lending()).actions).toEqual([{ kind: 'top_up', amount: 6_144_578_314n }]);
  });
  it('delevers_by_selling_collateral', () => {
    // x = (h·D − C·LT)/(h − LT) = (30,000 − 24,900)/(1.5 − 0.83) = 5,100/0.67 = 7,611.940298… → 7,611.940299.
    expect(rb('delever').decide(lending()).actions).toEqual([{ kind: 'delever', amount: 7_611_940_299n }]);
  });
  it('repays_what_the_reserve_has_then_delevers', () => {
    // Repay 1,000 → D = 19,000; x = (28,500 − 24,900)/0.67 = 3,600/0.67 = 5,373.134328… → 5,373.134329.
    expect(rb().decide(lending({ reserve: 1000n * U })).actions).toEqual([
      { kind: 'repay', amount: 1000n * U },
      { kind: 'delever', amount: 5_373_134_329n },
    ]);
  });
  it('healthy_account_does_nothing', () => {
    expect(rb().decide(lending({ debt: 15_000n * U })).actions).toEqual([]); // HF 1.66
  });
});

describe('probability guard', () => {
  // Closed form (module header of analytics/first-passage.ts), written out independently:
  // driftless GBM mark → log drift ν = −σ²/2; a long's barrier below at distance a = ln(S/L), the
  // drift towards it m = σ²/2: P = Φ((−a + mT)/(σ√T)) + e^{2ma/σ²} Φ((−a − mT)/(σ√T)).
  const closedForm = (S: number, L: number, sigma: number, T: number) => {
    const a = Math.log(S / L);
    const m = (sigma * sigma) / 2;
    const sd = sigma * Math.sqrt(T);
    return (
      normalCdf((-a + m * T) / sd) + Math.exp((2 * m * a) / (sigma * sigma)) * normalCdf((-a - m * T) / sd)
    );
  };
  const T = 7 / 365;
  // A consistent account: 1 BTC long at 60,000, MM 100 (proportional to the price), equity E with
  // E + (54,000 − 60,000) = 100 · 54,000/60,000 → E = 6,090: liquidation price 54,000.
  const at = (liq: bigint, over: Partial<PerpObservation> = {}) =>
    perp({
      equity: 6_090n * U,
      maintenanceMargin: 100n * U,
      reserve: 1_000_000n * U,
      position: {
        side: 'long',
        sizeQty9: 1_000_000_000n,
        markPx8: 60_000n * 100_000_000n,
        liquidationPx8: liq * 100_000_000n,
        takerFeePpm: 0n,
      },
      ...over,
    });
  const guard = (threshold: number) =>
    new ProbabilityGuard({ threshold, horizonYears: T, sigmaPerYear: 0.6, cooldownMs: 0, minAction: 0n });

  it('probability_matches_the_closed_form', () => {
    const p = closedForm(60_000, 54_000, 0.6, T);
    expect(p).toBeCloseTo(0.2158, 3);
    expect(guard(0.1).probability(at(54_000n))).toBeCloseTo(p, 12);
  });

  it('acts_only_above_the_threshold', () => {
    const p = closedForm(60_000, 54_000, 0.6, T);
    expect(guard(p + 0.001).decide(at(54_000n)).actions).toEqual([]);
    expect(guard(p - 0.001).decide(at(54_000n)).actions).toHaveLength(1);
  });

  it('top_up_moves_the_liquidation_price_to_the_threshold', () => {
    // After topping up A, the long's liquidation price P solves E + A + (P − S) = MM·P/S; the
    // guard's edge must have the threshold probability.
    const d = guard(0.05).decide(at(54_000n));
    expect(d.actions).toHaveLength(1);
    const A = Number((d.actions[0] as { amount: bigint }).amount) / 1e6;
    const P = (6_090 + A - 60_000) / (100 / 60_000 - 1);
    const pAfter = closedForm(60_000, P, 0.6, T);
    expect(pAfter).toBeLessThanOrEqual(0.05);
    expect(pAfter).toBeGreaterThan(0.0499);
  });

  it('no_liquidation_price_is_no_risk', () => {
    expect(guard(0.01).decide(perp()).actions).toEqual([]);
  });
});
