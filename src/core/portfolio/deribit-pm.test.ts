import { describe, expect, it } from 'vitest';
import vectors from '../../../test/vectors/deribit_pm_published.json' with { type: 'json' };
import {
  DERIBIT_EXTENDED_MOVES,
  deribitPortfolioMargin,
  parseDeribitInstrument,
  standardMoves,
} from './deribit-pm.ts';
import { PortfolioInputError } from './model.ts';

const close = (a: number, b: number, tol = 1e-15) => expect(Math.abs(a - b)).toBeLessThanOrEqual(tol);

describe('Deribit PM: the published private/pme/simulate responses, reproduced', () => {
  for (const c of vectors.cases) {
    describe(`${c.name} (${c.ref})`, () => {
      const r = deribitPortfolioMargin(c.model_params, c.input);
      const book = r.books[0]!;
      const e = c.expected;
      it('is one book in the settlement currency', () => {
        expect(r.books).toHaveLength(1);
        expect(book.currency).toBe(e.currency);
      });
      it('risk vector of every instrument, standard and extended (delta-one carried at the range edge)', () => {
        for (const [name, vec] of Object.entries(e.initial_risk_vectors) as [
          string,
          { standard: number[]; extended: number[] },
        ][]) {
          const got = book.initialRiskVectors[name]!;
          expect(got.standard).toHaveLength(27);
          expect(got.extended).toHaveLength(8);
          vec.standard.forEach((x, i) => {
            close(got.standard[i]!, x);
          });
          vec.extended.forEach((x, i) => {
            close(got.extended[i]!, x);
          });
        }
      });
      it('aggregated vectors: positive P&L credited at pnl_offset, extended beyond the standard worst', () => {
        e.aggregated_risk_vectors.standard.forEach((x, i) => {
          close(book.aggregated.standard[i]!, x);
        });
        e.aggregated_risk_vectors.extended.forEach((x, i) => {
          close(book.aggregated.extended[i]!, x);
        });
      });
      it('worst_case, its bucket, roll_shock, delta_shock, correlation_contingency', () => {
        close(book.worstCase, e.worst_case);
        expect(book.worstCaseBucket).toEqual(e.worst_case_bucket);
        close(book.rollShock, e.roll_shock);
        expect(book.deltaShock).toBe(e.delta_shock);
        expect(book.correlationContingency).toBe(e.correlation_contingency);
      });
      it('risk-matrix margin, MM = mm_factor × RMM, IM = RMM + MMP + open orders', () => {
        close(book.riskMatrixMargin, e.risk_matrix_margin);
        close(book.maintenanceMargin, e.maintenance_margin);
        close(book.initialMargin, e.initial_margin);
        expect(book.mmpMargin).toBe(e.mmp_margin);
        expect(book.openOrdersMargin).toBe(e.open_orders_margin);
      });
    });
  }
});

const btc = vectors.cases[0]!;
const NOW = btc.input.nowMs;
const withPositions = (positions: Record<string, number | string>, ticker: Record<string, object> = {}) => ({
  ...btc.input,
  positions,
  ticker: { ...btc.input.ticker, ...ticker },
  mmp_margin: {},
  open_orders_margin: {},
});

