/**
 * Derive PMRM against the numbers of Derive's published worked example (docs.derive.xyz,
 * "Portfolio Margin", Examples): 1 long ETH 1800 call (IV 60%), 1 short 1700 put (IV 65%), 700
 * USDC, 2 weeks, forward 1740, r 4%, spot 1735. Only the numbers that follow from the
 * published formulas are asserted; the example's own discount and table arithmetic differ (see
 * derive-pmrm.ts and docs/portfolio-margin.md).
 */
import { describe, expect, it } from 'vitest';
import { black76Price } from '../pricing/black76.ts';
import {
  DerivePmrmParamsSchema,
  deriveDiscount,
  deriveIvShock,
  derivePm2Params,
  derivePmrm,
  deriveSkewMultiplier,
  deriveValueFactor,
} from './derive-pmrm.ts';
import { PortfolioInputError } from './model.ts';

const NOW = Date.UTC(2024, 0, 1);
const T = 14 / 365;
const EXPIRY = NOW + 14 * 86_400_000;
const P = DerivePmrmParamsSchema.parse({});
const account = {
  nowMs: NOW,
  spot: 1735,
  usdc: 700,
  expiries: [
    {
      expiryMs: EXPIRY,
      forward: 1740,
      rate: 0.04,
      options: [
        { kind: 'call', strike: 1800, size: 1, vol: 0.6 },
        { kind: 'put', strike: 1700, size: -1, vol: 0.65 },
      ],
    },
  ],
};
const b76 = (kind: 'call' | 'put', forward: number, strike: number, vol: number) =>
  black76Price({ kind, forward, strike, timeYears: T, vol, rate: 0.04 });

describe('Derive PMRM: the published example', () => {
  it('IV shock up for 14 days: 1 + 0.5·(30/14)^0.3 = 1.628', () => {
    expect(deriveIvShock(P, 1, T)).toBeCloseTo(1.628, 3);
  });
  it('marks and shocked marks: 56.27, 68.6377, 333.875, 32.8701', () => {
    expect(b76('call', 1740, 1800, 0.6)).toBeCloseTo(56.27, 1); // published to 2 places as 56.27 (56.265)
    expect(b76('put', 1740, 1700, 0.65)).toBeCloseTo(68.6377, 4);
    expect(b76('call', 2088, 1800, 0.9768)).toBeCloseTo(333.875, 3);
    expect(b76('put', 2088, 1700, 1.0582)).toBeCloseTo(32.8701, 4);
  });
  it('basis scenarios: +71.4916 up (42.7296 + 28.762) and −70.4107 down (−28.581 − 41.8297)', () => {
    const r = derivePmrm(account);
    expect(r.basisLosses[0]).toBeCloseTo(-28.581 - 41.8297, 3);
    // forward contingency = (0.5 + 2·T) × basis loss
    expect(r.forwardContingency).toBeCloseTo((0.5 + 2 * T) * (-28.581 - 41.8297), 3);
  });
  it('option contingency: −0.015 × 1735 × 1 = −26.025; no base or perp contingency', () => {
    const r = derivePmrm(account);
    expect(r.optionContingency).toBeCloseTo(-26.025, 12);
    expect(r.baseContingency + r.perpContingency).toBeCloseTo(0, 15);
  });
  it("the example's discount 0.841283 is 0.95·e^{−(r·T + 0.12)}; the formula as written discounts 0.12 per year", () => {
    expect(0.95 * Math.exp(-(0.04 * T + 0.12))).toBeCloseTo(0.841283, 6);
    expect(deriveDiscount(P, 0.04, T)).toBeCloseTo(0.95 * Math.exp(-(0.04 + 0.12) * T), 15);
  });
  it('the worked example of docs/portfolio-margin.md, by hand', () => {
    const r = derivePmrm(account);
    expect(r.scenarios).toHaveLength(23);
    expect(r.mtm).toBeCloseTo(700 + 56.265 - 68.6377, 3);
    expect(r.worstScenario).toMatchObject({ spotShock: -0.18, vol: 'up' });
    expect(r.maxLoss).toBeCloseTo(-279.4257, 3);
    expect(r.forwardContingency).toBeCloseTo(-40.6067, 3);
    expect(r.maintenanceMargin).toBeCloseTo(687.6273 - 279.4257 - 26.025, 3);
    expect(r.initialMargin).toBeCloseTo(687.6273 + 1.25 * (-279.4257 - 26.025), 3);
  });
});

