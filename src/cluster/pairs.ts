/**
 * Variation settlement of the ADL pair subaccounts across partitions: the pure half of the
 * protocol (docs/cluster.md, "ADL and socialized loss across partitions").
 *
 * Cross-partition ADL (adl.ts) leaves each partition's pair subaccount `cluster-adl/0` with
 * positions whose mirror images sit in other partitions' pair subaccounts: as the price moves,
 * one partition's pair subaccount loses what another's gains, a hole in one partition matched by
 * a surplus in another. A settlement round, numbered by the coordinator's record, moves the
 * surplus to the holes:
 *
 * 1. `pairs:<round>:<p>` in every partition p: `settle_clearing` realizes the pair subaccount's
 *    PnL at the marks (its entry values move to the mark values, rounded up: positions summing
 *    to zero over the cluster get values summing to ≥ 0, so the surplus covers every hole, a few
 *    units of rounding left in the pool) and moves a positive balance to the
 *    transit subaccount `cluster-adl/t`. The answer says what moved (`out`) and the pair
 *    subaccount's balance left (`cash`, ≤ 0); the coordinator records both.
 * 2. `pairs:<round>:<p>:out`: a `withdraw` of exactly the recorded `out` from the transit
 *    subaccount: the money leaves the partition into the coordinator's pair pool.
 * 3. Once every partition of the round is collected: the pool pays each hole (−cash), partition
 *    order, as far as it goes (`planPayouts`), recorded before any is sent; then
 *    `pairs:<round>:<p>:pay`, a `deposit` of the recorded amount into the pair subaccount.
 *
 * Every step's command id comes from the record, so a redelivery or a restart re-sends the same
 * ids and each partition's engine applies each once. Pure: no I/O.
 */
import { formatDecimal } from '../core/num/fixed.ts';
import { ADL_CLEARING_ACCOUNT, ADL_PAIR_SUB } from './partition.ts';

/** The clearing account's subaccount a settlement's surplus passes through on its way out. */
export const PAIR_TRANSIT_SUB = 't';

export type PairStep = 'settle' | 'out' | 'pay';

/** The command id of a round's step in partition `p`. */
export function pairsCommandId(round: number, partition: number, step: PairStep): string {
  return step === 'settle' ? `pairs:${round}:${partition}` : `pairs:${round}:${partition}:${step}`;
}

const pair = { account: ADL_CLEARING_ACCOUNT, sub: ADL_PAIR_SUB };
const transit = { account: ADL_CLEARING_ACCOUNT, sub: PAIR_TRANSIT_SUB };

/** Step 1: realize the pair subaccount's PnL at the marks, its surplus to the transit subaccount. */
export function settleCommand(round: number, partition: number) {
  return {
    type: 'settle_clearing' as const,
    commandId: pairsCommandId(round, partition, 'settle'),
    subaccount: pair,
    transit,
  };
}

/** Step 2: the recorded surplus leaves the partition (`amount` settlement units > 0). */
export function outCommand(
  round: number,
  partition: number,
  asset: string,
  decimals: number,
  amount: bigint,
) {
  return {
    type: 'withdraw' as const,
    commandId: pairsCommandId(round, partition, 'out'),
    from: transit,
    asset,
    amount: formatDecimal(amount, decimals),
  };
}

/** Step 3: the pool pays the pair subaccount's hole (`amount` settlement units > 0). */
export function payCommand(
  round: number,
  partition: number,
  asset: string,
  decimals: number,
  amount: bigint,
) {
  return {
    type: 'deposit' as const,
    commandId: pairsCommandId(round, partition, 'pay'),
    to: pair,
    asset,
    amount: formatDecimal(amount, decimals),
  };
}

/**
 * A settlement's outcome from its events and the state after: the surplus moved to the transit
 * subaccount, and the pair subaccount's settlement balance left (≤ 0 right after the command;
 * read from the current state, so a repeat reports the balance now).
 */
export function settledOf(
  events: readonly { type: string; from?: unknown; amount?: unknown; reason?: unknown }[],
  pairBalance: bigint,
): { out: bigint; cash: bigint } {
  let out = 0n;
  for (const e of events) {
    if (e.type !== 'moved' || e.reason !== 'transfer') continue;
    out += e.amount as bigint;
  }
  return { out, cash: pairBalance };
}

/**
 * What the pool pays each hole: partitions in order, each min(hole, what is left). Σ pay ≤ pool;
 * when the pool covers every hole (the pairs are net flat and nothing else touched their cash),
 * every pair subaccount ends at a balance ≥ 0.
 */
export function planPayouts(
  holes: readonly { partition: number; need: bigint }[],
  pool: bigint,
): { partition: number; pay: bigint }[] {
  let left = pool > 0n ? pool : 0n;
  const out: { partition: number; pay: bigint }[] = [];
  for (const h of [...holes].sort((a, b) => a.partition - b.partition)) {
    if (h.need <= 0n || left <= 0n) continue;
    const pay = h.need < left ? h.need : left;
    out.push({ partition: h.partition, pay });
    left -= pay;
  }
  return out;
}
