/**
 * Rampers pyramiding in a run (sim/population.ts `BehaviourSpec`): every `everyMinutes` of
 * simulated time, each ramper with an open cross position adds to it as far as its equity allows
 * under its requirement — the engine's IM with its leverage setting, plus the policy's
 * per-account add-on (personalized margin) — keeping 3 % of equity free, at most half the
 * position per step and only when at least 5 % of the budget is free. The add is a market order
 * against the book model's external liquidity (it moves the mark like any fill).
 *
 * The size is screened in floats and confirmed exactly: the add-on'd requirement of the new size
 * at the mark (the engine's `positionRequirement`, `personalInitialMargin`, bigint) must fit the
 * budget, else the add is halved (up to four times) or dropped. The engine checks its own IM on
 * the fill as on any other. Isolated rampers do not pyramid (their margin is fixed).
 */

import { personalInitialMargin } from '../../../analytics/personal-margin.ts';
import { crossView, evaluate, positionRequirement } from '../../../core/account/figures.ts';
import { subaccountKey } from '../../../core/model/state.ts';
import { formatDecimal, PPM } from '../../../core/num/index.ts';
import type { MaterializedTrader } from '../../population.ts';
import { MARKET } from '../../venue.ts';
import type { BookTrader } from './book-trader.ts';
import type { RunContext } from './context.ts';
import type { MarkDriver } from './mark.ts';
import type { RampMetrics } from './types.ts';

const BUDGET_PPM = 970_000n;
const MAX_ADD_PPM = 500_000n;

export class RampRunner {
  private readonly rampers: MaterializedTrader[];
  private adds = 0;
  private addedQty = 0n;
  private addedNotional = 0n;
  private rejected = 0;

  constructor(
    private readonly ctx: RunContext,
    traders: readonly MaterializedTrader[],
    private readonly addOnPpm: (t: MaterializedTrader) => number,
    private readonly trader: BookTrader,
    private readonly mark: MarkDriver,
    private readonly step: bigint,
    readonly everyMinutes: number,
  ) {
    this.rampers = traders.filter((t) => t.opened && !t.isolated && !t.hedged && (t.rampUp ?? 1) > 1);
  }

  /** One pyramiding step of every ramper at `timeMs`; returns whether the mark moved. */
  run(timeMs: number): boolean {
    const { ctx, step } = this;
    const { state } = ctx;
    const before = ctx.market().markPx8!;
    let any = false;
    for (const t of this.rampers) {
      const s = state.subaccounts.get(subaccountKey(t.ref));
      const pos = s?.positions.get(MARKET);
      if (!s || !pos || pos.size === 0n || pos.isolated) continue;
      const f = evaluate(state, crossView(s));
      const addOn = this.addOnPpm(t);
      const budget = (f.equityInitialQuote * BUDGET_PPM) / PPM;
      const need = personalInitialMargin(f.initialMarginQuote, addOn);
      if (need <= 0n || budget <= 0n || need * 105n >= budget * 100n) continue;
      const abs = pos.size < 0n ? -pos.size : pos.size;
      // Screen: IM scales about with the size.
      const ratio = Number(budget) / Number(need) - 1;
      let want = BigInt(Math.floor(Number(abs) * Math.min(ratio, Number(MAX_ADD_PPM) / 1e6)));
      want = (want / step) * step;
      const market = ctx.market();
      const cap = s.maxLeverage.get(MARKET);
      for (let i = 0; i < 5 && want > 0n; i++) {
        const newSize = pos.size > 0n ? pos.size + want : pos.size - want;
        const req = positionRequirement(state, market, newSize, market.markPx8!, cap);
        if (personalInitialMargin(req.initialQuote, addOn) <= budget) break;
        want = (want / 2n / step) * step;
        if (i === 4) want = 0n;
      }
      if (want <= 0n) continue;
      const qty = this.trader.fill(
        t.ref,
        pos.size > 0n ? 'buy' : 'sell',
        want,
        timeMs,
        Number.POSITIVE_INFINITY,
        () => this.rejected++,
      );
      if (qty <= 0n) continue;
      this.adds++;
      this.addedQty += qty;
      this.addedNotional += this.trader.lastFillNotional;
      any = true;
    }
    if (any) this.mark.push(this.mark.target(), ctx.now(timeMs));
    return ctx.market().markPx8! !== before;
  }

  metrics(): RampMetrics {
    return {
      rampers: this.rampers.length,
      adds: this.adds,
      size: formatDecimal(this.addedQty, 9),
      notional: this.ctx.usd(this.addedNotional),
      rejected: this.rejected,
    };
  }
}
