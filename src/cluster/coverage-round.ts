/**
 * The coordinator's decisions for one round of requests, as a pure function: the coordinator
 * takes every request waiting for it (fund contributions and shortfalls, however many partitions
 * ask), reads what the ledger knows about them in one PostgreSQL transaction, decides here, and
 * writes the decisions back in the same transaction — a bounded number of statements per round
 * instead of one transaction per request.
 *
 * The decisions are those of answering the requests one at a time in arrival order (the
 * property test checks it against that naive reference): a contribution raises the fund unless
 * its id is known (replayed); a shortfall (partition, total) already answered is answered from
 * its record (replayed); one at or below the partition's highest answered total is stale; else
 * the fund pays min(balance, total − highest answered) and that becomes the partition's highest.
 */

export type RoundRequest =
  | { readonly type: 'fund'; readonly id: string; readonly amount: bigint }
  | {
      readonly type: 'shortfall';
      readonly partition: number;
      readonly total: bigint;
      readonly market?: string;
      readonly side?: 'long' | 'short';
    };

/** What the ledger holds about a round's requests, read at the start of its transaction. */
export interface RoundLedger {
  readonly balance: bigint;
  /** Highest total answered per partition named in the round (absent: none). */
  readonly highest: ReadonlyMap<number, bigint>;
  /** Recorded payments for the round's (partition, total) pairs, keyed `partition:total`. */
  readonly answered: ReadonlyMap<string, bigint>;
  /** Contribution ids of the round already recorded. */
  readonly funded: ReadonlySet<string>;
}

export type RoundDecision =
  | { readonly kind: 'funded'; readonly amount: bigint; readonly replayed: boolean }
  | {
      readonly kind: 'covered';
      readonly partition: number;
      readonly total: bigint;
      readonly paid: bigint;
      readonly replayed: boolean;
    }
  | { readonly kind: 'stale'; readonly partition: number; readonly answered: bigint };

export interface NewCover {
  readonly partition: number;
  readonly total: bigint;
  readonly paid: bigint;
  readonly need: bigint;
  readonly market: string | null;
  readonly side: string | null;
}

export interface RoundResult {
  /** One per request, in order. */
  readonly decisions: readonly RoundDecision[];
  /** Rows to record. */
  readonly covers: readonly NewCover[];
  readonly funding: readonly { readonly id: string; readonly amount: bigint }[];
  /** The fund's balance after the round, and what the round added to `funded`. */
  readonly balance: bigint;
  readonly fundedDelta: bigint;
}

export const coverKey = (partition: number, total: bigint): string => `${partition}:${total}`;

export function decideRound(ledger: RoundLedger, requests: readonly RoundRequest[]): RoundResult {
  let balance = ledger.balance;
  let fundedDelta = 0n;
  const highest = new Map(ledger.highest);
  const answered = new Map(ledger.answered);
  const fundedIds = new Set(ledger.funded);
  const covers: NewCover[] = [];
  const funding: { id: string; amount: bigint }[] = [];
  const decisions: RoundDecision[] = requests.map((r): RoundDecision => {
    if (r.type === 'fund') {
      if (fundedIds.has(r.id)) return { kind: 'funded', amount: r.amount, replayed: true };
      fundedIds.add(r.id);
      funding.push({ id: r.id, amount: r.amount });
      balance += r.amount;
      fundedDelta += r.amount;
      return { kind: 'funded', amount: r.amount, replayed: false };
    }
    const key = coverKey(r.partition, r.total);
    const prior = answered.get(key);
    if (prior !== undefined)
      return { kind: 'covered', partition: r.partition, total: r.total, paid: prior, replayed: true };
    const high = highest.get(r.partition) ?? 0n;
    if (r.total <= high) return { kind: 'stale', partition: r.partition, answered: high };
    const need = r.total - high;
    const paid = need < balance ? need : balance;
    balance -= paid;
    highest.set(r.partition, r.total);
    answered.set(key, paid);
    covers.push({
      partition: r.partition,
      total: r.total,
      paid,
      need,
      market: r.market ?? null,
      side: r.side ?? null,
    });
    return { kind: 'covered', partition: r.partition, total: r.total, paid, replayed: false };
  });
  return { decisions, covers, funding, balance, fundedDelta };
}
