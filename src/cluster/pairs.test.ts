/**
 * Variation settlement of the ADL pair subaccounts (pairs.ts, engine command `settle_clearing`),
 * the coordinator's steps played in memory over two or three engines: after a round every pair
 * subaccount's unrealized PnL at the mark is 0 (−1 unit when the mark value is not whole: the
 * settlement rounds the value up, the engine's figure down), when the pairs are net
 * flat over the cluster every pair subaccount's cash is ≥ 0, and money is conserved (Σ
 * partitions' net deposits + the pool = what came in from outside), with repeats (a redelivered
 * round) changing nothing. Bad input is refused, typed, with no state change.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ref, venueConfig } from '../../test/support/fixtures.ts';
import { Engine } from '../core/engine/engine.ts';
import { ledgerSums } from '../core/engine/invariants.ts';
import { signedValue } from '../core/margin/contract-value.ts';
import { ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB } from './adl.ts';
import { outCommand, PAIR_TRANSIT_SUB, payCommand, planPayouts, settleCommand, settledOf } from './pairs.ts';

const Q = 10n ** 9n;
const fmt9 = (x: bigint) => `${x / Q}.${String(x % Q).padStart(9, '0')}`;
const fmt6 = (x: bigint) => `${x / 1_000_000n}.${String(x % 1_000_000n).padStart(6, '0')}`;
const PAIR = `${ADL_CLEARING_ACCOUNT}/${ADL_PAIR_SUB}`;

/** `n` partitions at 60,000, each with a long `u<p>` and a short `s<p>` of 1 BTC, well funded. */
function cluster(n: number): { engines: Engine[]; external: bigint } {
  const engines = Array.from({ length: n }, () =>
    Engine.create({ ...venueConfig(), adlClearing: { account: ADL_CLEARING_ACCOUNT } }),
  );
  for (const [p, e] of engines.entries()) {
    e.executeOrThrow({ type: 'prices', timeMs: 1, marks: { 'BTC-PERP': '60000' } });
    for (const who of [`u${p}`, `s${p}`])
      e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'USDC', amount: '1000000' });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref(`u${p}`),
      seller: ref(`s${p}`),
      size: '1',
      price: '60000',
    });
  }
  return { engines, external: BigInt(n) * 2_000_000n * 1_000_000n };
}

/**
 * One ADL leg as the coordinator makes it: `size` at `value` moved from partition `a`'s long
 * (its pair subaccount goes long) to partition `b`'s short (its pair subaccount goes short).
 */
function leg(engines: Engine[], a: number, b: number, size: bigint, value: bigint): void {
  const common = { market: 'BTC-PERP', size: fmt9(size), value: fmt6(value) };
  const clearing = ref(ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB);
  engines[a]!.executeOrThrow({
    type: 'adl_leg',
    ...common,
    subaccount: ref(`u${a}`),
    side: 'long',
    clearing,
  });
  engines[b]!.executeOrThrow({
    type: 'adl_leg',
    ...common,
    subaccount: ref(`s${b}`),
    side: 'short',
    clearing,
  });
}

/** The coordinator's record in memory: its pool, and what each round decided. */
interface Ledger {
  pool: bigint;
  round: number;
}

/** One settlement round over every partition (the coordinator's steps, pairs.ts). */
function settleRound(engines: Engine[], ledger: Ledger, round = ++ledger.round): void {
  const holes: { partition: number; need: bigint }[] = [];
  for (const [p, e] of engines.entries()) {
    const r = e.execute(settleCommand(round, p));
    if (!r.ok) {
      expect(r.rejection.code).toBe('UNKNOWN_SUBACCOUNT'); // never had a pair subaccount
      continue;
    }
    const { out, cash } = settledOf(r.events, e.state.subaccounts.get(PAIR)!.balances.get('USDC') ?? 0n);
    if (out > 0n) {
      const w = e.execute(outCommand(round, p, 'USDC', 6, out));
      expect(w.ok).toBe(true);
      if (w.ok && w.replayed !== true) ledger.pool += out;
    }
    if (cash < 0n) holes.push({ partition: p, need: -cash });
  }
  for (const { partition, pay } of planPayouts(holes, ledger.pool)) {
    const d = engines[partition]!.execute(payCommand(round, partition, 'USDC', 6, pay));
    if (d.ok && d.replayed !== true) ledger.pool -= pay;
  }
}

