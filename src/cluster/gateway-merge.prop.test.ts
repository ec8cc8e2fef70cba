/**
 * The gathered views' merges against the single process on random command sequences, without
 * NATS: one in-memory engine holds every account (the reference: the single process's own
 * handlers), and K in-memory engines each hold the accounts `partitionOf` gives them (what the
 * partitions of a cluster hold: configuration and prices broadcast to all, each fill in the
 * partition of its two accounts). The gateway's own gather code (`dispositionOf(...).gather`)
 * merges the K engines' answers; it must equal the reference's answer for the ADL queue, the
 * liquidation map, the cascade (first round and the rounds after it), the socialized losses and
 * the overview — minus the differences docs/cluster.md lists (journal positions, times, chart
 * samples, tie orders). No liquidations: a bankruptcy is covered by one fund in the single
 * process and by a partition's fund (then the coordinator) in a cluster — not the same money.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propRuns } from '../../test/support/prop.ts';
import { type Harness, harness } from '../server/server.testkit.ts';
import { dispositionOf, type GatherIO } from './gateway-api.ts';
import { partitionOf } from './partition.ts';

const MARKETS = ['BTCUSDT', 'ETHUSDT'] as const;
const MARK = { BTCUSDT: 60_000, ETHUSDT: 3_000 };
const ACCOUNTS = Array.from({ length: 8 }, (_, i) => `m${i}`);
const T = Date.UTC(2026, 5, 1);

type Step =
  | { kind: 'deposit'; account: number; amount: number }
  | { kind: 'fill'; buyer: number; seller: number; market: 0 | 1; size: number; offPct: number }
  | { kind: 'prices'; btcPct: number; ethPct: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('deposit' as const),
    account: fc.nat(ACCOUNTS.length - 1),
    amount: fc.integer({ min: 100, max: 3_000 }),
  }),
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('fill' as const),
      buyer: fc.nat(ACCOUNTS.length - 1),
      seller: fc.nat(ACCOUNTS.length - 1),
      market: fc.constantFrom(0 as const, 1 as const),
      size: fc.integer({ min: 1, max: 40 }),
      offPct: fc.integer({ min: -3, max: 3 }),
    }),
  },
  fc.record({
    kind: fc.constant('prices' as const),
    btcPct: fc.integer({ min: -12, max: 12 }),
    ethPct: fc.integer({ min: -12, max: 12 }),
  }),
);

// biome-ignore lint/suspicious/noExplicitAny: bodies are compared as plain JSON
type Body = any;

async function get(h: Harness, path: string): Promise<Body> {
  const r = await h.call('op', 'GET', path);
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The gateway's gather over in-memory partitions. */
function gatherOver(parts: readonly Harness[]): GatherIO {
  const qs = (q: Record<string, string>) => {
    const s = new URLSearchParams(q).toString();
    return s === '' ? '' : `?${s}`;
  };
  const io: GatherIO = {
    all: (path, q) => Promise.all(parts.map((h) => get(h, `${path}${qs(q)}`))),
    one: (p, path, q) => get(parts[p]!, `${path}${qs(q)}`),
    settlementDecimals: async () => 8,
    coordinator: async () => undefined,
    clearingLongs: async () => new Map(),
  };
  return io;
}

async function gathered(parts: readonly Harness[], path: string, query: Record<string, string> = {}) {
  const d = dispositionOf({ method: 'get', path });
  if (d.kind !== 'gather') throw new Error(`${path} is not gathered`);
  return (await d.gather(gatherOver(parts), query)) as Body;
}

const noSeq = ({ seq, timeMs, computeMs, riskSeq, ...rest }: Body) => rest;

/** Ranks, indicators and scores in queue order; the entries themselves by account (ties differ). */
function adlShape(x: Body) {
  const side = (es: Body[]) => ({
    order: es.filter((e) => e.rank !== null).map((e) => [e.rank, e.indicator, e.score]),
    entries: es
      .map(({ rank, indicator, ...e }) => ({ ...e, queued: rank !== null }))
      .sort((a, b) => (a.account < b.account ? -1 : 1)),
  });
  return x.markets.map((m: Body) => ({ ...m, long: side(m.long), short: side(m.short) }));
}

/** The cascade with the largest list by (notional, account) and the model's float move rounded. */
function cascadeShape(x: Body) {
  const { afterCascade, firstRound, ...rest } = noSeq(x);
  return {
    ...rest,
    firstRound: {
      ...firstRound,
      largest: [...firstRound.largest].sort((a: Body, b: Body) =>
        a.notional === b.notional ? (a.account < b.account ? -1 : 1) : 0,
      ),
    },
    afterCascade: { ...afterCascade, finalMovePct: Number(afterCascade.finalMovePct.toFixed(9)) },
  };
}

