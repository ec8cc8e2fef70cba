/**
 * Shared empty collections (model/state.ts NO_ISOLATED_MARKETS / NO_LEVERAGE_CAPS, copy on
 * write) over random command streams: margin-mode and leverage-cap changes, fills, deposits,
 * and reopening the engine from a snapshot (whose decoder hands out the shared instances) or
 * from its whole journal, mid-stream.
 *
 * The reference is naive and independent of the sharing: every subaccount's isolated markets and
 * leverage caps kept in private Maps/Sets, updated from the accepted events as the docs say
 * (`margin_mode_set` adds or removes the market, `leverage_set` sets or removes the cap). After
 * every command the engine's collections hold exactly the reference's entries, in its order;
 * the shared instances are still empty; and the live engine, the engine reopened from a
 * snapshot and the engine replayed from the journal have the same state hash.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propRuns, sequences } from '../../../test/support/prop.ts';
import { NO_ISOLATED_MARKETS, NO_LEVERAGE_CAPS } from '../model/state.ts';
import { Engine, type JournalPort } from './engine.ts';
import type { EngineEvent } from './events.ts';

const WHO = ['a', 'b', 'c'] as const;
const MARKETS = ['BTC-PERP', 'ETH-PERP'] as const;

const config = {
  settlementAsset: 'USDC',
  assets: [{ id: 'USDC', decimals: 6 }],
  markets: MARKETS.map((id) => ({
    id,
    kind: 'perpetual' as const,
    base: id.slice(0, 3),
    stepSize: '0.001',
    tickSize: '0.1',
    margin: { kind: 'fixed' as const, initialRatio: '0.1', maintenance: { ratio: '0.05' } },
  })),
  backstop: { account: 'backstop' },
};

/** A journal in memory: every record and the latest snapshot. */
function memoryJournal(): JournalPort & { records: { seq: number; type: string; json: string }[] } {
  const records: { seq: number; type: string; json: string }[] = [];
  let snapshot: { seq: number; json: string } | undefined;
  return {
    records,
    append(batch) {
      for (const r of batch) records.push(r);
    },
    lastSeq: () => records[records.length - 1]?.seq ?? 0,
    saveSnapshot(s) {
      snapshot = s;
    },
    latestSnapshot: () => snapshot,
    read: (after = 0) => records.filter((r) => r.seq > after)[Symbol.iterator](),
  };
}

const step = fc.oneof(
  fc.record({
    kind: fc.constant('mode' as const),
    who: fc.constantFrom(...WHO),
    market: fc.constantFrom(...MARKETS),
    isolated: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('leverage' as const),
    who: fc.constantFrom(...WHO),
    market: fc.constantFrom(...MARKETS),
    lev: fc.option(fc.integer({ min: 1, max: 50 }), { nil: null }),
  }),
  fc.record({
    kind: fc.constant('fill' as const),
    buyer: fc.constantFrom(...WHO),
    seller: fc.constantFrom(...WHO),
    market: fc.constantFrom(...MARKETS),
    lots: fc.integer({ min: 1, max: 50 }),
  }),
  fc.record({ kind: fc.constant('deposit' as const), who: fc.constantFrom(...WHO, 'd') }),
  fc.record({ kind: fc.constant('reopen' as const), from: fc.constantFrom('snapshot', 'journal') }),
);

type Ref = { isolated: Set<string>; caps: Map<string, bigint> };

describe('shared empty isolated-market sets and leverage-cap maps (copy on write)', () => {
  it('match a private-collection reference after every command, through snapshots and replays', () => {
    fc.assert(
      fc.property(sequences(step, 1, 40), (steps) => {
        const journal = memoryJournal();
        let engine = Engine.create(config, { journal });
        const reference = new Map<string, Ref>();
        const follow = (e: Engine) =>
          e.onEvents((events) => {
            for (const s of events as readonly EngineEvent[]) {
              if (s.type === 'margin_mode_set') {
                const r = refOf(reference, s.sub);
                if (s.isolated) r.isolated.add(s.market);
                else r.isolated.delete(s.market);
              } else if (s.type === 'leverage_set') {
                const r = refOf(reference, s.sub);
                if (s.maxLeverage === null) r.caps.delete(s.market);
                else r.caps.set(s.market, s.maxLeverage);
              }
            }
          });
        follow(engine);
        engine.executeOrThrow({
          type: 'prices',
          timeMs: 1,
          marks: { 'BTC-PERP': '60000', 'ETH-PERP': '3000' },
        });
        for (const who of WHO)
          engine.executeOrThrow({ type: 'deposit', to: { account: who }, asset: 'USDC', amount: '1000000' });
        for (const s of steps) {
          if (s.kind === 'mode') {
            engine.execute({
              type: 'set_margin_mode',
              subaccount: { account: s.who },
              market: s.market,
              mode: s.isolated ? 'isolated' : 'cross',
            });
          } else if (s.kind === 'leverage') {
            engine.execute({
              type: 'set_leverage',
              subaccount: { account: s.who },
              market: s.market,
              maxLeverage: s.lev === null ? null : String(s.lev),
            });
          } else if (s.kind === 'fill') {
            engine.execute({
              type: 'fill',
              market: s.market,
              buyer: { account: s.buyer },
              seller: { account: s.seller },
              size: String(s.lots / 100),
              price: s.market === 'BTC-PERP' ? '60000' : '3000',
            });
          } else if (s.kind === 'deposit') {
            engine.execute({ type: 'deposit', to: { account: s.who }, asset: 'USDC', amount: '100' });
          } else {
            const hash = engine.stateHash();
            if (s.from === 'snapshot') engine.snapshot();
            // 'journal': every event from the first, the snapshot ignored
            engine = Engine.open(
              s.from === 'snapshot' ? journal : { ...journal, latestSnapshot: () => undefined },
            );
            expect(engine.stateHash()).toBe(hash);
            follow(engine);
          }
          expect(NO_ISOLATED_MARKETS.size).toBe(0);
          expect(NO_LEVERAGE_CAPS.size).toBe(0);
          for (const sub of engine.state.subaccounts.values()) {
            const r = reference.get(sub.key) ?? {
              isolated: new Set<string>(),
              caps: new Map<string, bigint>(),
            };
            expect([...sub.isolatedMarkets]).toEqual([...r.isolated]);
            expect([...sub.maxLeverage]).toEqual([...r.caps]);
          }
        }
      }),
      { numRuns: propRuns(60) },
    );
  });

  it('refuse a write that bypasses the copy', () => {
    expect(() => (NO_ISOLATED_MARKETS as Set<string>).add('BTC-PERP')).toThrow(TypeError);
    expect(() => (NO_LEVERAGE_CAPS as Map<string, bigint>).set('BTC-PERP', 1n)).toThrow(TypeError);
    expect(NO_ISOLATED_MARKETS.size + NO_LEVERAGE_CAPS.size).toBe(0);
  });
});

function refOf(reference: Map<string, Ref>, key: string): Ref {
  let r = reference.get(key);
  if (!r) reference.set(key, (r = { isolated: new Set(), caps: new Map() }));
  return r;
}
