/**
 * What each event invalidates in the cross-figures cache (account/figures-cache.ts). `evolve`
 * calls `noteEvent` before it applies an event, so the cache never serves figures of a state
 * that has since changed. An event that touches one subaccount's balances, positions, orders or
 * settings marks just those parts dirty; every other event that changes the state (prices,
 * funding, settlement, configuration, a trade in a market whose requirement reads the open
 * interest) drops the whole cache. Events that change nothing the figures read are ignored.
 */
import {
  invalidateAllFigures,
  invalidateCollateral,
  invalidateMarket,
  invalidateSubaccount,
} from '../account/figures-cache.ts';
import { type EngineState, subaccountKey } from '../model/state.ts';
import type { EngineEvent, Ledger } from './events.ts';

function noteLedger(state: EngineState, l: Ledger): void {
  if (l.kind === 'balance' || l.kind === 'isolated') invalidateCollateral(state, l.sub);
}

function noteOrder(state: EngineState, orderId: string): void {
  const o = state.orders.get(orderId);
  if (o === undefined)
    invalidateAllFigures(state); // evolve is about to throw; be safe
  else invalidateMarket(state, o.sub, o.market);
}

export function noteEvent(state: EngineState, event: EngineEvent): void {
  switch (event.type) {
    case 'moved':
      noteLedger(state, event.from);
      noteLedger(state, event.to);
      return;
    case 'traded': {
      if (state.markets.get(event.market)?.config.margin.kind === 'openInterestScaled') {
        invalidateAllFigures(state);
        return;
      }
      // realized PnL and released isolated margin change the collateral too
      invalidateMarket(state, event.buyer, event.market);
      invalidateCollateral(state, event.buyer);
      invalidateMarket(state, event.seller, event.market);
      invalidateCollateral(state, event.seller);
      return;
    }
    case 'order_placed':
      invalidateMarket(state, event.order.sub, event.order.market);
      return;
    case 'order_amended':
    case 'order_cancelled':
    case 'order_filled':
      noteOrder(state, event.orderId);
      return;
    case 'leverage_set':
      invalidateMarket(state, event.sub, event.market);
      return;
    case 'subaccount_opened':
      invalidateSubaccount(state, subaccountKey(event.ref));
      return;
    case 'margin_mode_set':
    case 'portfolio_margin_set':
    case 'emode_set':
      invalidateSubaccount(state, event.sub);
      return;
    case 'liquidation_started':
    case 'liquidation_completed':
    case 'adl_ranked':
    case 'command_accepted':
    case 'command_rejected':
    case 'oracle_transition':
      return;
    default:
      invalidateAllFigures(state);
  }
}
