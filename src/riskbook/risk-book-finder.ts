/**
 * The float risk book as a CandidateFinder (core/keeper/finder.ts): a typed-array float64
 * screen over every scope (./riskbook.ts), kept in step with the engine's events, whose
 * candidates are confirmed with the exact figures before the keeper acts on them.
 *
 * @example
 * const finder = new RiskBookFinder(engine);            // after the population is set up
 * keeperTick(engine, { timeMs, prices: [{ marks: { 'BTC-PERP': '58000' } }] }, { finder, maxRounds: 50 });
 */

import type { CandidateFinder, EventSource, LiquidationCandidate } from '../core/keeper/finder.ts';
import type { ReadonlyEngineState } from '../core/model/state.ts';
import { RiskBook, type RiskBookOptions } from './riskbook.ts';

export interface RiskBookFinderOptions extends RiskBookOptions {
  /** Relative slack on MM of the float screen (fraction, default 0.02; see RiskBook.candidates). */
  readonly tolerance?: number;
}

export class RiskBookFinder implements CandidateFinder {
  readonly name = 'risk-book';
  /** The underlying screen (also answers float queries such as margin-call scans). */
  readonly book: RiskBook;
  private readonly tolerance: number | undefined;

  constructor(engine: EventSource, opts: RiskBookFinderOptions = {}) {
    this.book = RiskBook.fromState(engine.state, opts);
    this.tolerance = opts.tolerance;
    engine.onEvents((events) => this.book.sync(engine.state, events));
  }

  liquidatable(state: ReadonlyEngineState): LiquidationCandidate[] {
    return this.book.liquidatable(state, this.tolerance);
  }
}
