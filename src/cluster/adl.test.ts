/**
 * Cross-partition ADL, the pure half and the engine commands it drives: the ranks partitions
 * publish are the engine's own ADL order (a single process holding every account ranks them the
 * same way), the coordinator's plan takes from the best down and never more than a position
 * (property-tested against a naive reference), `adl_leg` clamps to what is left and refuses bad
 * input without a state change, and the whole protocol played over two or three engines (the
 * coordinator's steps in memory) ends with every account's positions and balances equal to one
 * engine holding them all.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { newVenue, ref, venueConfig } from '../../test/support/fixtures.ts';
import { Engine } from '../core/engine/engine.ts';
import { adlQueueView } from '../core/liquidation/adl-queue.ts';
import { min } from '../core/num/index.ts';
import { ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB, type AdlRank, planAdl, publishRanks } from './adl.ts';

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
const Q = 10n ** 9n;

/** A venue with the ADL clearing account: a long `a` and a short `b` of `size` BTC at 60,000. */
function clearingVenue(size = '0.01') {
  const e = Engine.create({ ...venueConfig(), adlClearing: { account: ADL_CLEARING_ACCOUNT } });
  e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'BTC-PERP': '60000' } });
  e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '100000' });
  e.executeOrThrow({ type: 'deposit', to: ref('b'), asset: 'USDC', amount: '100000' });
  e.executeOrThrow({
    type: 'fill',
    market: 'BTC-PERP',
    buyer: ref('a'),
    seller: ref('b'),
    size,
    price: '60000',
  });
  return e;
}

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
      10n ** 12n,
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
    // what each can give is its whole position
    expect(merged.map((l) => l.size)).toEqual([
      (4n * Q) / 10n,
      (3n * Q) / 10n,
      (3n * Q) / 10n,
      (2n * Q) / 10n,
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

  it('never offers a clearing subaccount', () => {
    const e = clearingVenue('0.1');
    // the pair subaccount takes b's short over by an ADL leg: a clearing position, never ranked
    e.executeOrThrow({
      type: 'adl_leg',
      market: 'BTC-PERP',
      subaccount: ref('a'),
      side: 'long',
      size: '0.05',
      value: '3000',
      clearing: ref(ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB),
    });
    e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '50000' } });
    expect(publishRanks(e.state, 0, 'BTC-PERP', 'long').map((r) => r.account)).toEqual(['b']);
  });
});

const rank = fc.record({
  partition: fc.integer({ min: 0, max: 3 }),
  account: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
  sub: fc.constantFrom('0', '1'),
  score: fc.bigInt({ min: 0n, max: 10n ** 15n }).map(String),
  size: fc.bigInt({ min: 1n, max: 10n ** 12n }).map(String),
});

describe('planAdl', () => {
  test.prop([
    fc.array(rank, { maxLength: 12 }),
    fc.bigInt({ min: 0n, max: 5n * 10n ** 12n }),
    fc.bigInt({ min: 0n, max: 10n ** 15n }),
  ])(
    'places min(size, Σ sizes), best score first, none over its size, values pro rata: as a naive greedy does',
    (ranks, size, value) => {
      const legs = planAdl(ranks, size, value);
      // naive reference: repeatedly pick the best remaining rank (max score, then smallest key)
      const left = ranks.map((r) => ({ ...r }));
      const expected: { account: string; size: bigint }[] = [];
      let rest = size;
      while (rest > 0n && left.length > 0) {
        let best = 0;
        for (let i = 1; i < left.length; i++) {
          const a = left[i]!;
          const b = left[best]!;
          const key = (x: typeof a) => `${String(x.partition).padStart(3, '0')}|${x.account}|${x.sub}`;
          if (BigInt(a.score) > BigInt(b.score) || (a.score === b.score && key(a) < key(b))) best = i;
        }
        const [r] = left.splice(best, 1);
        const take = BigInt(r!.size) < rest ? BigInt(r!.size) : rest;
        expected.push({ account: r!.account, size: take });
        rest -= take;
      }
      expect(legs.map((l) => ({ account: l.account, size: l.size }))).toEqual(expected);
      const total = ranks.reduce((s, r) => s + BigInt(r.size), 0n);
      const placed = legs.reduce((s, l) => s + l.size, 0n);
      expect(placed).toBe(min(size, total));
      const values = legs.reduce((s, l) => s + l.value, 0n);
      if (placed === size && size > 0n) expect(values).toBe(value);
      // each value is its share of `value` to within a unit of rounding (the last takes the rest)
      for (const l of legs.slice(0, placed === size ? -1 : undefined)) {
        const exact = l.size * value;
        expect(l.value * size - exact <= size && exact - l.value * size <= size).toBe(true);
      }
      // the order ranks arrive in does not matter
      expect(planAdl([...ranks].reverse(), size, value)).toEqual(legs);
    },
  );
});

