/**
 * `plimsoll risk` with coin-settled options (premiums in BTC) in a BTC-settled book, end to end,
 * against hand derivations from Deribit's published rules: the standard option margin in coin
 * (short call IM = max(0.15 − OTM/S, 0.1) + mark, MM = 0.075 + mark; short put IM = max(0.15 −
 * OTM/S, 0.1) + mark, MM = max(0.075, 0.075·mark) + mark) and the portfolio model's roll shock
 * (|size| × min_annualised_move, Deribit's BTC 0.01).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.ts';

const EXAMPLE = 'examples/risk-coin-options.json';
// biome-ignore lint/suspicious/noExplicitAny: JSON report
type Json = any;
let byAccount: Record<string, Json>;

beforeAll(() => {
  const r = cli(['risk', EXAMPLE]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  byAccount = Object.fromEntries(JSON.parse(r.stdout).accounts.map((a: Json) => [a.account, a]));
});

describe(`plimsoll risk ${EXAMPLE}`, () => {
  it('standard margin in BTC of a short strangle with a perpetual (hand-derived)', () => {
    const c = byAccount['strangle-standard'].cross;
    // put K 95,000 at S 100,000: OTM/S 0.05 → IM max(0.10, 0.1) + 0.044767 = 0.144767, MM 0.075 + 0.044767
    // call K 105,000: OTM/S 0.05 → IM 0.1 + 0.0480525 = 0.1480525, MM 0.075 + 0.0480525
    // perpetual 500 × 10 USD at 100,000 = 0.05 BTC: IM 2 % = 0.001, MM 1 % = 0.0005
    expect(c.initialMargin).toBe('0.2938195');
    expect(c.maintenanceMargin).toBe('0.2433195');
    const put = c.positions.find((p: Json) => p.market === 'BTC-25DEC26-95000-P');
    expect([put.initialMargin, put.maintenanceMargin]).toEqual(['0.144767', '0.119767']);
  });

  it("Deribit's portfolio margin of the same book, in BTC: worst case in the crash tail, roll shock on the perpetual", () => {
    const c = byAccount.strangle.cross;
    const d = c.deribitPortfolio;
    expect(d.currency).toBe('btc');
    // 0.05 BTC of perpetual × 0.01 (options carry no roll shock)
    expect(d.rollShock).toBeCloseTo(0.0005, 12);
    // a coin-settled short put pays (K − S)/S: the −66 % extended row is its worst
    expect(d.worstCaseBucket).toMatchObject({ source: 'extended', side: 'left' });
    // IM = RMM rounded up to satoshis; MM = 0.8 × RMM
    const sat = (x: number) => (Math.ceil(Math.round(x * 1e9) / 10) / 1e8).toFixed(8);
    expect(Number(c.initialMargin).toFixed(8)).toBe(sat(d.riskMatrixMargin));
    expect(Number(c.maintenanceMargin).toFixed(8)).toBe(
      (Math.ceil(0.8 * d.riskMatrixMargin * 1e8) / 1e8).toFixed(8),
    );
    expect(c.distanceToLiquidation[0].down.move).toBeLessThan(0);
  });

  it('the text report prints premiums in BTC and amounts in BTC', () => {
    const r = cli(['risk', EXAMPLE, '--text']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('BTC-25DEC26-95000-P short 1 @ 0.04476700 · mark 0.04476700');
    expect(r.stdout).toContain('MM 0.24331950 BTC · IM 0.29381950 BTC');
  });
});
