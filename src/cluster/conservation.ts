/**
 * The cluster's money invariant, exact (bigint), read from what is durable in PostgreSQL:
 * 1. each partition's engine, replayed read-only from its journal, satisfies its own ledger
 *    invariant: per asset, Σ of its ledgers = its net deposits (core/engine/invariants.ts);
 * 2. the coordinator's fund: balance + Σ paid = Σ funded;
 * 3. what the coordinator paid each partition is what sits in that partition's cover account
 *    (a difference is a cover in flight: published, not yet applied);
 * 4. cross-partition ADL (adl.ts): what the coordinator paid from ADL equals what it recorded
 *    collected, and each partition's escrow subaccounts (`cluster-adl`) hold at least what was
 *    collected from it and at most that plus the legs still unanswered (applied, not recorded);
 * so, per asset, Σ partitions' ledgers − Σ collected escrow + the fund's balance + covers in
 * flight = money that came in from outside (partitions' net deposits minus covers, plus the
 * fund's contributions): nothing created or destroyed between partitions. Money collected by ADL
 * still sits in its partition's escrow (the ledgers there stay balanced) and is counted once, as
 * the cover it paid.
 */
import { Engine } from '../core/engine/engine.ts';
import { ledgerSums } from '../core/engine/invariants.ts';
import { PostgresJournal } from '../store/postgres-journal.ts';
import { readCoordinatorLedger } from './coordinator.ts';
import type { ClusterNames } from './names.ts';
import { ADL_ESCROW_SUB, COVER_ACCOUNT } from './partition.ts';

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
  /** Settlement units in the partition's ADL escrow subaccounts. */
  readonly escrow: bigint;
}

export interface ConservationReport {
  readonly ok: boolean;
  readonly problems: string[];
  readonly partitions: PartitionMoney[];
  /** The fund: `paid` is what it paid (ADL payments are in `adl`). */
  readonly fund: { balance: bigint; funded: bigint; paid: bigint };
  /** Cross-partition ADL: collected into escrow (and paid as cover), and legs not yet answered. */
  readonly adl: { collected: bigint; paid: bigint; pending: bigint };
  /** Settlement units paid by the coordinator and not yet in a cover account. */
  readonly inFlight: bigint;
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
      let escrow = 0n;
      for (const s of st.subaccounts.values()) {
        if (s.ref.account === COVER_ACCOUNT) cover += s.balances.get(settlement) ?? 0n;
        if (s.ref.sub === ADL_ESCROW_SUB) escrow += s.balances.get(settlement) ?? 0n;
      }
      external[settlement] = (external[settlement] ?? 0n) - cover;
      parts.push({
        partition: p,
        seq: st.seq,
        stateHash: engine.stateHash(),
        assets,
        cover,
        shortfall: -st.socializedLedger,
        escrow,
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
  if (paid !== ledger.fundPaid + ledger.adlPaid) {
    problems.push(`covers: paid ${paid} ≠ fund ${ledger.fundPaid} + ADL ${ledger.adlPaid}`);
  }
  let collected = 0n;
  let pending = 0n;
  for (const x of parts) {
    const got = ledger.collected.get(x.partition) ?? 0n;
    const open = ledger.pending.get(x.partition) ?? 0n;
    collected += got;
    pending += open;
    if (x.escrow < got || x.escrow > got + open) {
      problems.push(
        `partition ${x.partition}: ADL escrow ${x.escrow} outside [collected ${got}, collected + pending ${got + open}]`,
      );
    }
  }
  for (const p of [...ledger.collected.keys(), ...ledger.pending.keys()]) {
    if (!parts.some((x) => x.partition === p)) problems.push(`ADL legs recorded for unknown partition ${p}`);
  }
  if (collected !== ledger.adlPaid) {
    problems.push(`ADL: paid ${ledger.adlPaid} ≠ collected ${collected}`);
  }
  if (settlement !== '') {
    total[settlement] = (total[settlement] ?? 0n) + ledger.balance + inFlight - collected;
    external[settlement] = (external[settlement] ?? 0n) + ledger.funded;
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
    adl: { collected, paid: ledger.adlPaid, pending },
    inFlight,
    total,
    external,
  };
}
