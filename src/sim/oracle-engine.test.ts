/**
 * The oracle wired into the engine: the guarded mark drives margin; safe mode
 * pauses liquidations and refuses risk-increasing trades while allowing reductions; the
 * engine records the transitions; and on the real 2025-10-10 data an injected 10x / 0.1x
 * print changes neither the mark nor anyone's liquidation status.
 */
import { describe, expect, it } from 'vitest';
import { venueConfig } from '../../test/support/fixtures.ts';
import { Engine } from '../core/engine/engine.ts';
import type { Sequenced } from '../core/engine/events.ts';
import { InMemoryJournal } from '../store/memory-journal.ts';
import {
  crashOracleConfig,
  DEFAULT_BAD_PRINTS,
  injectBadPrints,
  loadCrashObservations,
  replaySteps,
} from './feeds/crash-replay.ts';

const oracleConfig = {
  market: 'BTC-PERP',
  sources: [
    { id: 'a', maxAgeMs: 10_000 },
    { id: 'b', maxAgeMs: 10_000 },
    { id: 'c', maxAgeMs: 10_000 },
  ],
  minSources: 2,
  maxDeviation: '0.02',
  mark: { kind: 'index' as const },
  breaker: { maxMovePerInterval: '0.1', intervalMs: 60_000 },
  recovery: { minHealthyMs: 5_000, sourceProbationMs: 0 },
};

function withOracle(journal?: InMemoryJournal): Engine {
  const e = Engine.create(venueConfig({ oracles: [oracleConfig] }), journal ? { journal } : {});
  for (const account of ['backstop', 'alice', 'bob']) {
    e.executeOrThrow({
      type: 'deposit',
      to: { account },
      asset: 'USDC',
      amount: account === 'backstop' ? '1000000' : '1000',
    });
  }
  return e;
}
const quotes = (t: number, px: string, sources = ['a', 'b', 'c']) =>
  sources.map((source) => ({ source, price: px, timestampMs: t }));
const oracle = (e: Engine, t: number, px: string, sources?: string[]) =>
  e.executeOrThrow({ type: 'oracle', market: 'BTC-PERP', timeMs: t, inputs: quotes(t, px, sources) });
const fill = (e: Engine, buyer: string, seller: string, size: string, price: string) =>
  e.execute({
    type: 'fill',
    market: 'BTC-PERP',
    buyer: { account: buyer },
    seller: { account: seller },
    size,
    price,
  });
const transitions = (evs: Sequenced[]) =>
  evs.flatMap((x) => (x.type === 'oracle_transition' ? [x.transition.type] : []));

describe('oracle-driven mark and safe mode in the engine', () => {
  it('a new market waits in safe mode until the index has been healthy, then trades', () => {
    const e = withOracle();
    const first = oracle(e, 1_000, '60000');
    expect(transitions(first)).toContain('index_reliable');
    expect(e.state.markets.get('BTC-PERP')!.markPx8).toBe(60_000n * 10n ** 8n);
    const r = fill(e, 'alice', 'bob', '0.1', '60000');
    expect(r.ok ? '' : r.rejection.code).toBe('SAFE_MODE');
    const later = oracle(e, 6_000, '60000');
    expect(transitions(later)).toContain('safe_mode_exited');
    expect(fill(e, 'alice', 'bob', '0.1', '60000').ok).toBe(true);
  });

  it('marks come from the oracle only', () => {
    const e = withOracle();
    const r = e.execute({ type: 'prices', timeMs: 5, marks: { 'BTC-PERP': '60000' } });
    expect(r.ok ? '' : r.rejection.code).toBe('MARK_FROM_ORACLE');
  });

  it('safe mode pauses liquidations and refuses risk-increasing trades, but allows reductions', () => {
    const e = withOracle();
    oracle(e, 1_000, '60000');
    oracle(e, 6_000, '60000');
    expect(fill(e, 'alice', 'bob', '0.15', '60000').ok).toBe(true); // alice: 9000 notional on 1000
    oracle(e, 30_000, '54200'); // −9.7%, inside the breaker: equity 1000 − 870 − fee < MM 406
    expect(e.liquidatable().map((l) => l.ref.account)).toEqual(['alice']);
    // two sources go silent: too few → index unreliable → safe mode
    // two sources go silent: at 45 s b and c are 15 s old (> maxAge 10 s) → index unreliable → safe mode
    const quiet = oracle(e, 45_000, '54200', ['a']);
    expect(transitions(quiet)).toEqual(expect.arrayContaining(['index_unreliable', 'safe_mode_entered']));
    oracle(e, 60_000, '54200', ['a']);
    expect(e.state.markets.get('BTC-PERP')!.oracle!.state.safeMode.active).toBe(true);
    const liq = e.execute({ type: 'liquidate', subaccount: { account: 'alice' }, timeMs: 60_001 });
    expect(liq.ok ? '' : liq.rejection.code).toBe('LIQUIDATIONS_PAUSED');
    expect(fill(e, 'alice', 'bob', '0.01', '54200').ok ? '' : 'refused').toBe('refused'); // alice adds to her long
    expect(fill(e, 'bob', 'alice', '0.05', '54200').ok).toBe(true); // alice reduces: always allowed
    // sources return: after minHealthyMs the market leaves safe mode and liquidation proceeds
    oracle(e, 61_000, '54200');
    oracle(e, 67_000, '54200');
    expect(e.state.markets.get('BTC-PERP')!.oracle!.state.safeMode.active).toBe(false);
  });

  it('funding uses the oracle TWAP premium when no premium is given', () => {
    const e = withOracle();
    for (let t = 1_000; t <= 20_000; t += 1_000) oracle(e, t, '60000');
    expect(fill(e, 'alice', 'bob', '0.01', '60000').ok).toBe(true);
    const r = e.executeOrThrow({ type: 'funding_tick', market: 'BTC-PERP', timeMs: 21_000 });
    const settled = r.find((x) => x.type === 'funding_settled')!;
    // mark = index ⇒ premium 0 ⇒ rate = interest rate 0.01%
    expect(settled.type === 'funding_settled' && settled.rate9).toBe(100_000n);
  });

  it('oracle state survives journal replay and snapshots (INV-02)', () => {
    const journal = new InMemoryJournal();
    const e = withOracle(journal);
    oracle(e, 1_000, '60000');
    e.snapshot();
    oracle(e, 6_000, '60100');
    e.executeOrThrow({
      type: 'oracle',
      market: 'BTC-PERP',
      timeMs: 7_000,
      inputs: [{ source: 'zzz', price: 'NaN', timestampMs: 7_000 }],
    });
    expect(Engine.open(journal).stateHash()).toBe(e.stateHash());
    const fresh = new InMemoryJournal();
    fresh.append([...journal.read(0)]);
    expect(Engine.open(fresh).stateHash()).toBe(e.stateHash());
  });
});