describe('adl_leg', () => {
  const leg = (over: Record<string, unknown> = {}) => ({
    type: 'adl_leg',
    market: 'BTC-PERP',
    subaccount: ref('b'),
    side: 'short',
    size: '0.02',
    value: '1000',
    clearing: ref(ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB),
    ...over,
  });

  it('clamps to the position left: half the size, half the value, the clearing pair on the other side', () => {
    const e = clearingVenue();
    const b0 = e.state.subaccounts.get('b/0')!.balances.get('USDC')!;
    const r = e.execute(leg());
    expect(r).toMatchObject({ ok: true });
    const t = r.ok ? r.events.find((x) => x.type === 'traded') : undefined;
    // b bought back its 0.01 short (sold at 600, fee 0.12 paid) for 500: +100 realized
    expect(t).toMatchObject({ sizeQty9: Q / 100n, valueQuote: 500_000_000n, buyer: 'b/0', reason: 'adl' });
    expect(e.state.subaccounts.get('b/0')!.positions.get('BTC-PERP')?.size ?? 0n).toBe(0n);
    expect(e.state.subaccounts.get('b/0')!.balances.get('USDC')).toBe(b0 + 100_000_000n);
    expect(e.state.subaccounts.get(`${ADL_CLEARING_ACCOUNT}/0`)!.positions.get('BTC-PERP')).toMatchObject({
      size: -Q / 100n,
      entryValue: -500_000_000n,
    });
  });

  it('refuses an unknown scope, no opposite position, a foreign clearing side or no clearing account: typed, nothing changes', () => {
    const e = clearingVenue();
    const hash = e.stateHash();
    const seq = e.state.seq;
    const cases: [Record<string, unknown>, string][] = [
      [{ subaccount: ref('nobody') }, 'UNKNOWN_SUBACCOUNT'],
      [{ side: 'long' }, 'NOT_LIQUIDATABLE'], // b is short
      [{ subaccount: ref('b', '7') }, 'UNKNOWN_SUBACCOUNT'],
      [{ market: 'NOPE-PERP' }, 'UNKNOWN_MARKET'],
      [{ clearing: ref('mallory') }, 'MALFORMED_COMMAND'],
      [{ subaccount: ref(ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB) }, 'UNKNOWN_SUBACCOUNT'],
      [{ value: '-5' }, 'INVALID_AMOUNT'],
    ];
    for (const [over, code] of cases) {
      expect(e.execute(leg(over)), JSON.stringify(over)).toMatchObject({ ok: false, rejection: { code } });
    }
    expect(e.stateHash()).toBe(hash);
    expect(e.state.seq).toBe(seq);
    // a position of nothing: a's long closed first by a fill, then a leg for it
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('b'),
      seller: ref('a'),
      size: '0.01',
      price: '60000',
    });
    const after = e.stateHash();
    expect(e.execute(leg({ subaccount: ref('a'), side: 'long' }))).toMatchObject({
      ok: false,
      rejection: { code: 'NOT_LIQUIDATABLE' },
    });
    expect(e.stateHash()).toBe(after);
    // a single process (no clearing account) refuses every leg
    const single = newVenue();
    const h = single.stateHash();
    expect(single.execute(leg())).toMatchObject({ ok: false, rejection: { code: 'MALFORMED_COMMAND' } });
    expect(single.stateHash()).toBe(h);
  });
});

/**
 * The coordinator's steps (coordinator.ts) in memory, over `engines` (one per partition): every
 * clearing position is ranked across the partitions, its legs applied (counterparty's partition,
 * then the move off the clearing subaccount), what a clamped leg left ranked again, and the rest
 * liquidated to the backstop.
 */
