/**
 * `settle_clearing`: variation settlement of an ADL clearing account's pair subaccount (config
 * `adlClearing`; a cluster's coordinator, docs/cluster.md "ADL and socialized loss across
 * partitions"). Cross-partition ADL leaves, in two partitions, pair subaccounts with equal and
 * opposite positions; their unrealized PnL is equal and opposite, so one partition holds a hole
 * the other holds a surplus for. This command realizes the subaccount's PnL at the marks, so the
 * coordinator can move the surplus to the hole:
 *
 * - every position is re-valued at its market's mark: its entry value becomes the mark value
 *   (signed, rounded up), the difference realized into the subaccount's cash.
 *   Rounded up, the values of positions that sum to zero over the cluster sum to ≥ 0, and so
 *   does the pairs' cash: the surplus always fills the holes. The unrealized PnL the engine then
 *   shows (its figure rounds the value down) is 0, or −1 unit when the mark value is not whole. It is done with the engine's own trade primitive: the position is closed
 *   at the mark value to the transit subaccount and bought back from it at the same value (the
 *   transit subaccount ends flat, with no PnL; open interest is unchanged);
 * - then a positive settlement balance is moved to the transit subaccount (`transit`, of the
 *   same account), from where the coordinator withdraws it. A negative balance stays: the
 *   coordinator pays it by a deposit.
 *
 * No fee, no margin check (as ADL in the waterfall). Refused with a typed rejection, changing
 * nothing: no clearing account configured or a subaccount not of it (MALFORMED_COMMAND), an
 * unknown subaccount (UNKNOWN_SUBACCOUNT), transit = subaccount (SAME_SUBACCOUNT), a position
 * without a mark (NO_PRICE), an inverse position too small to carry a value (INVALID_AMOUNT).
 */
import { signedValue } from '../../margin/contract-value.ts';
import { subaccountKey } from '../../model/state.ts';
import type { Command } from '../commands.ts';
import type { CommandContext } from '../context.ts';
import { reject } from '../errors.ts';
import { emitTrade } from './step.ts';

export function settleClearing(ctx: CommandContext, c: Extract<Command, { type: 'settle_clearing' }>): void {
  const state = ctx.state;
  const clearing = state.config.adlClearing;
  if (clearing === undefined)
    reject('MALFORMED_COMMAND', 'settle_clearing needs an ADL clearing account (config adlClearing)');
  if (c.subaccount.account !== clearing.account || c.transit.account !== clearing.account)
    reject('MALFORMED_COMMAND', `settle_clearing settles subaccounts of ${clearing.account} only`);
  ctx.checkTime(c.timeMs);
  const sub = ctx.subaccount(c.subaccount);
  const transitKey = subaccountKey(c.transit);
  if (sub.key === transitKey) reject('SAME_SUBACCOUNT', 'the transit subaccount is another subaccount');
  const decimals = state.settlement.decimals;
  // every check before the first event: a refusal changes nothing
  const marks: { market: string; size: bigint; value: bigint }[] = [];
  for (const p of sub.positions.values()) {
    if (p.size === 0n) continue;
    const market = ctx.market(p.market);
    if (market.markPx8 === undefined) reject('NO_PRICE', `no mark for ${p.market}`);
    // rounded up: the values of positions summing to zero over the cluster sum to ≥ 0, so the
    // realized PnL (cash − entry value is unchanged by realizing) sums to ≥ 0: no rounding hole
    const value = signedValue(market.config, p.size, market.markPx8, decimals, 'ceil');
    if (market.config.contractType === 'inverse' && value === 0n)
      reject('INVALID_AMOUNT', `the position in ${p.market} is too small to carry a value at the mark`);
    if (value !== p.entryValue) marks.push({ market: p.market, size: p.size, value });
  }
  if (!state.subaccounts.has(transitKey)) ctx.emit({ type: 'subaccount_opened', ref: c.transit });
  for (const m of marks) {
    const market = state.markets.get(m.market)!;
    const sign = m.size > 0n ? 1n : -1n;
    const qty = sign * m.size;
    const unsigned = m.value < 0n ? -m.value : m.value;
    // close to the transit subaccount at the mark value, then buy it back at the same value
    emitTrade(ctx, market, sub.key, transitKey, sign, qty, unsigned, 'adl');
    emitTrade(ctx, market, transitKey, sub.key, sign, qty, unsigned, 'adl');
  }
  const cash = sub.balances.get(state.settlement.id) ?? 0n;
  if (cash > 0n)
    ctx.emit({
      type: 'moved',
      from: { kind: 'balance', sub: sub.key },
      to: { kind: 'balance', sub: transitKey },
      asset: state.settlement.id,
      amount: cash,
      reason: 'transfer',
    });
}
