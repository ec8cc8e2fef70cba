/**
 * What every part of a cascade run shares: the engine and its state, the book model, the
 * settlement formatting, the engine clock (`now`: never before the engine's time), and the
 * run's tally of refused commands by code.
 */

import type { BookModel } from '../../../analytics/liquidity/depth-model.ts';
import type { CommandInput } from '../../../core/engine/commands.ts';
import type { Engine } from '../../../core/engine/engine.ts';
import type { ReadonlyEngineState, ReadonlyMarketState } from '../../../core/model/state.ts';
import { formatDecimal } from '../../../core/num/index.ts';
import { MARKET } from '../../venue.ts';

export class RunContext {
  readonly state: ReadonlyEngineState;
  /** Settlement decimals. */
  readonly qd: number;
  /** Refused commands by code (liquidations, unload fills, ROUND_LIMIT). */
  readonly rejected: Record<string, number> = {};

  constructor(
    readonly engine: Engine,
    readonly book: BookModel,
  ) {
    this.state = engine.state;
    this.qd = this.state.settlement.decimals;
  }

  readonly usd = (v: bigint): string => formatDecimal(v, this.qd);

  /** The simulated market (BTC-PERP). */
  market(): ReadonlyMarketState {
    return this.state.markets.get(MARKET)!;
  }

  /** `t`, or the engine's clock if that is later. */
  now(t: number): number {
    return Math.max(t, this.state.timeMs);
  }

  bump(code: string): void {
    this.rejected[code] = (this.rejected[code] ?? 0) + 1;
  }

  /** Executes a command that must succeed. */
  exec(c: CommandInput): void {
    const r = this.engine.execute(c);
    if (!r.ok) throw new Error(`${c.type} rejected: ${r.rejection.code}: ${r.rejection.message}`);
  }
}