function deleverageInMemory(engines: Engine[]): void {
  for (const e of engines) {
    for (const s of [...e.state.subaccounts.values()]) {
      if (s.ref.account !== ADL_CLEARING_ACCOUNT || s.ref.sub === ADL_PAIR_SUB) continue;
      const pos = [...s.positions.values()].find((x) => x.size !== 0n);
      if (!pos) continue;
      const side = pos.size > 0n ? 'long' : 'short';
      let left = pos.size > 0n ? pos.size : -pos.size;
      let valueLeft = pos.entryValue > 0n ? pos.entryValue : -pos.entryValue;
      for (let round = 0; round < 3 && left > 0n; round++) {
        const ranks = engines.flatMap((q, i) => publishRanks(q.state, i, pos.market, side));
        const legs = planAdl(ranks, left, valueLeft);
        if (legs.length === 0) break;
        for (const l of legs) {
          const r = engines[l.partition]!.execute({
            type: 'adl_leg',
            market: pos.market,
            subaccount: ref(l.account, l.sub),
            side: side === 'long' ? 'short' : 'long',
            size: fmt9(l.size),
            value: fmt6(l.value),
            clearing: ref(ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB),
          });
          const t = r.ok ? r.events.find((x) => x.type === 'traded') : undefined;
          if (t?.type !== 'traded') continue;
          const v = t.valueQuote < 0n ? -t.valueQuote : t.valueQuote;
          e.executeOrThrow({
            type: 'adl_leg',
            market: pos.market,
            subaccount: s.ref,
            side,
            size: fmt9(t.sizeQty9),
            value: fmt6(v),
            clearing: ref(ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB),
          });
          left -= t.sizeQty9;
          valueLeft -= v;
        }
      }
      if (left > 0n) e.executeOrThrow({ type: 'liquidate', subaccount: s.ref });
    }
  }
}
const fmt9 = (x: bigint) => `${x / Q}.${String(x % Q).padStart(9, '0')}`;
const fmt6 = (x: bigint) => `${x / 1_000_000n}.${String(x % 1_000_000n).padStart(6, '0')}`;

/** Every real account's balances and positions (size, entry) in `engines`, by subaccount key. */
function accounts(engines: Engine[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of engines) {
    for (const s of e.state.subaccounts.values()) {
      if (s.ref.account === ADL_CLEARING_ACCOUNT) continue;
      const positions = [...s.positions.values()]
        .filter((p) => p.size !== 0n)
        .map((p) => [p.market, p.size, p.entryValue]);
      const balances = [...s.balances].filter(([, v]) => v !== 0n);
      // the backstop of a partition that never used it is an empty copy
      if (positions.length === 0 && balances.length === 0 && out[s.key] !== undefined) continue;
      out[s.key] = { balances, positions };
    }
  }
  return out;
}

