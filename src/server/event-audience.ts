/**
 * Who may see a committed engine event on the event stream.
 *
 * A venue streams three kinds of facts: account facts (a deposit, a fill, a margin setting)
 * that only the account's owner and the operator may see; market facts (prices, oracle steps,
 * funding, market and asset configuration, the insurance fund) that everyone sees; and
 * liquidations, which venues publish as anonymous liquidation orders (market, size, price) —
 * so everyone sees them with the account names removed, and the account's owner sees them in
 * full. Command markers (`command_accepted`/`command_rejected`) carry client command ids: the
 * owner of the accounts the command touched sees its marker, nobody else but the operator.
 *
 * The rule is a pure function of the event so the stream, its tests and the docs agree on it.
 */
import type { EngineEvent, Ledger } from '../core/engine/events.ts';

/** How an event may be shown. */
export interface Audience {
  /** Accounts (not subaccount keys) whose owners see the event in full. */
  readonly accounts: readonly string[];
  /**
   * 'full': everyone sees the event as it is; 'redacted': everyone sees it with account names
   * removed (liquidations); 'none': only `accounts` and the operator see it.
   */
  readonly publicView: 'full' | 'redacted' | 'none';
}

/** The account of a subaccount key `account/sub` (ids cannot contain '/'). */
export function accountOfKey(key: string): string {
  const i = key.indexOf('/');
  return i < 0 ? key : key.slice(0, i);
}

const ledgerAccount = (l: Ledger): string | undefined =>
  l.kind === 'balance' || l.kind === 'isolated' ? accountOfKey(l.sub) : undefined;

const uniq = (xs: readonly (string | undefined)[]): string[] => [
  ...new Set(xs.filter((x): x is string => x !== undefined)),
];

/**
 * The audience of one event. `commandAccounts` gives the accounts of the events a
 * `command_accepted` marker closes (the hub knows them; the event alone does not).
 */
export function eventAudience(e: EngineEvent, commandAccounts: readonly string[] = []): Audience {
  switch (e.type) {
    case 'subaccount_opened':
      return { accounts: [e.ref.account], publicView: 'none' };
    case 'moved': {
      const accounts = uniq([ledgerAccount(e.from), ledgerAccount(e.to)]);
      // Moves between venue ledgers (insurance, fees, socialized) are the public insurance fund.
      if (accounts.length === 0) return { accounts, publicView: 'full' };
      const liquidation =
        e.reason === 'liquidation_fee' ||
        e.reason === 'insurance_cover' ||
        e.reason === 'collateral_seized' ||
        e.reason === 'socialized_loss' ||
        e.reason === 'backstop_takeover';
      return { accounts, publicView: liquidation ? 'redacted' : 'none' };
    }
    case 'margin_mode_set':
    case 'leverage_set':
    case 'portfolio_margin_set':
      return { accounts: [accountOfKey(e.sub)], publicView: 'none' };
    case 'traded':
      return {
        accounts: uniq([accountOfKey(e.buyer), accountOfKey(e.seller)]),
        publicView: e.reason === 'fill' ? 'none' : 'redacted',
      };
    case 'liquidation_started':
    case 'liquidation_completed':
      return { accounts: [accountOfKey(e.sub)], publicView: 'redacted' };
    case 'adl_ranked':
      return {
        accounts: uniq([accountOfKey(e.bankrupt), accountOfKey(e.counterparty)]),
        publicView: 'redacted',
      };
    case 'loss_socialized':
      return {
        accounts: uniq([e.exclude === undefined ? undefined : accountOfKey(e.exclude), ledgerAccount(e.to)]),
        publicView: 'redacted',
      };
    case 'command_accepted':
      return { accounts: uniq([...commandAccounts]), publicView: 'none' };
    case 'command_rejected':
      return { accounts: [], publicView: 'none' };
    default:
      // engine/market/asset/oracle configuration, prices, oracle steps, funding, expiry, pauses, policy
      return { accounts: [], publicView: 'full' };
  }
}

/** The name shown instead of an account in a redacted event. */
export const REDACTED = '*';

const redactLedger = (l: Ledger): Ledger =>
  l.kind === 'balance'
    ? { kind: 'balance', sub: REDACTED }
    : l.kind === 'isolated'
      ? { ...l, sub: REDACTED }
      : l;

/** The event with every account name replaced by REDACTED (what the public sees of a liquidation). */
export function redactEvent(e: EngineEvent): EngineEvent {
  switch (e.type) {
    case 'moved':
      return { ...e, from: redactLedger(e.from), to: redactLedger(e.to) };
    case 'traded':
      return { ...e, buyer: REDACTED, seller: REDACTED };
    case 'liquidation_started':
    case 'liquidation_completed':
      return { ...e, sub: REDACTED };
    case 'adl_ranked':
      return { ...e, bankrupt: REDACTED, counterparty: REDACTED };
    case 'loss_socialized':
      return {
        ...e,
        to: redactLedger(e.to),
        ...(e.exclude === undefined ? {} : { exclude: REDACTED }),
      };
    default:
      return e;
  }
}
