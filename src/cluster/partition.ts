/**
 * Which partition owns an account, and where a command goes.
 *
 * The partition of an account is `fnv1a32(utf8(accountId)) mod N`: FNV-1a, 32-bit (offset basis
 * 2166136261, prime 16777619, http://www.isthe.com/chongo/tech/comp/fnv/), over the UTF-8 bytes of
 * the account id. Every subaccount of an account lives with it, so moving money between one's own
 * subaccounts stays inside one engine. The function is pure and stable: changing N re-homes
 * accounts, which needs a migration this first version does not do.
 *
 * A command is either for one partition (its accounts all hash there), a broadcast (prices,
 * oracle observations, funding, expiry, market and policy configuration: every partition applies
 * it, in one order), or refused with a typed reason (accounts in two partitions, no account to
 * route by). Pure: no I/O.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

/** FNV-1a 32-bit hash of a string's UTF-8 bytes (unsigned). */
export function fnv1a32(text: string): number {
  let h = FNV_OFFSET_BASIS;
  for (const byte of utf8.encode(text)) {
    h ^= byte;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h >>> 0;
}

/** The partition (0 … partitions − 1) owning `accountId`. */
export function partitionOf(accountId: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new RangeError(`partitions must be a positive integer, not ${String(partitions)}`);
  }
  return fnv1a32(accountId) % partitions;
}

/**
 * The account every partition holds for the insurance cover the coordinator pays it: exempt from
 * the partition function (each partition has its own), refused at the gateway.
 */
export const COVER_ACCOUNT = 'cluster-cover';

/** Commands every partition applies, in the broadcast stream's order. */
export const BROADCAST_TYPES: ReadonlySet<string> = new Set([
  'prices',
  'oracle',
  'funding_tick',
  'accrue_interest',
  'settle_expiry',
  'set_oracle',
  'set_market',
  'set_asset',
  'pause_liquidations',
  'force_safe_mode',
  'set_policy',
]);

export type RouteRejectionCode = 'CROSS_PARTITION' | 'UNROUTABLE_COMMAND' | 'RESERVED_ACCOUNT';

export type Route =
  | { readonly kind: 'partition'; readonly partition: number }
  | { readonly kind: 'broadcast' }
  | { readonly kind: 'rejected'; readonly code: RouteRejectionCode; readonly message: string };

interface Ref {
  account?: unknown;
}

/** The account ids a command names (the subaccounts it reads or moves money of). */
export function accountsOf(command: Record<string, unknown>): string[] {
  const refs: unknown[] = [];
  switch (command.type) {
    case 'deposit':
      refs.push(command.to);
      break;
    case 'withdraw':
      refs.push(command.from);
      break;
    case 'transfer':
      refs.push(command.from, command.to);
      break;
    case 'fund_insurance':
      refs.push(command.from);
      break;
    case 'fill':
      refs.push(command.buyer, command.seller);
      break;
    case 'liquidate':
      refs.push(command.subaccount, command.liquidator);
      break;
    default:
      refs.push(command.subaccount);
  }
  const out: string[] = [];
  for (const r of refs) {
    const account = (r as Ref | undefined)?.account;
    if (typeof account === 'string') out.push(account);
  }
  return out;
}

/** Where `command` goes in a cluster of `partitions` partitions. */
export function routeCommand(command: unknown, partitions: number): Route {
  if (typeof command !== 'object' || command === null || Array.isArray(command)) {
    return { kind: 'rejected', code: 'UNROUTABLE_COMMAND', message: 'a command is a JSON object' };
  }
  const c = command as Record<string, unknown>;
  if (typeof c.type !== 'string') {
    return { kind: 'rejected', code: 'UNROUTABLE_COMMAND', message: 'a command has a string `type`' };
  }
  if (BROADCAST_TYPES.has(c.type)) return { kind: 'broadcast' };
  const accounts = accountsOf(c);
  if (accounts.length === 0) {
    return {
      kind: 'rejected',
      code: 'UNROUTABLE_COMMAND',
      message: `${c.type} names no account to route by (amend_order and cancel_order are not routed by this version)`,
    };
  }
  if (accounts.includes(COVER_ACCOUNT)) {
    return {
      kind: 'rejected',
      code: 'RESERVED_ACCOUNT',
      message: `${COVER_ACCOUNT} is the cluster's own account for insurance cover`,
    };
  }
  const homes = [...new Set(accounts.map((a) => partitionOf(a, partitions)))];
  if (homes.length > 1) {
    return {
      kind: 'rejected',
      code: 'CROSS_PARTITION',
      message: `accounts ${accounts.join(', ')} live in partitions ${homes.join(', ')}: a command may touch one partition`,
    };
  }
  return { kind: 'partition', partition: homes[0]! };
}
