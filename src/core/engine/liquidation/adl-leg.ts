/**
 * `adl_leg`: one leg of auto-deleveraging through an ADL clearing account (config
 * `adlClearing`). A cluster partition's bankruptcy waterfall closes what its own ADL queue
 * cannot take to a clearing subaccount at the bankruptcy value; the cluster's coordinator then
 * moves that quantity on, leg by leg, to the top-ranked opposite positions in every partition:
 * each leg reduces one position by up to `size` at the same bankruptcy value, the partition's
 * clearing subaccount taking the other side (so the partition's own books stay two-sided).
 *
 * The position may have shrunk since it was ranked: the leg then takes what is left (the value
 * pro rata, half-even) and reports it in its `traded` event, so the coordinator can rank again
 * for the rest. A leg for an unknown subaccount, for a position not on `side` (or none), or
 * naming a clearing subaccount that is not of the configured clearing account is refused with a
 * typed rejection and changes nothing. No fee, no margin check: as ADL inside the waterfall.
 */
import { subaccountKey } from '../../model/state.ts';
import { min, mulDiv } from '../../num/index.ts';
import type { Command } from '../commands.ts';
import type { CommandContext } from '../context.ts';
import { reject } from '../errors.ts';
import { emitTrade } from './step.ts';

export function adlLeg(ctx: CommandContext, c: Extract<Command, { type: 'adl_leg' }>): void {
  const state = ctx.state;
  const clearing = state.config.adlClearing;
  if (clearing === undefined)
    reject('MALFORMED_COMMAND', 'adl_leg needs an ADL clearing account (config adlClearing)');
  if (c.clearing.account !== clearing.account)
    reject('MALFORMED_COMMAND', `an ADL leg's other side is a subaccount of ${clearing.account}`);
  const market = ctx.market(c.market);
  ctx.checkTime(c.timeMs);
  const sub = ctx.subaccount(c.subaccount);
  const clearingKey = subaccountKey(c.clearing);
  if (sub.key === clearingKey) reject('SAME_SUBACCOUNT', 'an ADL leg needs two subaccounts');
  const sign = c.side === 'long' ? 1n : -1n;
  const size = sub.positions.get(market.config.id)?.size ?? 0n;
  if (size === 0n || (size > 0n ? 1n : -1n) !== sign)
    reject('NOT_LIQUIDATABLE', `${sub.key} has no ${c.side} position in ${market.config.id} to deleverage`);
  if (market.markPx8 === undefined) reject('NO_PRICE', `no mark for ${market.config.id}`);
  const value = ctx.positiveAmount(c.value, ctx.asset(state.settlement.id));
  const qty = min(c.size, sign * size);
  const v = qty === c.size ? value : mulDiv(value, qty, c.size, 'halfEven');
  if (market.config.contractType === 'inverse' && v <= 0n)
    reject('INVALID_AMOUNT', 'the leg is too small to carry a positive value');
  if (!state.subaccounts.has(clearingKey)) ctx.emit({ type: 'subaccount_opened', ref: c.clearing });
  emitTrade(ctx, market, sub.key, clearingKey, sign, qty, v, 'adl');
}
