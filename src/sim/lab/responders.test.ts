import { describe, expect, it } from 'vitest';
import { BookModel, infiniteDepthSource } from '../../analytics/liquidity/depth-model.ts';
import { parseDecimalUnsafe } from '../../core/num/index.ts';
import { drawTraders, LAB_POPULATION_SPEC } from '../population.ts';
import { SETTLEMENT } from '../venue.ts';
import { arrayPoints, runCascade } from './cascade-sim.ts';
import { runComparison } from './compare.ts';
import { staticPolicy } from './policies.ts';
import { DEFAULT_RESPONSE_SPEC, MarginCallDesk, type ResponseSpec, responseOptions } from './responders.ts';

const traders = Array.from({ length: 200 }, (_, i) => ({ ref: { account: `t${i}`, sub: '0' } }));
const spec = (o: Partial<ResponseSpec> = {}): ResponseSpec => ({ ...DEFAULT_RESPONSE_SPEC, seed: 1, ...o });

describe('MarginCallDesk', () => {
  it('draws_responders_from_the_seed', () => {
    expect(new MarginCallDesk(spec({ share: 0 }), traders).responderCount).toBe(0);
    expect(new MarginCallDesk(spec({ share: 1 }), traders).responderCount).toBe(200);
    const a = new MarginCallDesk(spec(), traders);
    const b = new MarginCallDesk(spec(), traders);
    const who = (d: MarginCallDesk) =>
      traders.filter((t) => d.isResponder(t.ref.account)).map((t) => t.ref.account);
    expect(who(a)).toEqual(who(b));
    // 30 % of 200: binomial sd ≈ 6.5, so 60 ± 26 covers four sd.
    expect(Math.abs(a.responderCount - 60)).toBeLessThan(26);
  });

  it('schedules_one_response_per_scope_after_the_delay', () => {
    const d = new MarginCallDesk(spec({ share: 1, delayMinutes: { kind: 'constant', value: 2 } }), traders);
    const ref = traders[0]!.ref;
    expect(d.call('t0/0|cross', ref, undefined, 1_000)).toBe(true);
    expect(d.call('t0/0|cross', ref, undefined, 2_000)).toBe(false); // already pending
    expect(d.call('t1/0|cross', traders[1]!.ref, undefined, 500)).toBe(true);
    expect(d.nextDueMs()).toBe(500 + 120_000);
    expect(d.due(120_499)).toEqual([]);
    expect(d.due(121_000).map((p) => p.scopeId)).toEqual(['t1/0|cross', 't0/0|cross']);
    expect(d.pendingCount).toBe(0);
    expect(d.calls).toBe(2);
  });

  it('rejects_bad_specs_and_flags', () => {
    expect(() => new MarginCallDesk(spec({ share: 1.5 }), traders)).toThrow(/share/);
    expect(() => new MarginCallDesk(spec({ depositTargetRatio: 0.9 }), traders)).toThrow(
      /depositTargetRatio/,
    );
    expect(() => responseOptions({ responders: 'half' })).toThrow(/--responders must be a share/);
    expect(() => responseOptions({ delay: '3' })).toThrow(/need --responders/);
    expect(() => responseOptions({ responders: '1', deposit: '2' })).toThrow(/--response-deposit/);
    expect(responseOptions({ responders: '1', delay: '0' })).toEqual({
      share: 1,
      delayMinutes: { kind: 'constant', value: 0 },
    });
  });
});

describe('responses in the cascade', () => {
  // A fall of 0.25 % every 15 s with a 3 % gap every 5 minutes (20 minutes, −18 % then gaps), no
  // price impact: the slow part calls the longs, the gaps bankrupt those left near their MM.
  const path = arrayPoints(
    Array.from({ length: 80 }, (_, i) => (60_000 * 0.9975 ** i * 0.97 ** Math.floor(i / 20)).toFixed(2)),
    Date.UTC(2025, 0, 1),
  );
  const intents = drawTraders({ ...LAB_POPULATION_SPEC, accounts: 40, seed: 4 });
  const run = (responses?: ResponseSpec) =>
    runCascade({
      path,
      intents,
      policy: staticPolicy('static-low', '0.04', '0.02'),
      book: new BookModel(infiniteDepthSource()),
      ...(responses ? { responses } : {}),
    });
  const instant = { kind: 'constant', value: 0 } as const;

  it('a_margin_call_leads_to_a_deposit_through_the_engine', () => {
    const none = run();
    const all = run(spec({ share: 1, delayMinutes: instant, depositProbability: 1 }));
    const r = all.metrics.responses;
    expect(none.metrics.responses.deposits.count).toBe(0);
    expect(r.responders).toBe(all.metrics.population.opened);
    expect(r.calls).toBeGreaterThan(0);
    expect(r.deposits.count).toBeGreaterThan(0);
    // The engine's own ledger: net USDC deposits grew by exactly what the responders paid in.
    const net = (x: typeof all) => x.engine.state.netDeposits.get(SETTLEMENT)!;
    expect(net(all) - net(none)).toBe(parseDecimalUnsafe(r.deposits.amount, 6));
    expect(all.metrics.conservation.ok).toBe(true);
    // Topped-up traders survive longer: bad debt does not grow (it could, if deposits were wrong).
    expect(Number(all.metrics.badDebt.total)).toBeLessThanOrEqual(Number(none.metrics.badDebt.total));
    expect(Number(none.metrics.badDebt.total)).toBeGreaterThan(0);
  });

  it('reductions_are_fills_against_the_book', () => {
    const red = run(spec({ share: 1, delayMinutes: instant, depositProbability: 0 }));
    const r = red.metrics.responses;
    expect(r.reductions.count).toBeGreaterThan(0);
    expect(r.deposits.count).toBe(0);
    expect(Number(r.reductions.size)).toBeGreaterThan(0);
    expect(red.metrics.conservation.ok).toBe(true);
  });

  it('same_seed_same_metrics_with_responders_on_2021_05_19', () => {
    const go = () =>
      runComparison({
        crash: '2021-05-19',
        accounts: 60,
        seed: 5,
        fromMs: Date.parse('2021-05-19T12:00:00Z'),
        toMs: Date.parse('2021-05-19T13:20:00Z'),
        policies: [staticPolicy('static-low', '0.04', '0.02')],
        responses: { share: 0.5, delayMinutes: { kind: 'constant', value: 1 } },
      });
    const a = go();
    const b = go();
    expect(a.rows[0]!.responses.calls).toBeGreaterThan(0);
    expect(JSON.stringify(a.rows)).toBe(JSON.stringify(b.rows));
  });
});
