/**
 * The coordinator's rounds against the naive reference — the ledger answering one request at a
 * time, as the coordinator did before it took requests in rounds (one transaction each: read the
 * fund and the partition's last answer, pay min(fund, new − old), record). Random request
 * sequences (repeated contribution ids, repeated and stale totals, several partitions) are cut
 * into random rounds; a round may crash before its transaction commits (nothing recorded), its
 * requests then delivered again later. The decisions of every committed request and the final
 * ledger must equal the reference run over the committed order, and the fund must conserve.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  coverKey,
  decideRound,
  type RoundDecision,
  type RoundLedger,
  type RoundRequest,
} from './coverage-round.ts';

/** The stored ledger, as the coordinator's tables hold it. */
class Ledger {
  balance = 0n;
  funded = 0n;
  readonly funding = new Map<string, bigint>();
  /** key → paid, with its partition and total */
  readonly covers = new Map<string, { partition: number; total: bigint; paid: bigint }>();

  highest(partition: number): bigint {
    let m = 0n;
    for (const c of this.covers.values()) if (c.partition === partition && c.total > m) m = c.total;
    return m;
  }

  /** The naive reference: one request, as one transaction of the old coordinator. */
  naive(r: RoundRequest): RoundDecision {
    if (r.type === 'fund') {
      if (this.funding.has(r.id)) return { kind: 'funded', amount: r.amount, replayed: true };
      this.funding.set(r.id, r.amount);
      this.balance += r.amount;
      this.funded += r.amount;
      return { kind: 'funded', amount: r.amount, replayed: false };
    }
    const prior = this.covers.get(coverKey(r.partition, r.total));
    if (prior)
      return { kind: 'covered', partition: r.partition, total: r.total, paid: prior.paid, replayed: true };
    const answered = this.highest(r.partition);
    if (r.total <= answered) return { kind: 'stale', partition: r.partition, answered };
    const need = r.total - answered;
    let paid = need;
    if (this.balance < paid) paid = this.balance;
    this.covers.set(coverKey(r.partition, r.total), { partition: r.partition, total: r.total, paid });
    this.balance -= paid;
    return { kind: 'covered', partition: r.partition, total: r.total, paid, replayed: false };
  }

  /** What the coordinator's round reads for `requests` (the same selections as its SQL). */
  read(requests: readonly RoundRequest[]): RoundLedger {
    const highest = new Map<number, bigint>();
    const answered = new Map<string, bigint>();
    const funded = new Set<string>();
    for (const r of requests) {
      if (r.type === 'fund') {
        if (this.funding.has(r.id)) funded.add(r.id);
        continue;
      }
      const h = this.highest(r.partition);
      if (h > 0n) highest.set(r.partition, h);
      const c = this.covers.get(coverKey(r.partition, r.total));
      if (c) answered.set(coverKey(r.partition, r.total), c.paid);
    }
    return { balance: this.balance, highest, answered, funded };
  }

  /** Records a round's result (its transaction's writes); the keys are new, as the primary keys demand. */
  record(out: ReturnType<typeof decideRound>): void {
    for (const f of out.funding) {
      expect(this.funding.has(f.id)).toBe(false);
      this.funding.set(f.id, f.amount);
    }
    for (const c of out.covers) {
      expect(this.covers.has(coverKey(c.partition, c.total))).toBe(false);
      this.covers.set(coverKey(c.partition, c.total), {
        partition: c.partition,
        total: c.total,
        paid: c.paid,
      });
    }
    expect(out.balance).toBeGreaterThanOrEqual(0n);
    this.balance = out.balance;
    this.funded += out.fundedDelta;
  }

  conserves(): boolean {
    let paid = 0n;
    for (const c of this.covers.values()) paid += c.paid;
    let funded = 0n;
    for (const a of this.funding.values()) funded += a;
    return this.balance + paid === this.funded && this.funded === funded;
  }
}

const request: fc.Arbitrary<RoundRequest> = fc.oneof(
  fc.record({
    type: fc.constant('fund' as const),
    id: fc.constantFrom('f1', 'f2', 'f3', 'f4', 'f5'),
    amount: fc.bigInt({ min: 1n, max: 1000n }),
  }),
  fc.record({
    type: fc.constant('shortfall' as const),
    partition: fc.integer({ min: 0, max: 3 }),
    total: fc.bigInt({ min: 1n, max: 2000n }),
  }),
);

describe('coverage rounds', () => {
  test.prop([
    fc.array(request, { maxLength: 60 }),
    fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 30 }),
    fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }),
  ])(
    'decide as the naive one-at-a-time reference over the committed order, also when rounds crash before committing',
    (requests, sizes, crashes) => {
      const stored = new Ledger();
      const committed: RoundRequest[] = [];
      const decided: RoundDecision[] = [];
      let queue = [...requests];
      for (let round = 0; queue.length > 0; round++) {
        const taken = queue.slice(0, sizes[round % sizes.length]);
        queue = queue.slice(taken.length);
        const out = decideRound(stored.read(taken), taken);
        expect(out.decisions.length).toBe(taken.length);
        // a crash before the commit: nothing recorded, the requests come again after the others
        // (crashes stop after a while, as a restarted coordinator eventually commits)
        if (round < 40 && crashes[round % crashes.length] === true) {
          queue.push(...taken);
          continue;
        }
        stored.record(out);
        committed.push(...taken);
        decided.push(...out.decisions);
      }
      const reference = new Ledger();
      expect(decided).toEqual(committed.map((r) => reference.naive(r)));
      expect(stored.balance).toBe(reference.balance);
      expect(stored.funded).toBe(reference.funded);
      expect([...stored.covers].sort()).toEqual([...reference.covers].sort());
      expect(stored.conserves()).toBe(true);
    },
  );

  it('pays in arrival order within a round: a contribution before a shortfall pays it, after it does not', () => {
    const empty: RoundLedger = { balance: 0n, highest: new Map(), answered: new Map(), funded: new Set() };
    const before = decideRound(empty, [
      { type: 'fund', id: 'f', amount: 100n },
      { type: 'shortfall', partition: 0, total: 60n },
      { type: 'shortfall', partition: 1, total: 60n },
      { type: 'shortfall', partition: 0, total: 60n },
    ]);
    expect(before.decisions.slice(1)).toEqual([
      { kind: 'covered', partition: 0, total: 60n, paid: 60n, replayed: false },
      { kind: 'covered', partition: 1, total: 60n, paid: 40n, replayed: false },
      { kind: 'covered', partition: 0, total: 60n, paid: 60n, replayed: true },
    ]);
    expect(before.balance).toBe(0n);
    const after = decideRound(empty, [
      { type: 'shortfall', partition: 0, total: 60n },
      { type: 'fund', id: 'f', amount: 100n },
    ]);
    expect(after.decisions[0]).toEqual({
      kind: 'covered',
      partition: 0,
      total: 60n,
      paid: 0n,
      replayed: false,
    });
    expect(after.balance).toBe(100n);
  });
});
