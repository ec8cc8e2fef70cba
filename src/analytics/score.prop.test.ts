/**
 * Risk score properties: scores and probabilities stay in [0, 1]; a ranking is sorted, is a
 * permutation of its input and does not depend on input order; moving a liquidation price
 * closer to the mark, or raising the volatility forecast (martingale marks), never lowers a
 * position's liquidation probability or its account's score.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AccountRiskInput, type PositionRiskInput, rankAccounts, scoreAccount } from './score.ts';

const position = (id: string): fc.Arbitrary<PositionRiskInput> =>
  fc
    .record({
      market: fc.constantFrom('BTC-PERP', 'ETH-PERP', 'SOL-PERP'),
      side: fc.constantFrom<'long' | 'short'>('long', 'short'),
      notional: fc.double({ min: 0, max: 1e7, noNaN: true }),
      markPrice: fc.double({ min: 0.01, max: 1e5, noNaN: true }),
      frac: fc.double({ min: 0.01, max: 1.5, noNaN: true }),
      noLiq: fc.boolean(),
      sigmaPerYear: fc.double({ min: 0, max: 3, noNaN: true }),
    })
    .map((r) => ({
      id,
      market: r.market,
      side: r.side,
      notional: r.notional,
      markPrice: r.markPrice,
      liquidationPrice: r.noLiq ? null : r.side === 'long' ? r.markPrice * r.frac : r.markPrice / r.frac,
      sigmaPerYear: r.sigmaPerYear,
    }));

const account = (name: string): fc.Arbitrary<AccountRiskInput> =>
  fc.record({
    account: fc.constant(name),
    equity: fc.double({ min: -1e6, max: 1e7, noNaN: true }),
    positions: fc
      .array(fc.nat(), { maxLength: 5 })
      .chain((ids) =>
        fc.tuple(...ids.map((_, i) => position(`${name}-${i}`))).map((ps) => ps as PositionRiskInput[]),
      ),
  });

const horizon = fc.double({ min: 1e-5, max: 1, noNaN: true });

describe('risk score properties', () => {
  it('scores_and_probabilities_are_in_unit_interval', () => {
    fc.assert(
      fc.property(account('a'), horizon, (acc, T) => {
        const s = scoreAccount(acc, { horizonYears: T });
        for (const v of [s.score, s.liquidationProbability, s.maxPositionProbability, s.concentration])
          expect(v >= 0 && v <= 1).toBe(true);
        expect(s.leverage).toBeGreaterThanOrEqual(0);
        for (const p of s.positions)
          expect(p.liquidationProbability >= 0 && p.liquidationProbability <= 1).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('ranking_is_sorted_complete_and_order_independent', () => {
    const accounts = fc
      .array(fc.nat({ max: 50 }), { minLength: 1, maxLength: 8 })
      .chain((xs) => fc.tuple(...xs.map((_, i) => account(`acct${i}`))));
    fc.assert(
      fc.property(accounts, horizon, (accs, T) => {
        const r = rankAccounts(accs, { horizonYears: T });
        expect(r.map((a) => a.account).sort()).toEqual(accs.map((a) => a.account).sort());
        for (let i = 1; i < r.length; i++) expect(r[i - 1]!.score).toBeGreaterThanOrEqual(r[i]!.score);
        expect(rankAccounts([...accs].reverse(), { horizonYears: T }).map((a) => a.account)).toEqual(
          r.map((a) => a.account),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('closer_liquidation_price_and_higher_vol_never_lower_risk', () => {
    fc.assert(
      fc.property(
        position('p'),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 1, max: 3, noNaN: true }),
        fc.double({ min: 1, max: 1e7, noNaN: true }),
        horizon,
        (p, closer, volUp, equity, T) => {
          if (p.liquidationPrice === null) return;
          // Already at or past the liquidation price (probability 1): "closer" has no meaning, and
          // moving from beyond towards the mark can round across it (found: a short with liq < mark).
          if (p.side === 'long' ? p.liquidationPrice >= p.markPrice : p.liquidationPrice <= p.markPrice)
            return;
          // move the liquidation price a fraction `closer` of the way (in log terms) to the mark
          const liq2 = p.liquidationPrice * (p.markPrice / p.liquidationPrice) ** closer;
          const base = scoreAccount({ account: 'a', equity, positions: [p] }, { horizonYears: T });
          const nearer = scoreAccount(
            { account: 'a', equity, positions: [{ ...p, liquidationPrice: liq2 }] },
            { horizonYears: T },
          );
          const riskier = scoreAccount(
            { account: 'a', equity, positions: [{ ...p, sigmaPerYear: p.sigmaPerYear * volUp }] },
            { horizonYears: T },
          );
          expect(nearer.liquidationProbability).toBeGreaterThanOrEqual(base.liquidationProbability - 1e-12);
          expect(nearer.score).toBeGreaterThanOrEqual(base.score - 1e-12);
          expect(riskier.liquidationProbability).toBeGreaterThanOrEqual(base.liquidationProbability - 1e-12);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
