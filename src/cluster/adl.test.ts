/**
 * Cross-partition ADL, the pure half: the ranks partitions publish are the engine's own ADL order
 * (a single process holding every account ranks them the same way), the coordinator's plan takes
 * from the best down and never more than a counterparty can give (property-tested against a
 * naive reference), and the write-off's market and side are read from the waterfall's events.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { newVenue, ref, venueConfig } from '../../test/support/fixtures.ts';
import { Engine } from '../core/engine/engine.ts';
import { adlQueueView } from '../core/liquidation/adl-queue.ts';
import { min } from '../core/num/index.ts';
import { type AdlRank, lossContext, planAdl, publishRanks } from './adl.ts';

type Fill = [buyer: string, seller: string, size: string, price: string];

/** A venue at 60,000 with `deposits` and `fills`, then BTC marked at 50,000. */
function venue(deposits: [string, string][], fills: Fill[]): Engine {
  const e = newVenue();
  for (const [who, amount] of deposits)
    e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'USDC', amount });
  for (const [buyer, seller, size, price] of fills)
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref(buyer),
      seller: ref(seller),
      size,
      price,
    });
  e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '50000' } });
  return e;
}

// core/liquidation/adl-queue.test.ts's venue: alice long 1 BTC from s1 0.3 @ 60,000 (100,000
// USDC), s2 0.3 @ 62,000 (20,000), s3 0.4 @ 64,000 (3,000); carol long 0.2 from mm @ 60,000.
const DEPOSITS: [string, string][] = [
  ['alice', '10000'],
  ['bob', '10000'],
  ['carol', '2000'],
  ['s1', '100000'],
  ['s2', '20000'],
  ['s3', '3000'],
  ['mm', '100000'],
];

describe('publishRanks', () => {
  it('split over two partitions, the merged ranks are the single process ADL order, score for score', () => {
    const single = venue(DEPOSITS, [
      ['alice', 's1', '0.3', '60000'],
      ['alice', 's2', '0.3', '62000'],
      ['alice', 's3', '0.4', '64000'],
      ['carol', 'mm', '0.2', '60000'],
    ]);
    // the same shorts, their longs split: partition 0 holds s1 and s3, partition 1 s2 and mm
    const p0 = venue(DEPOSITS, [
      ['alice', 's1', '0.3', '60000'],
      ['alice', 's3', '0.4', '64000'],
    ]);
    const p1 = venue(DEPOSITS, [
      ['bob', 's2', '0.3', '62000'],
      ['carol', 'mm', '0.2', '60000'],
    ]);
    const merged = planAdl(
      [...publishRanks(p1.state, 1, 'BTC-PERP', 'long'), ...publishRanks(p0.state, 0, 'BTC-PERP', 'long')],
      10n ** 30n,
    );
    const [btc] = adlQueueView(single.state, 'BTC-PERP');
    // the hand order of adl-queue.test.ts: s3 0.509, s2 0.123, s1 0.0243, mm 0.0163
    expect(merged.map((l) => l.account)).toEqual(['s3', 's2', 's1', 'mm']);
    expect(btc!.short.filter((x) => x.rank !== null).map((x) => x.account)).toEqual(['s3', 's2', 's1', 'mm']);
    expect(merged.map((l) => l.partition)).toEqual([0, 1, 0, 1]);
    const scores = (rs: AdlRank[]) => Object.fromEntries(rs.map((r) => [r.account, r.score]));
    const all = {
      ...scores(publishRanks(p0.state, 0, 'BTC-PERP', 'long')),
      ...scores(publishRanks(p1.state, 1, 'BTC-PERP', 'long')),
    };
    expect(all).toEqual(scores(publishRanks(single.state, 0, 'BTC-PERP', 'long')));
    // what each can give is its profit at 50,000 (its free collateral is larger):
    // s3 0.4 × 14,000 = 5,600; s2 0.3 × 12,000 = 3,600; s1 0.3 × 10,000 = 3,000; mm 0.2 × 10,000 = 2,000
    expect(merged.map((l) => l.amount)).toEqual([
      5_600_000_000n,
      3_600_000_000n,
      3_000_000_000n,
      2_000_000_000n,
    ]);
  });

  it('offers nobody for a losing side, an unknown market or one without a mark; never a reserved account', () => {
    const e = venue(DEPOSITS, [['alice', 's1', '0.3', '60000']]);
    // a bankrupt short's counterparties are longs: alice is losing at 50,000
    expect(publishRanks(e.state, 0, 'BTC-PERP', 'short')).toEqual([]);
    expect(publishRanks(e.state, 0, 'NOPE-PERP', 'long')).toEqual([]);
    expect(publishRanks(e.state, 0, 'BTC-PERP', 'long').map((r) => r.account)).toEqual(['s1']);
    expect(publishRanks(e.state, 0, 'BTC-PERP', 'long', new Set(['s1']))).toEqual([]);
    const bare = Engine.create(venueConfig());
    expect(publishRanks(bare.state, 0, 'BTC-PERP', 'long')).toEqual([]);
  });

  it('caps what a counterparty gives at its free collateral', () => {
    // s3 with 3,000 USDC short 0.4 @ 64,000 at 50,000 holds 5,600 of profit; at 62,000 only 800,
    // and with 100 USDC of its own its free collateral is 100 − 5.12 fee + 800 − 10 % × 24,800 < 0
    const e = newVenue();
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '100000' });
    e.executeOrThrow({ type: 'deposit', to: ref('s3'), asset: 'USDC', amount: '3000' });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('s3'),
      size: '0.4',
      price: '64000',
    });
    e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '62000' } });
    // equity 3,000 − 5.12 + 800 = 3,794.88; initial margin 10 % × 24,800 = 2,480: free 1,314.88 > 800
    expect(publishRanks(e.state, 0, 'BTC-PERP', 'long').map((r) => r.available)).toEqual(['800000000']);
    e.executeOrThrow({ type: 'withdraw', from: ref('s3'), asset: 'USDC', amount: '1000' });
    // free collateral 314.88 < 800: it can give 314.88
    expect(publishRanks(e.state, 0, 'BTC-PERP', 'long').map((r) => r.available)).toEqual(['314880000']);
  });
});

