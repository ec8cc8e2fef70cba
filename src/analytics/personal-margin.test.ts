import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { PersonalMarginInputError, personalAddOn, personalInitialMargin } from './personal-margin.ts';

const calm = { concentration: 0.4, collateralCorrelation: -0.2, leverageRampUp: 0.8, lateTopUps: 0 };

describe('personalAddOn', () => {
  it('a well-behaved account pays exactly the baseline (no part, 0 ppm)', () => {
    const a = personalAddOn(calm);
    expect(a.parts).toEqual([]);
    expect(a.addOnPpm).toBe(0);
    expect(personalInitialMargin(123_456_789n, a.addOnPpm)).toBe(123_456_789n);
  });

  it('hand example: all in one market, BTC collateral behind a BTC long', () => {
    // concentration: 0.10 × (1 − 0.5)/(1 − 0.5) = 0.10; wrong-way: 0.25 × 1 = 0.25 → 0.35 = 350,000 ppm
    const a = personalAddOn({ concentration: 1, collateralCorrelation: 1, leverageRampUp: 1, lateTopUps: 0 });
    expect(a.parts.map((p) => [p.name, p.fraction])).toEqual([
      ['wrong-way collateral', 0.25],
      ['concentration', 0.1],
    ]);
    expect(a.addOnPpm).toBe(350_000);
    expect(a.capped).toBe(false);
  });

  it('hand example: ramp ×2 and one late top-up; 75 % concentration', () => {
    // ramp 0.15 × (2 − 1)/(3 − 1) = 0.075; late 0.2 × 1/3 = 0.0666…; conc 0.1 × 0.25/0.5 = 0.05
    // Σ = 0.191666… → 191,667 ppm (rounded up)
    const a = personalAddOn({
      concentration: 0.75,
      collateralCorrelation: 0,
      leverageRampUp: 2,
      lateTopUps: 1,
    });
    expect(a.parts.map((p) => p.name)).toEqual(['leverage ramp-up', 'late top-ups', 'concentration']);
    expect(a.addOnPpm).toBe(191_667);
  });

  it('caps at +50 % and says so', () => {
    const a = personalAddOn({ concentration: 1, collateralCorrelation: 1, leverageRampUp: 5, lateTopUps: 9 });
    expect(a.uncapped).toBeCloseTo(0.7, 12);
    expect(a.capped).toBe(true);
    expect(a.addOnPpm).toBe(500_000);
  });

  it('bad input is a typed error', () => {
    expect(() => personalAddOn({ ...calm, concentration: 1.5 })).toThrow(PersonalMarginInputError);
    expect(() => personalAddOn({ ...calm, collateralCorrelation: Number.NaN })).toThrow(
      PersonalMarginInputError,
    );
    expect(() => personalAddOn({ ...calm, lateTopUps: 0.5 })).toThrow(PersonalMarginInputError);
    expect(() => personalInitialMargin(-1n, 0)).toThrow(PersonalMarginInputError);
  });

  test.prop([
    fc.double({ min: 0, max: 1, noNaN: true }),
    fc.double({ min: -1, max: 1, noNaN: true }),
    fc.double({ min: 0, max: 10, noNaN: true }),
    fc.nat(10),
    fc.double({ min: 0, max: 1, noNaN: true }),
  ])('within [0, cap], and never lower when one input worsens', (c, r, g, k, dc) => {
    const a = personalAddOn({ concentration: c, collateralCorrelation: r, leverageRampUp: g, lateTopUps: k });
    expect(a.addOnPpm).toBeGreaterThanOrEqual(0);
    expect(a.addOnPpm).toBeLessThanOrEqual(500_000);
    const worse = personalAddOn({
      concentration: Math.min(1, c + dc),
      collateralCorrelation: r,
      leverageRampUp: g,
      lateTopUps: k + 1,
    });
    expect(worse.addOnPpm).toBeGreaterThanOrEqual(a.addOnPpm);
  });
});

describe('personalInitialMargin (exact)', () => {
  test.prop([fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: 0, max: 10_000_000 })])(
    'equals ceil(IM × (10⁶ + ppm) / 10⁶) and is never below IM',
    (im, ppm) => {
      const got = personalInitialMargin(im, ppm);
      const n = im * BigInt(1_000_000 + ppm);
      const ceil = n / 1_000_000n + (n % 1_000_000n === 0n ? 0n : 1n);
      expect(got).toBe(ceil);
      expect(got >= im).toBe(true);
    },
  );
});
