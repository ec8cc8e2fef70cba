/**
 * The interest arithmetic against numbers derived by hand from the published curves:
 * Aave v3's variable borrow rate (aave.com, "Aave V3 Interest Rate Strategy":
 * R = base + slope1·U/U* below the kink, base + slope1 + slope2·(U − U*)/(1 − U*) above) and
 * its supply rate R·U·(1 − reserve factor); Derive's published curve (docs.derive.xyz,
 * "Interest Rate Model": 4.8 % at 80 % utilization, 104.8 % at 100 %, 20 % to its security module).
 */
import { describe, expect, it } from 'vitest';
import { InterestConfigSchema } from '../model/interest-config.ts';
import {
  accrual,
  borrowRateRay,
  depositRateRay,
  fromScaled,
  nextIndex,
  RAY,
  toScaled,
  utilizationRay,
  YEAR_MS,
} from './interest.ts';

const ray = (text: string) => {
  const [i, f = ''] = text.split('.');
  return BigInt(i!) * RAY + BigInt((f + '0'.repeat(27)).slice(0, 27));
};
const curve = (c: Record<string, string>) => InterestConfigSchema.parse(c);

// An Aave-v3-style stablecoin strategy: U* 90 %, base 0, slope1 4 %, slope2 60 %, reserve factor 10 %.
const aave = curve({ optimalUtilization: '0.9', slope1: '0.04', slope2: '0.6', protocolShare: '0.1' });

describe('borrow and deposit rates', () => {
  it('follow the kinked curve below, at and above the optimal utilization (Aave v3)', () => {
    // U = 45 %: 0.04 × 0.45 / 0.9 = 0.02
    expect(borrowRateRay(aave, ray('0.45'))).toBe(ray('0.02'));
    // U = U* = 90 %: base + slope1 = 0.04
    expect(borrowRateRay(aave, ray('0.9'))).toBe(ray('0.04'));
    // U = 95 %: 0.04 + 0.6 × 0.05 / 0.1 = 0.34
    expect(borrowRateRay(aave, ray('0.95'))).toBe(ray('0.34'));
    // U = 100 %: 0.04 + 0.6 = 0.64
    expect(borrowRateRay(aave, RAY)).toBe(ray('0.64'));
    // supply at U = 95 %: 0.34 × 0.95 × 0.9 = 0.2907
    expect(depositRateRay(aave, ray('0.34'), ray('0.95'))).toBe(ray('0.2907'));
  });

  it('round the borrow rate up and the deposit rate down where they are not exact', () => {
    // U = 80 %: 0.04 × 0.8 / 0.9 = 0.0355… (27 threes and a 4 after rounding up)
    const r = borrowRateRay(aave, ray('0.8'));
    expect(r).toBe(ray('0.035555555555555555555555556'));
    // 0.035555555555555555555555556 × 0.8 × 0.9 = 0.0256000000000000000000000003… → down
    expect(depositRateRay(aave, r, ray('0.8'))).toBe(ray('0.0256'));
  });

  it("reproduce Derive's published curve: 4.8 % at 80 %, 104.8 % at 100 %", () => {
    const derive = curve({ optimalUtilization: '0.8', slope1: '0.048', slope2: '1', protocolShare: '0.2' });
    expect(borrowRateRay(derive, ray('0.8'))).toBe(ray('0.048'));
    expect(borrowRateRay(derive, RAY)).toBe(ray('1.048'));
    // suppliers at 80 %: 0.048 × 0.8 × (1 − 0.2) = 0.03072
    expect(depositRateRay(derive, ray('0.048'), ray('0.8'))).toBe(ray('0.03072'));
  });

  it('take utilization as borrows / deposits, rounded down, within [0, 1]', () => {
    expect(utilizationRay(1000n, 0n)).toBe(0n);
    expect(utilizationRay(1000n, 400n)).toBe(ray('0.4'));
    expect(utilizationRay(3n, 1n)).toBe(ray('0.333333333333333333333333333'));
    expect(utilizationRay(0n, 5n)).toBe(RAY);
    expect(utilizationRay(10n, 20n)).toBe(RAY);
  });
});

describe('indexes and scaled balances', () => {
  it('grow linearly over an accrual: 2 % a year for half a year is 1 %, and accruals compound', () => {
    expect(nextIndex(RAY, ray('0.02'), YEAR_MS / 2n, 'borrow')).toBe(ray('1.01'));
    expect(nextIndex(ray('1.01'), ray('0.02'), YEAR_MS / 2n, 'borrow')).toBe(ray('1.0201')); // 1.01 × 1.01: two accruals compound;
  });

  it('a balance scaled and read back at the same indexes is the same balance, deposits and debts', () => {
    const d = ray('1.0072');
    const b = ray('1.0302');
    for (const x of [0n, 1n, 7n, 1_000_000_007n, -1n, -13n, -400_000_000n])
      expect(fromScaled(toScaled(x, d, b), d, b)).toBe(x);
  });

  it('reads deposits down and debts up after an accrual', () => {
    // 1 ms at 2 % a year: growth 0.02 / 31,536,000,000 = 6.34e-13; a 400 USDC debt grows by
    // 0.000254 units → 400,000,001 (up); at 0.72 % a 1,000 USDC deposit grows by 0.000228 → unchanged.
    const a = accrual(
      aave,
      { depositIndex: RAY, borrowIndex: RAY },
      { deposits: 1_000_000_000n, borrows: 400_000_000n },
      1n,
    );
    expect(a.utilization).toBe(ray('0.4'));
    const debt = toScaled(-400_000_000n, RAY, RAY);
    const dep = toScaled(1_000_000_000n, RAY, RAY);
    expect(fromScaled(debt, a.depositIndex, a.borrowIndex)).toBe(-400_000_001n);
    expect(fromScaled(dep, a.depositIndex, a.borrowIndex)).toBe(1_000_000_000n);
  });
});

describe('configuration', () => {
  it.each([
    [{ optimalUtilization: '0', slope1: '0.04', slope2: '0.6' }, 'optimalUtilization'],
    [{ optimalUtilization: '1', slope1: '0.04', slope2: '0.6' }, 'optimalUtilization'],
    [{ optimalUtilization: '1.2', slope1: '0.04', slope2: '0.6' }, 'optimalUtilization'],
    [{ optimalUtilization: '0.8', slope1: '-0.04', slope2: '0.6' }, 'slope1'],
    [{ optimalUtilization: '0.8', slope1: '0.04', slope2: '0.6', baseRate: '-0.01' }, 'baseRate'],
    [{ optimalUtilization: '0.8', slope1: '0.04', slope2: '0.6', protocolShare: '1.5' }, 'protocolShare'],
  ])('refuses %j', (input, field) => {
    const r = InterestConfigSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain(field);
  });
});