describe('2025-10-10 real data: a bad print changes neither the mark nor any liquidation status', () => {
  const day = Date.UTC(2025, 9, 10);
  const at = (h: number, m: number) => day + (h * 60 + m) * 60_000;
  const observations = loadCrashObservations('2025-10-10', { book: false });

  function run(inputs: typeof observations) {
    const e = Engine.create(
      venueConfig({
        oracles: [crashOracleConfig('index_plus_basis', 'BTC-PERP')],
        markets: [
          {
            id: 'BTC-PERP',
            kind: 'perpetual',
            base: 'BTC',
            stepSize: '0.001',
            margin: { kind: 'fixed', initialRatio: '0.02', maintenance: { ratio: '0.01' } },
          },
        ],
      }),
    );
    e.executeOrThrow({ type: 'deposit', to: { account: 'mm' }, asset: 'USDC', amount: '100000000' });
    const steps = replaySteps(inputs, 60_000, { toMs: at(21, 25) });
    let opened = false;
    const trace = new Map<number, string>();
    let everLiquidatable = 0;
    for (const s of steps) {
      if (s.nowMs < at(20, 0) && s.inputs.length === 0) continue;
      e.executeOrThrow({ type: 'oracle', market: 'BTC-PERP', timeMs: s.nowMs, inputs: [...s.inputs] });
      const m = e.state.markets.get('BTC-PERP')!;
      if (!opened && s.nowMs >= at(21, 0) && !m.oracle!.state.safeMode.active) {
        // 40 longs from 5x to 45x at the 21:00 mark (rounded to the 0.1 tick)
        const px = ((m.markPx8! / 10_000_000n) * 10_000_000n).toString();
        const price = `${px.slice(0, -8)}.${px.slice(-8)}`;
        for (let i = 0; i < 40; i++) {
          const who = { account: `t${i}` };
          e.executeOrThrow({ type: 'deposit', to: who, asset: 'USDC', amount: '1000' });
          const lev = 5 + i;
          const size = ((1000 * lev) / Number(price)).toFixed(3);
          e.executeOrThrow({
            type: 'fill',
            market: 'BTC-PERP',
            buyer: who,
            seller: { account: 'mm' },
            size,
            price,
            timeMs: s.nowMs,
          });
        }
        opened = true;
      }
      if (opened && s.nowMs >= at(21, 10)) {
        const liq = e.liquidatable().map((l) => l.ref.account);
        everLiquidatable = Math.max(everLiquidatable, liq.length);
        trace.set(s.nowMs, `${m.markPx8} ${m.oracle!.state.safeMode.active} ${liq.join(',')}`);
      }
    }
    return { trace, everLiquidatable, rejections: e.state.markets.get('BTC-PERP')!.oracle!.state.rejections };
  }

  it('identical marks and liquidatable sets with and without a 10x and a 0.1x print', () => {
    const clean = run(observations);
    const dirty = run(injectBadPrints(observations, DEFAULT_BAD_PRINTS));
    expect(clean.trace.size).toBeGreaterThan(500);
    expect(clean.everLiquidatable).toBeGreaterThan(5); // the crash does push accounts under (not vacuous)
    // at every step of the clean run the dirty run has the same mark, safe mode and liquidatable set
    for (const [t, line] of clean.trace) expect(dirty.trace.get(t), new Date(t).toISOString()).toBe(line);
    // the extra step the injected print makes changes nothing either
    expect(new Set(dirty.trace.values())).toEqual(new Set(clean.trace.values()));
    expect(dirty.rejections.get('ORACLE_IMPLAUSIBLE_PRICE')).toBe(2);
  });
});