function mark(engines: Engine[], t: number, px: string): void {
  for (const e of engines) e.executeOrThrow({ type: 'prices', timeMs: t, marks: { 'BTC-PERP': px } });
}

/** Σ net deposits over the partitions + the pool: every partition conserves, and so does the cluster. */
function money(engines: Engine[], ledger: Ledger): bigint {
  let total = ledger.pool;
  for (const e of engines) {
    const s = ledgerSums(e.state).get('USDC')!;
    expect(s.ledger).toBe(s.netDeposits);
    total += s.netDeposits;
  }
  return total;
}

function pairOf(e: Engine) {
  return e.state.subaccounts.get(PAIR);
}

/** The pair subaccount's unrealized PnL at the mark, the engine's way (account/figures.ts). */
function pairPnl(e: Engine): bigint {
  const s = pairOf(e);
  let pnl = 0n;
  for (const p of s?.positions.values() ?? []) {
    const m = e.state.markets.get(p.market)!;
    pnl += signedValue(m.config, p.size, m.markPx8!, 6, 'floor') - p.entryValue;
  }
  return pnl;
}

const cash = (e: Engine) => pairOf(e)?.balances.get('USDC') ?? 0n;

describe('settle_clearing', () => {
  it('two partitions, the price up 10%: the short pair loses 500, the long pair gains 500, the pool moves it; PnL 0 at the mark', () => {
    const { engines, external } = cluster(2);
    leg(engines, 0, 1, Q / 10n, 6_000n * 1_000_000n); // 0.1 BTC at 60,000
    mark(engines, 2, '65000');
    expect(pairPnl(engines[0]!)).toBe(500_000_000n);
    expect(pairPnl(engines[1]!)).toBe(-500_000_000n);
    const ledger = { pool: 0n, round: 0 };
    settleRound(engines, ledger);
    for (const e of engines) {
      expect(pairPnl(e)).toBe(0n);
      expect(cash(e)).toBe(0n);
    }
    expect(pairOf(engines[0]!)!.positions.get('BTC-PERP')!.entryValue).toBe(6_500n * 1_000_000n);
    expect(pairOf(engines[1]!)!.positions.get('BTC-PERP')!.entryValue).toBe(-6_500n * 1_000_000n);
    expect(ledger.pool).toBe(0n);
    expect(money(engines, ledger)).toBe(external);
    // open interest unchanged (2 partitions × 1 BTC), the transit subaccount flat and empty
    for (const e of engines) {
      expect(e.state.markets.get('BTC-PERP')!.openInterestQty9).toBe(Q);
      const t = e.state.subaccounts.get(`${ADL_CLEARING_ACCOUNT}/${PAIR_TRANSIT_SUB}`)!;
      expect(t.positions.size).toBe(0);
      expect(t.balances.get('USDC') ?? 0n).toBe(0n);
    }
  });

  it('a redelivered round (the same command ids) changes nothing', () => {
    const { engines, external } = cluster(2);
    leg(engines, 0, 1, Q / 10n, 6_000n * 1_000_000n);
    mark(engines, 2, '55000');
    const ledger = { pool: 0n, round: 0 };
    settleRound(engines, ledger);
    const hashes = engines.map((e) => e.stateHash());
    settleRound(engines, ledger, 1);
    expect(engines.map((e) => e.stateHash())).toEqual(hashes);
    expect(money(engines, ledger)).toBe(external);
    expect(cash(engines[0]!)).toBe(0n);
  });

  it('refuses an unknown subaccount, a subaccount not of the clearing account, transit = itself, no clearing account: typed, nothing changes', () => {
    const { engines } = cluster(2);
    const e = engines[0]!;
    const hash = e.stateHash();
    const clearing = (sub: string) => ref(ADL_CLEARING_ACCOUNT, sub);
    const tries: [Record<string, unknown>, string][] = [
      [{ ...settleCommand(1, 0), subaccount: clearing('nobody') }, 'UNKNOWN_SUBACCOUNT'],
      [{ ...settleCommand(1, 0), subaccount: ref('u0') }, 'MALFORMED_COMMAND'],
      [{ ...settleCommand(1, 0), transit: ref('u0') }, 'MALFORMED_COMMAND'],
    ];
    leg(engines, 0, 1, Q / 10n, 6_000n * 1_000_000n);
    const after = e.stateHash();
    expect(after).not.toBe(hash);
    tries.push([{ ...settleCommand(1, 0), transit: clearing(ADL_PAIR_SUB) }, 'SAME_SUBACCOUNT']);
    for (const [c, code] of tries) {
      // without its command id (a rejection under an id is remembered: a state change by design)
      const { commandId: _id, ...bare } = c;
      const r = e.execute(bare);
      expect(r.ok ? 'ok' : r.rejection.code).toBe(code);
      expect(e.stateHash()).toBe(after);
    }
    const plain = Engine.create(venueConfig());
    const r = plain.execute(settleCommand(1, 0));
    expect(r.ok ? 'ok' : r.rejection.code).toBe('MALFORMED_COMMAND');
  });
});

