/**
 * The cascade run's metrics, assembled at the end from the engine's events (RunTotals, the
 * insurance path), the episodes (depth, latency), the mark driver, the backstop's unload,
 * the capital-efficiency samples and the responses. Money is the engine's; floats are ratios.
 */
import { crossView, evaluate } from '../../../core/account/figures.ts';
import { subaccountKey } from '../../../core/model/state.ts';
import { formatDecimal, parseDecimalUnsafe } from '../../../core/num/index.ts';
import type { Population } from '../../population.ts';
import { conservation } from '../../replay.ts';
import type { InsurancePath, RunTotals } from '../../run-totals.ts';
import { BACKSTOP, MARKET } from '../../venue.ts';
import type { MarginPolicy } from '../policies.ts';
import type { BookTrader } from './book-trader.ts';
import type { TraderFigures } from './capital.ts';
import type { RunContext } from './context.ts';
import type { Episodes } from './episodes.ts';
import type { MarkDriver } from './mark.ts';
import type { PricePoint } from './path.ts';
import { fmtPx } from './path.ts';
import type { CascadeMetrics, ModeTotals } from './types.ts';

export interface ReportInputs {
  readonly ctx: RunContext;
  readonly policy: MarginPolicy;
  readonly path: readonly PricePoint[];
  readonly pop: Population;
  readonly totals: RunTotals;
  readonly insurance: InsurancePath;
  readonly insStart: bigint;
  readonly insEnd: bigint;
  readonly episodes: Episodes;
  readonly mark: MarkDriver;
  readonly trader: BookTrader;
  readonly maxRoundsPerPoint: number;
  readonly startFig: TraderFigures;
  readonly samples: { timeMs: number; ratio: number }[];
  readonly accountLevel: CascadeMetrics['capitalEfficiency']['accountLevel'];
  readonly responses: CascadeMetrics['responses'];
  /** IM/OI of the opening book at each sample (./capital.ts `bookRatio`). */
  readonly bookSamples: readonly number[];
  readonly personal: CascadeMetrics['capitalEfficiency']['personal'];
}

export function cascadeMetrics(r: ReportInputs): CascadeMetrics {
  const { ctx, totals, episodes, mark, trader } = r;
  const { state, usd, qd } = ctx;
  const { latencies, stepsByDepth } = episodes;
  const sortedLat = [...latencies].sort((a, b) => a - b);
  const q = (f: number) =>
    sortedLat.length === 0 ? 0 : sortedLat[Math.min(sortedLat.length - 1, Math.floor(f * sortedLat.length))]!;
  const ratios = r.samples.map((s) => s.ratio);
  const backstop = state.subaccounts.get(subaccountKey(BACKSTOP))!;
  const bf = evaluate(state, crossView(backstop));
  const backstopDeposit = (() => {
    const c = r.pop.setup.find((x) => x.type === 'deposit' && x.to.account === BACKSTOP.account);
    return c && c.type === 'deposit' ? parseDecimalUnsafe(c.amount, qd) : 0n;
  })();
  const { modes } = totals;
  const all = Object.values(modes);
  const total = totals.totalSteps();
  const totalNotional = all.reduce((a, m) => a + m.notional, 0n);
  const mt = (x: { steps: number; notional: bigint }): ModeTotals => ({
    count: x.steps,
    notional: usd(x.notional),
  });
  return {
    policy: r.policy.name,
    window: { from: r.path[0]!.timeMs, to: r.path[r.path.length - 1]!.timeMs, points: r.path.length },
    population: r.pop.summary,
    openInterest: {
      traderNotional: usd(r.startFig.notional),
      marketBase: r.pop.summary.longSize,
    },
    liquidations: {
      count: total,
      notional: usd(totalNotional),
      partial: mt(modes.partial),
      full: mt(modes.full),
      bankrupt: mt(modes.bankrupt),
      backstop: mt(modes.backstop),
      scopes: totals.scopesHit.size,
      traders: totals.tradersHit.size,
      liquidatorRewards: usd(totals.rewards),
      insuranceFees: usd(totals.insuranceFees),
      rejected: ctx.rejected,
    },
    badDebt: {
      insuranceCover: usd(totals.covered),
      socializedLoss: usd(totals.socialized),
      total: usd(totals.covered + totals.socialized),
    },
    insuranceFund: {
      start: usd(r.insStart),
      end: usd(r.insEnd),
      min: usd(r.insurance.min),
      max: usd(r.insurance.max),
      maxDrawdown: usd(r.insurance.maxDrawdown),
      seized: Object.fromEntries(
        [...totals.seized].map(([a, v]) => [a, formatDecimal(v, state.assets.get(a)!.decimals)] as const),
      ),
    },
    adl: { fills: totals.adlFills, size: formatDecimal(totals.adlQty, 9), notional: usd(totals.adlNotional) },
    socializedLoss: usd(totals.socialized),
    cascade: {
      peakDepth: stepsByDepth.length,
      stepsByDepth: Array.from({ length: stepsByDepth.length }, (_, i) => stepsByDepth[i] ?? 0),
      induced: stepsByDepth.slice(1).reduce((a, b) => a + (b ?? 0), 0),
      maxDisplacement: mark.maxDisplacement,
      maxDisplacementUp: mark.maxDisplacementUp,
      maxRoundsPerPoint: r.maxRoundsPerPoint,
      unload: {
        fills: trader.unloadFills,
        sold: formatDecimal(trader.sold, 9),
        bought: formatDecimal(trader.bought, 9),
        notional: usd(trader.unloadNotional),
        deferred: trader.deferred,
      },
    },
    latency: {
      count: latencies.length,
      meanMs: latencies.length === 0 ? 0 : latencies.reduce((a, b) => a + b, 0) / latencies.length,
      p50Ms: q(0.5),
      p95Ms: q(0.95),
      maxMs: sortedLat.length === 0 ? 0 : sortedLat[sortedLat.length - 1]!,
    },
    capitalEfficiency: {
      start: {
        initialMargin: usd(r.startFig.im),
        notional: usd(r.startFig.notional),
        ratio: r.startFig.ratio,
      },
      samples: r.samples,
      mean: ratios.reduce((a, b) => a + b, 0) / ratios.length,
      max: Math.max(...ratios),
      ...(r.accountLevel ? { accountLevel: r.accountLevel } : {}),
      bookMean: r.bookSamples.reduce((a, b) => a + b, 0) / r.bookSamples.length,
      ...(r.personal ? { personal: r.personal } : {}),
    },
    prices: { exogenousLow: fmtPx(mark.exoLow), markLow: fmtPx(mark.markLow) },
    backstop: {
      position: formatDecimal(backstop.positions.get(MARKET)?.size ?? 0n, 9),
      pnl: usd(bf.netValueQuote - backstopDeposit),
    },
    responses: r.responses,
    conservation: conservation(state),
  };
}