describe('ADL over partitions, against one engine', () => {
  // core/engine/loss-ledger.test.ts's bankruptcy: alice long 0.1 @ 60,000 with 997 USDC, −503 at
  // 45,000; nobody near her can take it (carol's and dave's shorts lose). Her counterparties are
  // the shorts `shorts` (each `size` @ 60,000 to g<name>, who lives with them), in other partitions.
  function play(
    home: (who: string) => number,
    n: number,
    shorts: [who: string, deposit: string, size: string][],
    between?: (engines: Engine[], at: (who: string) => Engine) => void,
  ) {
    const base = venueConfig({ backstop: ref('backstop') });
    const engines = Array.from({ length: n }, () =>
      Engine.create(n === 1 ? base : { ...base, adlClearing: { account: ADL_CLEARING_ACCOUNT } }),
    );
    const at = (who: string) => engines[n === 1 ? 0 : home(who)]!;
    const all = (c: Record<string, unknown>) => {
      for (const e of engines) e.executeOrThrow(c);
    };
    const fill = (buyer: string, seller: string, size: string, price: string, taker = 'buyer') =>
      at(buyer).executeOrThrow({
        type: 'fill',
        market: 'BTC-PERP',
        buyer: ref(buyer),
        seller: ref(seller),
        size,
        price,
        taker,
      });
    all({ type: 'prices', timeMs: 1, marks: { 'BTC-PERP': '60000' } });
    for (const [who, amount] of [
      ['backstop', '10000000'],
      ['alice', '1000'],
      ['bob', '100000'],
      ['carol', '10000'],
      ['dave', '10000'],
      ['erin', '10000'],
      ...shorts.flatMap(([w, d]) => [
        [w, d],
        [`g${w}`, '100000'],
      ]),
    ] as [string, string][])
      at(who).executeOrThrow({ type: 'deposit', to: ref(who), asset: 'USDC', amount });
    fill('alice', 'bob', '0.1', '60000');
    for (const [who, , size] of shorts) fill(`g${who}`, who, size, '60000');
    all({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '44000' } });
    fill('bob', 'carol', '0.1', '44000', 'seller');
    fill('erin', 'dave', '0.2', '44000');
    all({ type: 'prices', timeMs: 3, marks: { 'BTC-PERP': '45000' } });
    at('alice').executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 3 });
    between?.(engines, at);
    if (n > 1) deleverageInMemory(engines);
    const socialized = engines.reduce((s, e) => s + e.state.socializedLedger, 0n);
    return { engines, socialized, at };
  }
  // partition 0: alice and her neighbours; the shorts spread over the others, g<name> with <name>
  const homeOf =
    (n: number) =>
    (who: string): number =>
      ['alice', 'bob', 'carol', 'dave', 'erin', 'backstop'].includes(who)
        ? 0
        : 1 + (who.replace(/^g/, '').charCodeAt(0) % (n - 1));

  it('two partitions: frank then henry take 0.01 each at the bankruptcy price, the rest to the backstop; as one engine', () => {
    const shorts: [string, string, string][] = [
      ['henry', '50000', '0.01'],
      ['frank', '1000', '0.01'],
    ];
    const one = play(homeOf(2), 1, shorts);
    const two = play(homeOf(2), 2, shorts);
    expect(accounts(two.engines)).toEqual(accounts(one.engines));
    // hand arithmetic (core/liquidation/waterfall-plan.ts): bankruptcy value 4,500 + 503 = 5,003
    // for 0.1; frank and henry each buy back 0.01 for 500.3 (sold for 600, fee 0.12): +99.7;
    // the backstop takes 0.08 at the mark (3,600); 503 × 8/10 = 402.4 written off
    const bal = (e: Engine, k: string) => e.state.subaccounts.get(k)!.balances.get('USDC');
    expect(bal(one.engines[0]!, 'frank/0')).toBe(1_000_000_000n - 120_000n + 99_700_000n);
    expect(one.engines[0]!.state.subaccounts.get('backstop/0')!.positions.get('BTC-PERP')).toMatchObject({
      size: (8n * Q) / 100n,
      entryValue: 3_600_000_000n,
    });
    expect(one.socialized).toBe(-402_400_000n);
    expect(two.socialized).toBe(-402_400_000n);
    // the clearing pair subaccounts hold equal and opposite positions at the same value
    const pair = (e: Engine) =>
      e.state.subaccounts.get(`${ADL_CLEARING_ACCOUNT}/0`)?.positions.get('BTC-PERP');
    expect(pair(two.engines[0]!)).toMatchObject({ size: (2n * Q) / 100n, entryValue: 1_000_600_000n });
    expect(pair(two.engines[1]!)).toMatchObject({ size: (-2n * Q) / 100n, entryValue: -1_000_600_000n });
  });

  it('three partitions, the queue deep enough for all of it: nothing written off, as one engine', () => {
    const shorts: [string, string, string][] = [
      ['henry', '50000', '0.04'],
      ['frank', '1000', '0.01'],
      ['ivan', '20000', '0.03'],
      ['judy', '5000', '0.05'],
    ];
    const one = play(homeOf(3), 1, shorts);
    const three = play(homeOf(3), 3, shorts);
    expect(new Set(shorts.map(([w]) => homeOf(3)(w)))).toEqual(new Set([1, 2]));
    expect(accounts(three.engines)).toEqual(accounts(one.engines));
    expect(one.socialized).toBe(0n);
    expect(three.socialized).toBe(0n);
    const net = three.engines.reduce(
      (s, e) =>
        s + (e.state.subaccounts.get(`${ADL_CLEARING_ACCOUNT}/0`)?.positions.get('BTC-PERP')?.size ?? 0n),
      0n,
    );
    expect(net).toBe(0n);
  });

  it('a counterparty that shrank after the bankruptcy: its leg clamps, the next one takes the rest', () => {
    const shorts: [string, string, string][] = [
      ['frank', '1000', '0.05'],
      ['henry', '50000', '0.05'],
    ];
    // frank buys back 0.03 of his 0.05 before the coordinator's leg reaches him
    const shrink = (_: Engine[], at: (who: string) => Engine) =>
      at('frank').executeOrThrow({
        type: 'fill',
        market: 'BTC-PERP',
        buyer: ref('frank'),
        seller: ref('gfrank'),
        size: '0.03',
        price: '45000',
      });
    const two = play(homeOf(2), 2, shorts, shrink);
    const e1 = two.at('frank');
    // the plan gave frank 0.05 (ranked first, but he only has 0.02 left) and henry 0.05: frank's
    // leg closes his 0.02, henry's his 0.05, and a second round finds nobody for the last 0.03
    expect(e1.state.subaccounts.get('frank/0')!.positions.get('BTC-PERP')?.size ?? 0n).toBe(0n);
    expect(e1.state.subaccounts.get('henry/0')!.positions.get('BTC-PERP')?.size ?? 0n).toBe(0n);
    const backstop = two.engines[0]!.state.subaccounts.get('backstop/0')!.positions.get('BTC-PERP');
    expect(backstop?.size).toBe((3n * Q) / 100n);
    const k = [...two.engines[0]!.state.subaccounts.values()].filter(
      (s) => s.ref.account === ADL_CLEARING_ACCOUNT && s.ref.sub !== ADL_PAIR_SUB,
    );
    expect(k.map((s) => s.positions.get('BTC-PERP')?.size ?? 0n)).toEqual([0n]);
  });
});

