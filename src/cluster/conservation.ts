/**
 * The cluster's money invariant, exact (bigint), read from what is durable in PostgreSQL:
 * 1. each partition's engine, replayed read-only from its journal, satisfies its own ledger
 *    invariant: per asset, Σ of its ledgers = its net deposits (core/engine/invariants.ts);
 * 2. the coordinator's fund: balance + Σ paid = Σ funded;
 * 3. what the coordinator paid each partition is what sits in that partition's cover account
 *    (a difference is a cover in flight: published, not yet applied);
 * so, per asset, Σ partitions' ledgers + the fund's balance + covers in flight = money that came
 * in from outside: nothing created or destroyed between partitions. Cross-partition ADL's legs
 * move no money between partitions (each leg's cash stays in its own partition's ledgers); pair
 * settlement does, through the coordinator's pool (5. below).
 * 4. Positions, per market: every trade inside a partition is two-sided, so the cluster's
 *    accounts are long as much as short exactly when the clearing account's positions (adl.ts)
 *    sum to zero over the partitions. They do once every clearing position is deleveraged; while
 *    one is open the sum is what the coordinator's record says is still to be placed, less what
 *    may have applied without its answer being recorded yet (legs in flight, and the rest's
 *    liquidation of an open one). A clearing position the coordinator has no record of yet (its
 *    report in flight) counts at its size. A finished one's clearing subaccount holds exactly its
 *    size less what was moved and what the rest's liquidation closed.
 * 5. Pair settlement (pairs.ts) moves money between partitions through the coordinator's pool:
 *    Σ partitions' ledgers + fund + covers in flight + pool + pair money in flight = money from
 *    outside (pairMoney says how in-flight amounts are counted).
 */
import { Engine } from '../core/engine/engine.ts';
import { ledgerSums } from '../core/engine/invariants.ts';
import { PostgresJournal } from '../store/postgres-journal.ts';
import { type ClearingRecord, type PairStepRecord, readCoordinatorLedger } from './coordinator.ts';
import type { ClusterNames } from './names.ts';
import { pairsCommandId } from './pairs.ts';
import { ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB, COVER_ACCOUNT } from './partition.ts';

export interface PartitionMoney {
  readonly partition: number;
  readonly seq: number;
  readonly stateHash: string;
  /** Per asset: Σ ledgers and net deposits (equal when the partition conserves). */
  readonly assets: Record<string, { ledger: bigint; netDeposits: bigint }>;
  /** Settlement units in the partition's cover account. */
  readonly cover: bigint;
  /** Settlement units written off (−socialized ledger). */
  readonly shortfall: bigint;
  /** The clearing account's positions: per subaccount, per market, signed size (qty9). */
  readonly clearing: Record<string, Record<string, bigint>>;
  /** The coordinator's pair settlement command ids (`pairs:`) the partition's engine applied. */
  readonly pairIds: ReadonlySet<string>;
}

export interface ConservationReport {
  readonly ok: boolean;
  readonly problems: string[];
  readonly partitions: PartitionMoney[];
  /** The fund: `paid` is what it paid (ADL payments are in `adl`). */
  readonly fund: { balance: bigint; funded: bigint; paid: bigint };
  /**
   * Cross-partition ADL, per market: the clearing account's positions summed over the partitions
   * (signed qty9; 0 when Σ long = Σ short over the cluster's accounts), and the size of legs in
   * flight (planned or sent, no answer recorded).
   */
  readonly adl: Record<string, { clearing: bigint; inFlight: bigint }>;
  /** Settlement units paid by the coordinator and not yet in a cover account. */
  readonly inFlight: bigint;
  /**
   * Pair settlement (pairs.ts): the coordinator's pool, and settlement units in flight: withdrawn
   * from a transit subaccount but not yet recorded as out (`out`), or recorded as paid but not
   * yet deposited (`pay`).
   */
  readonly pairs: { pool: bigint; out: bigint; pay: bigint };
  /** Per asset: Σ partitions' ledgers + fund balance (settlement asset). */
  readonly total: Record<string, bigint>;
  /** Per asset: money from outside (net deposits − covers received + funded). */
  readonly external: Record<string, bigint>;
}