describe('settlement rounds over partitions (random legs and prices)', () => {
  const step = fc.oneof(
    fc.record({
      kind: fc.constant('leg' as const),
      a: fc.nat(2),
      b: fc.nat(2),
      size: fc.bigInt(1n, Q / 5n),
      px: fc.integer({ min: 40_000, max: 80_000 }),
    }),
    fc.record({ kind: fc.constant('price' as const), px: fc.integer({ min: 57_000, max: 63_000 }) }),
    fc.record({ kind: fc.constant('settle' as const), repeat: fc.boolean() }),
  );

  test.prop([fc.integer({ min: 2, max: 3 }), fc.array(step, { maxLength: 20 })], { numRuns: 60 })(
    'after each round: PnL 0 at the mark, cash ≥ 0 (the pairs net flat), money conserved; a repeat changes nothing',
    (n, steps) => {
      const { engines, external } = cluster(n);
      const ledger = { pool: 0n, round: 0 };
      let t = 2;
      for (const s of steps) {
        if (s.kind === 'leg') {
          const a = s.a % n;
          const b = s.b % n;
          if (a === b) continue;
          // value = size × px (USDC units), as the bankruptcy value of the leg
          leg(engines, a, b, s.size, (s.size * BigInt(s.px) * 1_000_000n) / Q || 1n);
        } else if (s.kind === 'price') {
          mark(engines, t++, String(s.px));
        } else {
          settleRound(engines, ledger);
          if (s.repeat) {
            const hashes = engines.map((e) => e.stateHash());
            settleRound(engines, ledger, ledger.round);
            expect(engines.map((e) => e.stateHash())).toEqual(hashes);
          }
          for (const e of engines) {
            expect(pairPnl(e)).toBeGreaterThanOrEqual(-1n);
            expect(pairPnl(e)).toBeLessThanOrEqual(0n);
            expect(cash(e)).toBeGreaterThanOrEqual(0n);
          }
          expect(ledger.pool).toBeGreaterThanOrEqual(0n);
        }
        expect(money(engines, ledger)).toBe(external);
      }
      // the pairs are net flat over the cluster throughout
      let net = 0n;
      for (const e of engines) net += pairOf(e)?.positions.get('BTC-PERP')?.size ?? 0n;
      expect(net).toBe(0n);
    },
  );
});
