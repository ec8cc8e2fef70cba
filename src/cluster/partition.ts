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
 *
 * `amend_order` and `cancel_order` name only an order id; in a cluster they also carry the
 * order's `subaccount` (the engine ignores the extra field), which routes them, and the owning
 * worker checks that the order is that subaccount's before the engine is asked.
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

/**
 * The account every partition holds for cross-partition ADL (adl.ts; the engine's `adlClearing`):
 * its subaccount `b<seq>` holds what one bankruptcy's ADL queue could not take, its pair
 * subaccount `0` the other side of the legs that moved it on. Exempt from the partition function,
 * refused at the gateway: only the engine's waterfall and the coordinator's `adl:` legs touch it.
 */
export const ADL_CLEARING_ACCOUNT = 'cluster-adl';
/** The clearing account's subaccount that takes the other side of every ADL leg in its partition. */
export const ADL_PAIR_SUB = '0';

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
  sub?: unknown;
}

/** The subaccount refs a command names. */
function refsOf(command: Record<string, unknown>): unknown[] {
  switch (command.type) {
    case 'deposit':
      return [command.to];
    case 'withdraw':
      return [command.from];
    case 'transfer':
      return [command.from, command.to];
    case 'fund_insurance':
      return [command.from];
    case 'fill':
      return [command.buyer, command.seller];
    case 'liquidate':
      return [command.subaccount, command.liquidator];
    default:
      // place_order, amend_order, cancel_order (routing field) and the per-subaccount settings
      return [command.subaccount];
  }
}

/** The account ids a command names (the subaccounts it reads or moves money of). */
export function accountsOf(command: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const r of refsOf(command)) {
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
      message:
        c.type === 'amend_order' || c.type === 'cancel_order'
          ? `${c.type} routes by the order's subaccount: give \`subaccount\` ({account, sub}) with the order id`
          : `${c.type} names no account to route by`,
    };
  }
  if (c.type === 'adl_leg' || accounts.includes(ADL_CLEARING_ACCOUNT)) {
    return {
      kind: 'rejected',
      code: 'RESERVED_ACCOUNT',
      message: `${ADL_CLEARING_ACCOUNT} and adl_leg are the cluster's own, for auto-deleveraging`,
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