describe('Derive PMRM: mechanisms', () => {
  it('a long option book is credited only its discounted value in rallies', () => {
    const long = derivePmrm({
      ...account,
      expiries: [{ ...account.expiries[0]!, options: [account.expiries[0]!.options[0]!] }],
    });
    const up = long.scenarios.find((s) => s.spotShock === 0.135 && s.vol === 'unchanged')!;
    const full = b76('call', 1740 * 1.135, 1800, 0.6) - b76('call', 1740, 1800, 0.6);
    expect(up.pnl).toBeCloseTo(
      b76('call', 1740 * 1.135, 1800, 0.6) * deriveDiscount(P, 0.04, T) - b76('call', 1740, 1800, 0.6),
      9,
    );
    expect(up.pnl).toBeLessThan(full);
  });
  it('the perpetual is valued on its own price; a USDC depeg raises mFactor', () => {
    const r = derivePmrm({
      nowMs: NOW,
      spot: 1735,
      usdc: 1000,
      perp: { size: -1, price: 1750 },
      usdcPrice: 0.77,
    });
    expect(r.worstScenario.spotShock).toBe(0.18);
    expect(r.maxLoss).toBeCloseTo(-1750 * 0.18, 9);
    expect(r.perpContingency).toBeCloseTo(-0.03 * 1735, 12);
    expect(r.mFactor).toBeCloseTo(1.25 + 0.22 * 4, 12);
    expect(r.maintenanceMargin).toBeGreaterThan(r.initialMargin);
  });
  it('an expired expiry or a negative vol is a typed error', () => {
    expect(() => derivePmrm({ ...account, expiries: [{ ...account.expiries[0]!, expiryMs: NOW }] })).toThrow(
      PortfolioInputError,
    );
    expect(() =>
      derivePmrm({
        ...account,
        expiries: [
          { ...account.expiries[0]!, options: [{ kind: 'call', strike: 1800, size: 1, vol: -0.6 }] },
        ],
      }),
    ).toThrow(PortfolioInputError);
  });
});

describe('Derive PM2: skew scenarios and the mark-up of negative expiry value', () => {
  const pm2 = DerivePmrmParamsSchema.parse(derivePm2Params());
  const skew = pm2.skew!;
  it("PM2's example: the mark-up is capped at the mark's own discounting, 1/e^{−0.21·37.2/365} = 1.02163", () => {
    const t = 37.2 / 365;
    expect(1 / Math.exp(-0.21 * t)).toBeCloseTo(1.02163, 5);
    // the example's own arithmetic, 1/e^{−(0.5·0.21 + 0.08)·T} = 1.01903
    expect(1 / Math.exp(-(0.5 * 0.21 + 0.08) * t)).toBeCloseTo(1.01903, 5);
    const f = deriveValueFactor(pm2, -1, 0.21, t);
    expect(f).toBeCloseTo(Math.min(1.02163, 1.02 / Math.exp(-0.1 * t)), 5);
    expect(f).toBeGreaterThan(1);
    expect(deriveValueFactor(P, -1, 0.21, t)).toBe(1); // PM1: no mark-up
  });
  it('skew multiplier: 0 at the money, odd (linear) or even (abs) in k, capped at 0.25 − 0.1·√T', () => {
    const t = 37.2 / 365;
    const cap = 0.25 - 0.1 * Math.sqrt(t);
    expect(deriveSkewMultiplier(skew, 'linear', 0, t)).toBe(0);
    expect(deriveSkewMultiplier(skew, 'linear', 0.05, t)).toBeCloseTo(
      -deriveSkewMultiplier(skew, 'linear', -0.05, t),
      15,
    );
    expect(deriveSkewMultiplier(skew, 'abs', 0.05, t)).toBeCloseTo(
      deriveSkewMultiplier(skew, 'abs', -0.05, t),
      15,
    );
    expect(deriveSkewMultiplier(skew, 'linear', 2, t)).toBeCloseTo(cap, 15);
    expect(deriveSkewMultiplier(skew, 'linear', -2, t)).toBeCloseTo(-cap, 15);
    const kStar = 4 * Math.sqrt(t) * 0.6;
    expect(deriveSkewMultiplier(skew, 'linear', 0.1, t)).toBeCloseTo((cap * 0.1) / kStar, 15);
  });
  it('a risk reversal loses in the skew scenarios; PM2 margins it at least as much as without them', () => {
    const rr = {
      ...account,
      expiries: [
        {
          ...account.expiries[0]!,
          options: [
            { kind: 'call', strike: 1900, size: -10, vol: 0.6 },
            { kind: 'put', strike: 1600, size: 10, vol: 0.6 },
          ],
        },
      ],
    };
    const r = derivePmrm(rr, derivePm2Params());
    expect(r.skewLosses!.linear).toBeLessThan(0);
    expect(r.skewLosses!.abs).toBeLessThanOrEqual(0);
    const noSkew = derivePmrm(rr, { ...derivePm2Params(), skew: null });
    expect(r.maintenanceMargin).toBeLessThanOrEqual(noSkew.maintenanceMargin);
  });
});
