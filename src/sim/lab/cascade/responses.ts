/**
 * Margin calls and the traders' responses in a cascade run (the behaviour is lab/responders.ts).
 *
 * A call goes to a responder's scope whose margin ratio MM / equity is at or above the call
 * ratio, i.e. equity < MM / callRatio — the risk book's float screen with slack
 * 1 / callRatio − 1 on MM, one pass over its typed arrays (a call is a notice, not money; what a
 * response moves is computed exactly when it executes). A due response either deposits up to the
 * target ratio (capped at a multiple of the trader's collateral) or reduces the position
 * through the book model, which may move the mark and start a cascade.
 */
import { crossView, evaluate, isolatedView } from '../../../core/account/figures.ts';
import { subaccountKey } from '../../../core/model/state.ts';
import { divRound, formatDecimal, PPM, parseDecimalUnsafe } from '../../../core/num/index.ts';
import type { RiskBook } from '../../../riskbook/index.ts';
import type { Population } from '../../population.ts';
import { MARKET, SETTLEMENT } from '../../venue.ts';
import { MarginCallDesk, type PendingResponse, type ResponseSpec } from '../responders.ts';
import type { BookTrader } from './book-trader.ts';
import type { RunContext } from './context.ts';
import type { MarkDriver } from './mark.ts';
import type { ResponseMetrics } from './types.ts';

export class ResponseRunner {
  private readonly desk: MarginCallDesk | undefined;
  private readonly responders: Population['traders'];
  private readonly targetPpm: bigint;
  private readonly reducePpm: bigint;
  private readonly depositCap: Map<string, bigint>;
  private readonly deposited = new Map<string, bigint>();
  private readonly byKey: Map<string, Population['traders'][number]>;
  private readonly callSlack: number;
  private deposits = 0;
  private depositAmount = 0n;
  private reductions = 0;
  private reducedQty = 0n;
  private reducedNotional = 0n;
  private skipped = 0;
  private readonly rejected: Record<string, number> = {};

  constructor(
    private readonly ctx: RunContext,
    spec: ResponseSpec | undefined,
    pop: Population,
    private readonly riskBook: RiskBook,
    private readonly trader: BookTrader,
    private readonly mark: MarkDriver,
    /** Market step size, qty9. */
    private readonly step: bigint,
  ) {
    const desk = spec ? new MarginCallDesk(spec, pop.traders) : undefined;
    this.desk = desk;
    this.responders = desk ? pop.traders.filter((t) => t.opened && desk.isResponder(t.ref.account)) : [];
    this.targetPpm = desk ? BigInt(Math.round(desk.spec.depositTargetRatio * 1e6)) : PPM;
    const capPpm = desk ? BigInt(Math.round(desk.spec.maxDepositMultiple * 1e6)) : 0n;
    this.reducePpm = desk ? BigInt(Math.round(desk.spec.reduceFraction * 1e6)) : 0n;
    this.depositCap = new Map(
      pop.traders.map((t) => [
        t.ref.account,
        (parseDecimalUnsafe(t.collateralUsd, 2) * 10n ** BigInt(ctx.qd - 2) * capPpm) / PPM,
      ]),
    );
    this.byKey = new Map(this.responders.map((t) => [subaccountKey(t.ref), t] as const));
    this.callSlack = desk ? 1 / desk.spec.callRatio - 1 : 0;
  }

  private reject = (code: string) => {
    this.rejected[code] = (this.rejected[code] ?? 0) + 1;
  };

  /** Calls every responder scope at or above the call ratio (scopes in the book's order). */
  scanCalls(timeMs: number): void {
    const desk = this.desk;
    if (!desk || this.byKey.size === 0) return;
    for (const c of this.riskBook.candidates(this.callSlack)) {
      const t = this.byKey.get(c.key);
      if (!t) continue;
      const id = c.scope.kind === 'cross' ? `${c.key}|cross` : `${c.key}|isolated:${c.scope.market}`;
      desk.call(id, t.ref, c.scope.kind === 'isolated' ? c.scope.market : undefined, timeMs);
    }
  }

  /** Responses due by `timeMs`, each at its own due time; a reduction that moved the mark runs `cascade`. */
  respondDue(timeMs: number, cascade: (atMs: number) => void): void {
    if (!this.desk) return;
    for (const p of this.desk.due(timeMs)) if (this.respond(p, p.dueMs)) cascade(this.ctx.now(p.dueMs));
  }

  /** Executes one due response through the engine; returns whether it moved the mark. */
  private respond(p: PendingResponse, timeMs: number): boolean {
    const { ctx } = this;
    const { state, engine } = ctx;
    const s = state.subaccounts.get(subaccountKey(p.ref));
    const pos = s?.positions.get(MARKET);
    if (!s || !pos || pos.size === 0n) {
      this.skipped++;
      return false;
    }
    const t = ctx.now(timeMs);
    if (p.action === 'deposit') {
      const f = evaluate(state, p.isolatedMarket ? isolatedView(state, s, MARKET) : crossView(s));
      // MM / (equity + d) = target  ⇔  d = MM / target − equity, rounded up.
      const need = divRound(f.maintenanceMarginQuote * PPM, this.targetPpm, 'ceil') - f.equityQuote;
      const room = (this.depositCap.get(p.ref.account) ?? 0n) - (this.deposited.get(p.ref.account) ?? 0n);
      const amount = need < room ? need : room;
      if (amount <= 0n) {
        this.skipped++;
        return false;
      }
      const d = engine.execute({
        type: 'deposit',
        to: p.ref,
        asset: SETTLEMENT,
        amount: ctx.usd(amount),
        timeMs: t,
      });
      if (!d.ok) {
        this.reject(d.rejection.code);
        return false;
      }
      if (p.isolatedMarket) {
        const a = engine.execute({
          type: 'adjust_isolated_margin',
          subaccount: p.ref,
          market: MARKET,
          amount: ctx.usd(amount),
          timeMs: t,
        });
        if (!a.ok) this.reject(a.rejection.code);
      }
      this.deposits++;
      this.depositAmount += amount;
      this.deposited.set(p.ref.account, (this.deposited.get(p.ref.account) ?? 0n) + amount);
      return false;
    }
    const step = this.step;
    const abs = pos.size < 0n ? -pos.size : pos.size;
    let want = ((abs * this.reducePpm) / PPM / step) * step;
    if (want < step) want = abs;
    const before = ctx.market().markPx8!;
    const qty = this.trader.fill(
      p.ref,
      pos.size > 0n ? 'sell' : 'buy',
      want,
      t,
      Number.POSITIVE_INFINITY,
      this.reject,
    );
    if (qty <= 0n) {
      if (qty === 0n) this.skipped++;
      return false;
    }
    this.reductions++;
    this.reducedQty += qty;
    this.reducedNotional += this.trader.lastFillNotional;
    this.mark.push(this.mark.target(), t);
    return ctx.market().markPx8! !== before;
  }

  metrics(): ResponseMetrics {
    const usd = this.ctx.usd;
    return {
      responders: this.responders.length,
      calls: this.desk?.calls ?? 0,
      deposits: { count: this.deposits, amount: usd(this.depositAmount) },
      reductions: {
        count: this.reductions,
        size: formatDecimal(this.reducedQty, 9),
        notional: usd(this.reducedNotional),
      },
      skipped: this.skipped,
      pendingAtEnd: this.desk?.pendingCount ?? 0,
      rejected: this.rejected,
    };
  }
}