describe('ADL over partitions, against one engine (random counterparties)', () => {
  const base = venueConfig({ backstop: ref('backstop') });
  const NEIGHBOURS = ['alice', 'bob', 'carol', 'dave', 'erin', 'backstop'];
  /** Counterparty i (short `milli` thousandths of BTC) lives in partition 1 + p. */
  const short = fc.record({
    milli: fc.integer({ min: 1, max: 60 }),
    /** USDC beyond the 10 % initial margin of its short at 60,000 (and the fee). */
    deposit: fc.integer({ min: 1, max: 50_000 }),
    p: fc.integer({ min: 0, max: 1 }),
  });
  test.prop([fc.array(short, { minLength: 1, maxLength: 5 }), fc.integer({ min: 2, max: 3 }), fc.boolean()], {
    numRuns: 40,
  })(
    'every account ends with the same balances and positions, and the same write-off (a bankrupt long or short)',
    (shorts, n, mirrored) => {
      // mirrored: alice short at 60,000, every other side swapped, the marks 76,000 then 75,000
      const [hi, at2] = mirrored ? ['76000', '75000'] : ['44000', '45000'];
      const trade = (buyer: string, seller: string): [string, string] =>
        mirrored ? [seller, buyer] : [buyer, seller];
      const names = shorts.map((x, i) => `s${i}p${1 + (x.p % (n - 1))}`);
      const home = (who: string) => (NEIGHBOURS.includes(who) ? 0 : Number(who.slice(who.indexOf('p') + 1)));
      const run = (parts: number) => {
        const engines = Array.from({ length: parts }, () =>
          Engine.create(parts === 1 ? base : { ...base, adlClearing: { account: ADL_CLEARING_ACCOUNT } }),
        );
        const at = (who: string) => engines[parts === 1 ? 0 : home(who.replace(/^g/, ''))]!;
        const all = (c: Record<string, unknown>) => {
          for (const e of engines) e.executeOrThrow(c);
        };
        const fill = (buyer: string, seller: string, size: string, price: string) =>
          at(buyer).executeOrThrow({
            type: 'fill',
            market: 'BTC-PERP',
            buyer: ref(buyer),
            seller: ref(seller),
            size,
            price,
          });
        all({ type: 'prices', timeMs: 1, marks: { 'BTC-PERP': '60000' } });
        const deposits: [string, string][] = [
          ['backstop', '10000000'],
          ['alice', '1000'],
          ['bob', '100000'],
          ['carol', '10000'],
          ['dave', '10000'],
          ['erin', '10000'],
        ];
        for (const [i, s] of shorts.entries())
          deposits.push([names[i]!, String(s.deposit + 7 * s.milli)], [`g${names[i]}`, '100000']);
        for (const [who, amount] of deposits)
          at(who).executeOrThrow({ type: 'deposit', to: ref(who), asset: 'USDC', amount });
        fill(...trade('alice', 'bob'), '0.1', '60000');
        for (const [i, s] of shorts.entries())
          fill(...trade(`g${names[i]}`, names[i]!), (s.milli / 1000).toFixed(3), '60000');
        all({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': hi } });
        fill(...trade('bob', 'carol'), '0.1', hi);
        fill(...trade('erin', 'dave'), '0.2', hi);
        all({ type: 'prices', timeMs: 3, marks: { 'BTC-PERP': at2 } });
        at('alice').executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 3 });
        if (parts > 1) deleverageInMemory(engines);
        return { engines, socialized: engines.reduce((x, e) => x + e.state.socializedLedger, 0n) };
      };
      const one = run(1);
      const many = run(n);
      expect(accounts(many.engines)).toEqual(accounts(one.engines));
      expect(many.socialized).toBe(one.socialized);
      // per market the clearing positions sum to zero over the partitions: Σ long = Σ short
      const net = many.engines.reduce(
        (x, e) =>
          x +
          [...e.state.subaccounts.values()]
            .filter((s) => s.ref.account === ADL_CLEARING_ACCOUNT)
            .reduce((y, s) => y + (s.positions.get('BTC-PERP')?.size ?? 0n), 0n),
        0n,
      );
      expect(net).toBe(0n);
    },
  );
});