const rank = fc.record({
  partition: fc.integer({ min: 0, max: 3 }),
  account: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
  sub: fc.constantFrom('0', '1'),
  score: fc.bigInt({ min: 0n, max: 10n ** 15n }).map(String),
  available: fc.bigInt({ min: 0n, max: 10n ** 12n }).map(String),
});

describe('planAdl', () => {
  test.prop([fc.array(rank, { maxLength: 12 }), fc.bigInt({ min: 0n, max: 5n * 10n ** 12n })])(
    'takes min(need, Σ available), best score first, none over its available: as a naive greedy does',
    (ranks, need) => {
      const legs = planAdl(ranks, need);
      // naive reference: repeatedly pick the best remaining rank (max score, then smallest key)
      const left = ranks.map((r) => ({ ...r }));
      const expected: { account: string; amount: bigint }[] = [];
      let rest = need;
      while (rest > 0n && left.length > 0) {
        let best = 0;
        for (let i = 1; i < left.length; i++) {
          const a = left[i]!;
          const b = left[best]!;
          const key = (x: typeof a) => `${String(x.partition).padStart(3, '0')}|${x.account}|${x.sub}`;
          if (BigInt(a.score) > BigInt(b.score) || (a.score === b.score && key(a) < key(b))) best = i;
        }
        const [r] = left.splice(best, 1);
        const take = BigInt(r!.available) < rest ? BigInt(r!.available) : rest;
        if (take > 0n) expected.push({ account: r!.account, amount: take });
        rest -= take;
      }
      expect(legs.map((l) => ({ account: l.account, amount: l.amount }))).toEqual(expected);
      const total = ranks.reduce((s, r) => s + BigInt(r.available), 0n);
      expect(legs.reduce((s, l) => s + l.amount, 0n)).toBe(min(need, total));
      expect(legs.map((l) => l.leg)).toEqual(legs.map((_, i) => i));
      // the order ranks arrive in does not matter
      expect(planAdl([...ranks].reverse(), need)).toEqual(legs);
    },
  );
});

describe('lossContext', () => {
  it('reads the market and the bankrupt side of a write-off from the waterfall events', () => {
    // core/engine/loss-ledger.test.ts's venue: alice long 0.1 @ 60,000 written off (−503) at 45,000
    const e = Engine.create(venueConfig());
    e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'BTC-PERP': '60000' } });
    e.executeOrThrow({ type: 'deposit', to: ref('backstop'), asset: 'USDC', amount: '10000000' });
    for (const [who, amount] of [
      ['alice', '1000'],
      ['bob', '100000'],
      ['carol', '10000'],
      ['dave', '10000'],
      ['erin', '10000'],
    ] as const)
      e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'USDC', amount });
    const fill = (buyer: string, seller: string, size: string, price: string, taker: 'buyer' | 'seller') =>
      e.executeOrThrow({
        type: 'fill',
        market: 'BTC-PERP',
        buyer: ref(buyer),
        seller: ref(seller),
        size,
        price,
        taker,
      });
    fill('alice', 'bob', '0.1', '60000', 'buyer');
    e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '44000' } });
    fill('bob', 'carol', '0.1', '44000', 'seller');
    fill('erin', 'dave', '0.2', '44000', 'buyer');
    const before = e.executeOrThrow({ type: 'prices', timeMs: 3, marks: { 'BTC-PERP': '45000' } });
    expect(lossContext(before)).toBeUndefined();
    const events = e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 3 });
    expect(e.state.socializedLedger).toBe(-503_000_000n);
    expect(lossContext(events)).toEqual({ market: 'BTC-PERP', side: 'long' });
  });

  it('a short written off is a short; no write-off, no context', () => {
    const events = [
      { type: 'liquidation_started', sub: 'x/0', mode: 'bankrupt' },
      { type: 'moved', reason: 'socialized_loss' },
      { type: 'traded', market: 'ETH-PERP', buyer: 'x/0', seller: 'backstop/0' },
    ];
    expect(lossContext(events)).toEqual({ market: 'ETH-PERP', side: 'short' });
    expect(lossContext(events.filter((e) => e.type !== 'moved'))).toBeUndefined();
    expect(
      lossContext([{ type: 'liquidation_started', sub: 'x/0', mode: 'partial' }, ...events.slice(1)]),
    ).toBeUndefined();
  });
});