export async function checkConservation(
  pgUrl: string,
  names: ClusterNames,
  partitions: number,
): Promise<ConservationReport> {
  const problems: string[] = [];
  const parts: PartitionMoney[] = [];
  const total: Record<string, bigint> = {};
  const external: Record<string, bigint> = {};
  let settlement = '';
  for (let p = 0; p < partitions; p++) {
    const journal = await PostgresJournal.open(pgUrl, { schema: names.partitionSchema(p), readOnly: true });
    try {
      const engine = Engine.open(journal);
      const st = engine.state;
      settlement = st.settlement.id;
      const assets: Record<string, { ledger: bigint; netDeposits: bigint }> = {};
      for (const [asset, s] of ledgerSums(st)) {
        assets[asset] = { ledger: s.ledger, netDeposits: s.netDeposits };
        if (s.ledger !== s.netDeposits) {
          problems.push(`partition ${p} ${asset}: ledgers ${s.ledger} ≠ net deposits ${s.netDeposits}`);
        }
        total[asset] = (total[asset] ?? 0n) + s.ledger;
        external[asset] = (external[asset] ?? 0n) + s.netDeposits;
      }
      let cover = 0n;
      const clearing: Record<string, Record<string, bigint>> = {};
      for (const s of st.subaccounts.values()) {
        if (s.ref.account === COVER_ACCOUNT) cover += s.balances.get(settlement) ?? 0n;
        if (s.ref.account !== ADL_CLEARING_ACCOUNT) continue;
        for (const pos of s.positions.values()) {
          if (pos.size === 0n) continue;
          clearing[s.ref.sub] ??= {};
          clearing[s.ref.sub]![pos.market] = pos.size;
        }
      }
      external[settlement] = (external[settlement] ?? 0n) - cover;
      const pairIds = new Set<string>();
      for (const id of st.commandIds.keys()) if (id.startsWith('pairs:')) pairIds.add(id);
      parts.push({
        partition: p,
        pairIds,
        seq: st.seq,
        stateHash: engine.stateHash(),
        assets,
        cover,
        shortfall: -st.socializedLedger,
        clearing,
      });
    } catch (err) {
      problems.push(`partition ${p}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await journal.closeAsync();
    }
  }
  const ledger = await readCoordinatorLedger(pgUrl, names);
  let paid = 0n;
  let inFlight = 0n;
  for (const [p, amount] of ledger.paid) {
    paid += amount;
    const got = parts.find((x) => x.partition === p)?.cover ?? 0n;
    if (got > amount)
      problems.push(`partition ${p} holds cover ${got} > the ${amount} the coordinator paid it`);
    inFlight += amount - got;
  }
  for (const x of parts) {
    if (x.cover > 0n && !ledger.paid.has(x.partition))
      problems.push(`partition ${x.partition} holds cover nobody paid`);
  }
  if (ledger.balance + ledger.fundPaid !== ledger.funded) {
    problems.push(`fund: balance ${ledger.balance} + paid ${ledger.fundPaid} ≠ funded ${ledger.funded}`);
  }
  if (paid !== ledger.fundPaid) problems.push(`covers: paid ${paid} ≠ paid from the fund ${ledger.fundPaid}`);
  const adl = checkClearing(parts, ledger.clearings, problems);
  const pairs = pairMoney(parts, ledger.pairSteps, ledger.pairPool, problems);
  if (settlement !== '') {
    total[settlement] =
      (total[settlement] ?? 0n) + ledger.balance + inFlight + pairs.pool + pairs.out + pairs.pay;
    // the pairs' withdrawals and deposits are in the partitions' net deposits: not from outside
    external[settlement] = (external[settlement] ?? 0n) + ledger.funded + pairs.applied;
    for (const asset of Object.keys(total)) {
      if (total[asset] !== external[asset])
        problems.push(`${asset}: cluster total ${total[asset]} ≠ external ${external[asset]}`);
    }
  }
  return {
    ok: problems.length === 0,
    problems,
    partitions: parts,
    fund: { balance: ledger.balance, funded: ledger.funded, paid: ledger.fundPaid },
    adl,
    inFlight,
    pairs: { pool: pairs.pool, out: pairs.out, pay: pairs.pay },
    total,
    external,
  };
}

/**
 * Invariant 5 (pair settlement, pairs.ts): the money a round moves between partitions is, at every
 * moment, in exactly one place: in a partition (its transit or pair subaccount, in its ledgers),
 * in the coordinator's pool (withdrawn and recorded as out, not yet decided as paid), or in
 * flight. A step's withdrawal `pairs:<r>:<p>:out` is applied in the partition (its engine knows
 * the command id) before the coordinator records it: while it is not recorded (status
 * `collected`) the amount counts in flight out. A payout is recorded (status `paying`, taken out
 * of the pool) before its deposit `pairs:<r>:<p>:pay` is sent: while the partition's engine does
 * not know that id it counts in flight in. The partitions are read before the coordinator's
 * record, so the record may be ahead of a partition: a withdrawal recorded as out that the
 * partition had not applied is still in the partition, and counts −amount in flight (the pool
 * holds it too). `applied` is what the partitions' net deposits hold of it (withdrawals
 * positive here), taken off what came in from outside.
 */
function pairMoney(
  parts: readonly PartitionMoney[],
  steps: readonly PairStepRecord[],
  pool: bigint,
  problems: string[],
): { pool: bigint; out: bigint; pay: bigint; applied: bigint } {
  let out = 0n;
  let pay = 0n;
  let applied = 0n;
  for (const x of steps) {
    const part = parts.find((q) => q.partition === x.partition);
    if (part === undefined) {
      problems.push(`pairs round ${x.round}: partition ${x.partition} is unknown`);
      continue;
    }
    const outDone = part.pairIds.has(pairsCommandId(x.round, x.partition, 'out'));
    const payDone = part.pairIds.has(pairsCommandId(x.round, x.partition, 'pay'));
    const inPool = x.status === 'out' || x.status === 'paying' || x.status === 'paid';
    if (x.out > 0n && outDone) {
      applied += x.out;
      if (!inPool) out += x.out; // withdrawn, its answer not recorded yet
    }
    // recorded in the pool, but the partition (read first) had not applied it yet: still there
    if (x.out > 0n && !outDone && inPool) out -= x.out;
    if (x.pay > 0n && payDone) applied -= x.pay;
    if (x.pay > 0n && !payDone) pay += x.pay;
  }
  if (pool < 0n) problems.push(`pairs: the pool is ${pool} < 0`);
  return { pool, out, pay, applied };
}

/**
 * Invariant 4 (positions): per market, the clearing positions summed over the partitions against
 * the coordinator's record of what is still to be placed; problems are pushed to `problems`.
 */
function checkClearing(
  parts: readonly PartitionMoney[],
  records: readonly ClearingRecord[],
  problems: string[],
): Record<string, { clearing: bigint; inFlight: bigint }> {
  const actual = new Map<string, bigint>();
  for (const x of parts) {
    for (const positions of Object.values(x.clearing)) {
      for (const [m, size] of Object.entries(positions)) actual.set(m, (actual.get(m) ?? 0n) + size);
    }
  }
  // expected: Σ sign × (size − applied − rest), less up to `slack` in flight (same sign)
  const expected = new Map<string, bigint>();
  const slack = new Map<string, bigint>();
  const known = new Set<string>();
  for (const r of records) {
    known.add(`${r.partition}/${r.sub}`);
    const sign = r.side === 'long' ? 1n : -1n;
    expected.set(r.market, (expected.get(r.market) ?? 0n) + sign * (r.size - r.applied - r.rest));
    const open = r.state === 'done' ? r.pending : r.size - r.applied;
    slack.set(r.market, (slack.get(r.market) ?? 0n) + sign * open);
    const part = parts.find((x) => x.partition === r.partition);
    if (part === undefined) {
      problems.push(`ADL: clearing position ${r.partition}/${r.sub} recorded for an unknown partition`);
      continue;
    }
    if (r.state === 'done') {
      const held = part.clearing[r.sub]?.[r.market] ?? 0n;
      const want = sign * (r.size - r.moved - r.rest);
      if (held !== want)
        problems.push(
          `ADL: ${ADL_CLEARING_ACCOUNT}/${r.sub} in partition ${r.partition} holds ${held} ≠ ${want}`,
        );
    }
  }
  for (const x of parts) {
    for (const [sub, positions] of Object.entries(x.clearing)) {
      if (sub === ADL_PAIR_SUB || known.has(`${x.partition}/${sub}`)) continue;
      // reported, not recorded yet (or its report in flight): it counts at its size
      for (const [m, size] of Object.entries(positions)) expected.set(m, (expected.get(m) ?? 0n) + size);
    }
  }
  const out: Record<string, { clearing: bigint; inFlight: bigint }> = {};
  for (const m of new Set([...actual.keys(), ...expected.keys(), ...slack.keys()])) {
    const a = actual.get(m) ?? 0n;
    const hi = expected.get(m) ?? 0n;
    const sl = slack.get(m) ?? 0n;
    const lo = hi - sl;
    const [min, max] = lo < hi ? [lo, hi] : [hi, lo];
    if (a < min || a > max)
      problems.push(
        `ADL ${m}: clearing positions sum to ${a}, outside [${min}, ${max}] (the record, legs in flight)`,
      );
    out[m] = { clearing: a, inFlight: sl < 0n ? -sl : sl };
  }
  return out;
}
