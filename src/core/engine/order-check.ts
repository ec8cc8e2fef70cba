/**
 * "Can I place this order, and what margin would it use?" — read-only. `checkOrder` runs the
 * very decision `place_order` takes (orders.ts, `decidePlaceOrder`) on the current state and
 * emits nothing, so the answer and the command cannot drift apart. Figures are decimal strings
 * in the settlement asset, as on the wire.
 *
 * What it cannot know: the engine's clock (a `timeMs` ahead of the venue's clock is refused by
 * the engine's time rule; `Engine.checkOrder` applies it) and a repeated `commandId` (a repeat
 * returns the first outcome). Everything else is the command's own decision.
 */
import type { z } from 'zod';
import type { CrossChange } from '../account/figures-cache.ts';
import type { EngineState, ReadonlyEngineState } from '../model/state.ts';
import { formatDecimal } from '../num/index.ts';
import { PlaceOrderSchema } from './commands.ts';
import { CommandContext } from './context.ts';
import { RejectedError, type Rejection } from './errors.ts';
import { decidePlaceOrder } from './orders.ts';

/** A validated `place_order` command. */
export type PlaceOrderCommand = z.output<typeof PlaceOrderSchema>;

/** The fields of a `place_order` command (`type` may be left out). */
export type OrderCheckInput = Omit<z.input<typeof PlaceOrderSchema>, 'type'> & { type?: 'place_order' };

/** A scope's initial-margin figures around an order. */
export interface OrderCheckFigures {
  /** Initial margin of the positions. */
  readonly initialMargin: string;
  /** Initial margin reserved for resting orders. */
  readonly openOrderInitialMargin: string;
  /** Initial-weighted equity − initialMargin − openOrderInitialMargin. */
  readonly freeCollateral: string;
}

export type OrderCheck =
  | {
      readonly ok: true;
      /** What this order would reserve (after − before open-order initial margin). */
      readonly orderInitialMargin: string;
      readonly before: OrderCheckFigures;
      readonly after: OrderCheckFigures;
    }
  | { readonly ok: false; readonly rejection: Rejection };

/** At most this many characters of a malformed input's explanation. */
const MAX_MESSAGE_CHARS = 2_000;

/**
 * The wire form of figures objects already formatted: the cross figures before the order are the
 * figures cache's shared object (account/figures-cache.ts), unchanged until the subaccount or a
 * price changes, so repeated checks format them once.
 */
const formatted = new WeakMap<CrossChange, OrderCheckFigures>();

function cachedWireFigures(f: CrossChange, decimals: number): OrderCheckFigures {
  let w = formatted.get(f);
  if (w === undefined) {
    w = wireFigures(f, decimals);
    formatted.set(f, w);
  }
  return w;
}

function wireFigures(f: CrossChange, decimals: number): OrderCheckFigures {
  return {
    initialMargin: formatDecimal(f.initialMarginQuote, decimals),
    openOrderInitialMargin: formatDecimal(f.openOrderInitialMarginQuote, decimals),
    freeCollateral: formatDecimal(f.freeCollateralQuote, decimals),
  };
}

/** Would `place_order` with these fields be accepted, and what would it reserve? Changes nothing. */
export function checkOrder(state: ReadonlyEngineState, input: OrderCheckInput): OrderCheck {
  const parsed = parseOrderCheck(input);
  return 'rejection' in parsed ? { ok: false, rejection: parsed.rejection } : decideOrderCheck(state, parsed);
}

/** The wire half of the check: validates the fields into a `place_order` command. */
export function parseOrderCheck(input: OrderCheckInput): PlaceOrderCommand | { rejection: Rejection } {
  const parsed = PlaceOrderSchema.safeParse({ ...input, type: 'place_order' });
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : '(order)'}: ${i.message}`)
    .join('\n')
    .slice(0, MAX_MESSAGE_CHARS);
  return { rejection: { code: 'MALFORMED_COMMAND', message } };
}

/** The decision half of the check, on an already validated command: what `place_order` decides. */
export function decideOrderCheck(state: ReadonlyEngineState, command: PlaceOrderCommand): OrderCheck {
  // The context only reads here: decidePlaceOrder emits nothing.
  const ctx = new CommandContext(state as EngineState);
  try {
    const d = decidePlaceOrder(ctx, command);
    const dp = state.settlement.decimals;
    return {
      ok: true,
      orderInitialMargin: formatDecimal(d.orderInitialMarginQuote, dp),
      before: cachedWireFigures(d.before, dp),
      after: wireFigures(d.after, dp),
    };
  } catch (e) {
    if (e instanceof RejectedError) return { ok: false, rejection: e.rejection };
    throw e;
  }
}
