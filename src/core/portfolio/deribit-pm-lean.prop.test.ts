/**
 * deribitBookFigures (the margin checks' allocation-free Deribit PM) against deribitBookMargin
 * (the breakdown the reports print), bit for bit: random books of inverse and linear perpetuals,
 * futures and options (priced by deribitUnitVector at random marks, forwards and vols), random
 * parameters (pnl_offset and its cap, roll rates, delta-shock threshold low enough to bind), one
 * pair or two (a USDC book spans pairs), the running sums taken in book order as the engine's
 * kept book takes them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propRuns } from '../../../test/support/prop.ts';
import {
  type DeribitInstrument,
  type DeribitModelParams,
  deribitBookFigures,
  deribitBookMargin,
  deribitCurrencyParamsOf,
  deribitPublishedParams,
  deribitUnitVector,
  type Valued,
} from './deribit-pm.ts';

const NOW = Date.UTC(2026, 10, 25, 8);
const DAY = 86_400_000;
const SPOT: Record<string, number> = { btc_usd: 100_000, eth_usd: 4_000 };

const row = fc.record({
  pair: fc.constantFrom('btc_usd', 'eth_usd'),
  kind: fc.constantFrom('perpetual', 'future', 'option', 'option'),
  right: fc.constantFrom('call', 'put'),
  moneyness: fc.double({ min: 0.6, max: 1.5, noNaN: true }),
  days: fc.integer({ min: 1, max: 400 }),
  vol: fc.double({ min: 0.1, max: 2, noNaN: true }),
  size: fc.oneof(fc.double({ min: -50, max: 50, noNaN: true }), fc.constant(0.001), fc.constant(-3)),
  basis: fc.double({ min: -0.02, max: 0.05, noNaN: true }),
});

type Row = typeof row extends fc.Arbitrary<infer T> ? T : never;

function columnsOf(params: DeribitModelParams, linear: boolean, rows: Row[], onePair: boolean): Valued[] {
  return rows.map((r, i) => {
    const pair = onePair ? 'btc_usd' : r.pair;
    const S = SPOT[pair]!;
    const inst: DeribitInstrument = {
      name: `${pair}-${i}`,
      pair,
      settlement: linear ? 'usdc' : pair.slice(0, 3),
      linear,
      kind: r.kind as DeribitInstrument['kind'],
      ...(r.kind === 'perpetual' ? {} : { expiryMs: NOW + r.days * DAY }),
      ...(r.kind === 'option' ? { strike: Math.round(S * r.moneyness), optionKind: r.right as 'call' } : {}),
    };
    const forward = S * (1 + r.basis);
    const mark = r.kind === 'option' ? 0 : forward;
    const u = deribitUnitVector(
      inst,
      params.currency_pair[pair]!,
      params.general.buckets_count,
      NOW,
      mark,
      forward,
      r.vol,
    );
    return { instrument: inst, size: r.size, unit: u.unit, timeYears: u.timeYears, delta: u.delta, mark };
  });
}

describe('deribitBookFigures equals deribitBookMargin to the bit', () => {
  it('on random books, linear and coin-settled, one pair or two', () => {
    fc.assert(
      fc.property(
        fc.array(row, { minLength: 1, maxLength: 25 }),
        fc.boolean(),
        fc.boolean(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 5_000_000, noNaN: true }),
        fc.constantFrom(0, 1_000, 20_000_000),
        (rows, linear, onePair, pnlOffset, cap, threshold) => {
          const base = deribitPublishedParams();
          const params: DeribitModelParams = {
            ...base,
            currency_pair: Object.fromEntries(
              Object.entries(base.currency_pair).map(([k, v]) => [
                k,
                { ...v, delta_total_liq_shock_threshold: threshold },
              ]),
            ),
            currency: Object.fromEntries(
              Object.entries(base.currency).map(([k, v]) => [
                k,
                { ...v, pnl_offset: pnlOffset, max_offsetable_pnl: cap },
              ]),
            ),
          };
          const cols = columnsOf(params, linear, rows, onePair || !linear);
          const currency = cols[0]!.instrument.settlement;
          const index: Record<string, number> = {};
          for (const c of cols) index[c.instrument.pair] ??= SPOT[c.instrument.pair]! * 1.001;
          const ctx = {
            nowMs: NOW,
            index,
            positions: {},
            ticker: {},
            mmp_margin: {},
            open_orders_margin: {},
            correlation_contingency: {},
          };
          const full = deribitBookMargin(params, ctx, currency, cols);
          // the kept book's sums: book order, size × unit entry added, as the engine keeps them
          const nStd = full.preAggregated.standard.length;
          const pre = new Float64Array(nStd + full.preAggregated.extended.length);
          const cp = deribitCurrencyParamsOf(params, currency, linear);
          let roll = 0;
          let deltaTotal = 0;
          for (const c of cols) {
            c.unit.standard.forEach((x, s) => {
              pre[s]! += c.size * x;
            });
            c.unit.extended.forEach((x, s) => {
              pre[nStd + s]! += c.size * x;
            });
            deltaTotal += c.size * c.delta;
            if (c.instrument.kind !== 'option')
              roll +=
                Math.abs(c.size) *
                Math.max(cp.annualised_move_risk * c.timeYears, cp.min_annualised_move) *
                (linear ? c.mark : 1);
          }
          const pairs = new Set(cols.map((c) => c.instrument.pair));
          const out = new Float64Array(2);
          deribitBookFigures(
            params,
            cp,
            {
              pre,
              roll,
              deltaTotal,
              linear,
              index0: index[cols[0]!.instrument.pair]!,
              singlePair: pairs.size === 1 ? params.currency_pair[cols[0]!.instrument.pair] : undefined,
            },
            { correlationContingency: 0, mmpMargin: 0, openOrdersMargin: 0 },
            out,
          );
          expect(Object.is(out[0], full.initialMargin)).toBe(true);
          expect(Object.is(out[1], full.maintenanceMargin)).toBe(true);
        },
      ),
      { numRuns: propRuns(300, 0.2), seed: 2026 },
    );
  });
});