describe('Deribit PM: mechanisms beyond the published examples', () => {
  it('the standard grid: 9 buckets of ±R, vol up/same/down; the extended moves', () => {
    expect(standardMoves(0.16, 4)).toEqual([-0.16, -0.12, -0.08, -0.04, 0, 0.04, 0.08, 0.12, 0.16]);
    expect([...DERIBIT_EXTENDED_MOVES]).toEqual([-0.66, -0.33, 0.5, 1, 2, 3, 4, 5]);
  });
  it('instrument names: inverse and linear, perpetual, future, option', () => {
    expect(parseDeribitInstrument('BTC-28JUN24-70000-C')).toMatchObject({
      pair: 'btc_usd',
      settlement: 'btc',
      kind: 'option',
      strike: 70000,
      optionKind: 'call',
      expiryMs: Date.UTC(2024, 5, 28, 8),
    });
    expect(parseDeribitInstrument('SOL_USDC-PERPETUAL')).toMatchObject({ linear: true, settlement: 'usdc' });
    expect(parseDeribitInstrument('XRP_USDC-28JUN24-0d625-P').strike).toBe(0.625);
  });
  it('a short deep out-of-the-money call is margined by the extended table, a long one is not', () => {
    const ticker = { 'BTC-28JUN24-100000-C': { underlying_price: 67371.75, mark_iv: 55 } };
    const short = deribitPortfolioMargin(
      btc.model_params,
      withPositions({ 'BTC-28JUN24-100000-C': -10 }, ticker),
    );
    const b = short.books[0]!;
    expect(b.worstCaseBucket?.source).toBe('extended');
    expect(b.worstCase).toBeGreaterThan(-Math.min(...b.aggregated.standard));
    expect(b.rollShock).toBe(0); // options carry no roll shock
    const long = deribitPortfolioMargin(
      btc.model_params,
      withPositions({ 'BTC-28JUN24-100000-C': 10 }, ticker),
    );
    expect(long.books[0]!.worstCaseBucket?.source).toBe('standard');
  });
  it('pnl_offset: across books (X:PM) a gain offsets a loss only by that share; 1 credits it in full', () => {
    // long 1 BTC inverse perpetual (btc book) against short 1 BTC_USDC perpetual (usdc book)
    const p = structuredClone(btc.model_params) as typeof btc.model_params & {
      currency: Record<'btc' | 'usd', { pnl_offset: number; max_offsetable_pnl: number }>;
    };
    p.currency.btc.max_offsetable_pnl = 1e12;
    p.currency.usd.max_offsetable_pnl = 1e12;
    const input = withPositions(
      { 'BTC-PERPETUAL': 1, 'BTC_USDC-PERPETUAL': -1 },
      { 'BTC_USDC-PERPETUAL': { mark_price: 65666.19 } },
    );
    const m = (offset: number) => {
      p.currency.btc.pnl_offset = offset;
      p.currency.usd.pnl_offset = offset;
      return deribitPortfolioMargin(p, input).cross;
    };
    const none = m(0);
    const half = m(0.5);
    const full = m(1);
    expect(none.worstCase).toBeGreaterThan(half.worstCase);
    expect(half.worstCase).toBeGreaterThan(full.worstCase);
    expect(full.pnlOffsetEffect).toBe(0);
    expect(half.pnlOffsetEffect).toBeCloseTo(half.worstCase - full.worstCase, 12);
    // in the −16% scenario the usdc book gains 0.16 × S, the btc book loses 0.16/0.84 BTC × S
    const S = 65666.19;
    close(half.aggregated.standard[1]!, S * (1 - 1 / 0.84) + 0.5 * 0.16 * S, 1e-9);
  });
  it('roll shock grows with tenor past its floor', () => {
    const p = structuredClone(btc.model_params);
    const far = 'BTC-27DEC24';
    const r = deribitPortfolioMargin(p, withPositions({ [far]: 1 }, { [far]: { mark_price: 70000 } }))
      .books[0]!;
    const T = (Date.UTC(2024, 11, 27, 8) - NOW) / (365 * 86_400_000);
    close(r.rollShock, 0.075 * T, 1e-15);
    expect(r.rollShock).toBeGreaterThan(0.01);
  });
  it('a USDC-settled book is computed in USD with the usd parameters', () => {
    const r = deribitPortfolioMargin(
      btc.model_params,
      withPositions({ 'BTC_USDC-PERPETUAL': 1 }, { 'BTC_USDC-PERPETUAL': { mark_price: 65000 } }),
    );
    const b = r.books[0]!;
    expect(b.currency).toBe('usdc');
    close(b.worstCase, 65000 * 0.16, 1e-9);
    close(b.rollShock, 65000 * 0.01, 1e-9); // usd min_annualised_move 0.01 × mark
    close(r.totalInitialMarginUsd, b.initialMargin, 1e-9);
  });
  it('cross-collateral totals add each book at its index', () => {
    const r = deribitPortfolioMargin(btc.model_params, {
      ...withPositions(
        { 'BTC-PERPETUAL': 1, 'BTC_USDC-PERPETUAL': -1 },
        { 'BTC_USDC-PERPETUAL': { mark_price: 65000 } },
      ),
    });
    expect(r.books.map((b) => b.currency).sort()).toEqual(['btc', 'usdc']);
    const btcBook = r.books.find((b) => b.currency === 'btc')!;
    const usdc = r.books.find((b) => b.currency === 'usdc')!;
    close(r.totalInitialMarginUsd, btcBook.initialMargin * 65666.19 + usdc.initialMargin, 1e-6);
  });
});

describe('Deribit PM: bad input is a typed error', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(PortfolioInputError);
      return (e as PortfolioInputError).code;
    }
    throw new Error('no error');
  };
  it('an expired future or option', () => {
    expect(code(() => deribitPortfolioMargin(btc.model_params, withPositions({ 'BTC-28JUN23': 1 })))).toBe(
      'expired',
    );
    expect(
      code(() =>
        deribitPortfolioMargin(
          btc.model_params,
          withPositions({ 'BTC-1JAN24-50000-C': -1 }, { 'BTC-1JAN24-50000-C': { mark_iv: 50 } }),
        ),
      ),
    ).toBe('expired');
  });
  it('an underlying without parameters or index', () => {
    expect(code(() => deribitPortfolioMargin(btc.model_params, withPositions({ 'DOGE-PERPETUAL': 1 })))).toBe(
      'unknown_underlying',
    );
  });
  it('a negative or missing volatility', () => {
    const o = 'BTC-28JUN24-70000-C';
    expect(
      code(() =>
        deribitPortfolioMargin(btc.model_params, withPositions({ [o]: 1 }, { [o]: { mark_iv: -5 } })),
      ),
    ).toBe('bad_vol');
    expect(code(() => deribitPortfolioMargin(btc.model_params, withPositions({ [o]: 1 })))).toBe('bad_vol');
  });
  it('an exponent in a decimal string, an unknown instrument, malformed parameters', () => {
    expect(
      code(() => deribitPortfolioMargin(btc.model_params, withPositions({ 'BTC-PERPETUAL': '1e3' }))),
    ).toBe('bad_input');
    expect(code(() => deribitPortfolioMargin(btc.model_params, withPositions({ 'BTC-NOPE-X': 1 })))).toBe(
      'unknown_instrument',
    );
    expect(
      code(() => deribitPortfolioMargin({ ...btc.model_params, general: { mm_factor: 2 } }, btc.input)),
    ).toBe('bad_params');
  });
});
