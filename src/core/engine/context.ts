/**
 * The working context of one command: read state, emit events. `emit` evolves
 * the state at once, so later steps of the same command see earlier effects.
 * Handlers validate everything before their first emit, so a rejected command
 * changes nothing.
 */
import { evaluate, type ScopeFigures, type ScopeView } from '../account/figures.ts';
import {
  type CrossChange,
  cachedCrossFigures,
  crossFiguresWithChange,
  crossFiguresWithOrder,
} from '../account/figures-cache.ts';
import type { OrderLite } from '../account/open-orders.ts';
import { MissingPriceError, type PositionLite } from '../account/prices.ts';
import type { AssetConfig } from '../model/config.ts';
import type { SubaccountRef } from '../model/engine-config.ts';
import { type EngineState, type MarketState, type Subaccount, subaccountKey } from '../model/state.ts';
import { parseDecimal } from '../num/index.ts';
import { reject } from './errors.ts';
import type { EngineEvent } from './events.ts';
import { evolve } from './evolve.ts';

export class CommandContext {
  readonly events: EngineEvent[] = [];
  /**
   * Journal texts handlers gave with their events, by the event's index (holes: none given);
   * undefined when no event has one. A text must be `toJson(event)` exactly (event-json.ts
   * writes them for the events a fill builds, and falls back to undefined).
   */
  texts: (string | undefined)[] | undefined = undefined;
  private firstEmit: (() => void) | undefined;
  constructor(readonly state: EngineState) {}

  /** @param text the event's journal text when the handler knows it (see `texts`), else encoded at commit. */
  emit(event: EngineEvent, text?: string): void {
    const first = this.firstEmit;
    if (first !== undefined) {
      this.firstEmit = undefined;
      first();
    }
    evolve(this.state, event);
    if (text !== undefined) (this.texts ??= [])[this.events.length] = text;
    this.events.push(event);
  }

  /**
   * Runs `step` (which emits) just before the command's first event, if it emits any: a step
   * the command takes only once it is sure to go ahead, after every check that may reject it
   * (a liquidation cancels the liquidatee's orders this way).
   */
  beforeFirstEmit(step: () => void): void {
    if (this.events.length > 0) step();
    else this.firstEmit = step;
  }

  subaccount(ref: SubaccountRef): Subaccount {
    const s = this.state.subaccounts.get(subaccountKey(ref));
    if (!s) reject('UNKNOWN_SUBACCOUNT', `unknown subaccount ${subaccountKey(ref)}`);
    return s;
  }

  market(id: string): MarketState {
    const m = this.state.markets.get(id);
    if (!m) reject('UNKNOWN_MARKET', `unknown market ${id}`);
    return m;
  }

  asset(id: string): AssetConfig {
    const a = this.state.assets.get(id);
    if (!a) reject('UNKNOWN_ASSET', `unknown asset ${id}`);
    return a;
  }

  /** Parses a strictly positive amount of `asset` in its smallest units. */
  positiveAmount(text: string, asset: AssetConfig): bigint {
    const r = parseDecimal(text, asset.decimals);
    if (!r.ok) reject('INVALID_AMOUNT', `amount ${JSON.stringify(text)}: ${r.issue.reason}`);
    if (r.value <= 0n) reject('INVALID_AMOUNT', `amount must be positive, got ${text}`);
    if (r.value >= 10n ** 38n) reject('INVALID_AMOUNT', `amount ${text} is absurdly large`);
    return r.value;
  }

  checkTime(timeMs: number | undefined): void {
    if (timeMs !== undefined && timeMs < this.state.timeMs) {
      reject('STALE_TIME', `command time ${timeMs} is before engine time ${this.state.timeMs}`);
    }
  }

  /** Figures, turning a missing price into a NO_PRICE rejection. */
  figures(view: ScopeView): ScopeFigures {
    try {
      return evaluate(this.state, view);
    } catch (e) {
      if (e instanceof MissingPriceError) reject('NO_PRICE', e.message);
      throw e;
    }
  }

  /** The subaccount's cross figures (cached, account/figures-cache.ts); a missing price is NO_PRICE. */
  crossFigures(sub: Subaccount): ScopeFigures {
    try {
      return cachedCrossFigures(this.state, sub);
    } catch (e) {
      if (e instanceof MissingPriceError) reject('NO_PRICE', e.message);
      throw e;
    }
  }

  /** The subaccount's cross figures with `order` added to its market's resting orders (account/figures-cache.ts). */
  crossWithOrder(sub: Subaccount, order: OrderLite): CrossChange {
    try {
      return crossFiguresWithOrder(this.state, sub, order);
    } catch (e) {
      if (e instanceof MissingPriceError) reject('NO_PRICE', e.message);
      throw e;
    }
  }

  /**
   * The subaccount's cross figures after a change in one market (a position, its orders, a
   * settlement cash flow), repricing only that market (account/figures-cache.ts).
   */
  crossChange(
    sub: Subaccount,
    market: string,
    next: PositionLite | undefined,
    orders: readonly OrderLite[] | undefined,
    settlementDelta: bigint,
  ): CrossChange {
    try {
      return crossFiguresWithChange(this.state, sub, market, next, orders, settlementDelta);
    } catch (e) {
      if (e instanceof MissingPriceError) reject('NO_PRICE', e.message);
      throw e;
    }
  }
}