describe('gathered views equal the single process over any split of the accounts', () => {
  it('ADL queue, liquidation map, cascade, socialized losses and overview', async () => {
    // what the runs exercised (so that a script generator refusing everything cannot pass)
    const seen = { queued: 0, cascaded: 0, banded: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 3 }),
        fc.array(step, { minLength: 5, maxLength: 40 }),
        fc.constantFrom(-25, -8, -2, 3, 9, 30),
        async (k, steps, movePct) => {
          const now = () => T + 60_000;
          const single = harness({ now });
          const parts = Array.from({ length: k }, () => harness({ now }));
          const home = (a: string) => parts[partitionOf(a, k)]!;
          const both = async (to: Harness[], path: string, body: unknown) => {
            const x = await single.call('op', 'POST', path, body);
            for (const h of to) {
              const y = await h.call('op', 'POST', path, body);
              expect(y.status, `${path} ${JSON.stringify(body)}: ${JSON.stringify(y.body)}`).toBe(x.status);
            }
          };
          const marks = { ...MARK };
          await both(parts, '/v1/prices', { marks: { BTCUSDT: '60000', ETHUSDT: '3000' }, timeMs: T });
          for (const a of ACCOUNTS)
            await both([home(a)], '/v1/deposits', { account: a, asset: 'USDT', amount: '2000' });
          let t = T;
          for (const s of steps) {
            if (s.kind === 'deposit') {
              const a = ACCOUNTS[s.account]!;
              await both([home(a)], '/v1/deposits', { account: a, asset: 'USDT', amount: String(s.amount) });
            } else if (s.kind === 'prices') {
              marks.BTCUSDT = Math.round(MARK.BTCUSDT * (1 + s.btcPct / 100));
              marks.ETHUSDT = Math.round(MARK.ETHUSDT * (1 + s.ethPct / 100));
              await both(parts, '/v1/prices', {
                marks: { BTCUSDT: String(marks.BTCUSDT), ETHUSDT: String(marks.ETHUSDT) },
                timeMs: ++t,
              });
            } else {
              const buyer = ACCOUNTS[s.buyer]!;
              const seller = ACCOUNTS[s.seller]!;
              // a cluster refuses a fill across partitions: the script only has fills within one
              if (buyer === seller || partitionOf(buyer, k) !== partitionOf(seller, k)) continue;
              const market = MARKETS[s.market];
              const size = market === 'BTCUSDT' ? s.size / 40 : s.size / 4;
              await both([home(buyer)], '/v1/fills', {
                symbol: market,
                buyer: { account: buyer },
                seller: { account: seller },
                amount: String(size),
                price: String(Math.round(marks[market] * (1 + s.offPct / 1000))),
              });
            }
          }
          const adl = await get(single, '/v1/adl-queue');
          expect(adlShape(await gathered(parts, '/v1/adl-queue'))).toEqual(adlShape(adl));
          if (adl.markets.some((m: Body) => m.long.some((e: Body) => e.rank !== null))) seen.queued++;
          const map = await get(single, '/v1/risk/liquidation-map?stepPct=1&steps=60');
          expect(
            noSeq(await gathered(parts, '/v1/risk/liquidation-map', { stepPct: '1', steps: '60' })),
          ).toEqual(noSeq(map));
          if (map.markets.some((m: Body) => m.levels.some((l: Body) => l.positions > 0))) seen.banded++;
          // the default book (from the open interest) and a thin one, where the cascade runs on
          for (const symbol of MARKETS)
            for (const depth of [undefined, '0.02']) {
              const q = { symbol, movePct: String(movePct), ...(depth ? { depthPerPct: depth } : {}) };
              const ref = await get(single, `/v1/risk/cascade?${new URLSearchParams(q)}`);
              expect(cascadeShape(await gathered(parts, '/v1/risk/cascade', q))).toEqual(cascadeShape(ref));
              if (ref.afterCascade.positions > ref.firstRound.positions) seen.cascaded++;
            }
          expect(await gathered(parts, '/v1/socialized-losses')).toEqual(
            await get(single, '/v1/socialized-losses'),
          );
          const overview = ({ seq, timeMs, riskSeq, cursor, history, ...rest }: Body) => rest;
          expect(overview(await gathered(parts, '/v1/dashboard/overview'))).toEqual(
            overview(await get(single, '/v1/dashboard/overview')),
          );
        },
      ),
      { numRuns: propRuns(25) },
    );
    expect(seen.queued).toBeGreaterThan(0);
    expect(seen.cascaded).toBeGreaterThan(0);
    expect(seen.banded).toBeGreaterThan(0);
  }, 120_000);
});
