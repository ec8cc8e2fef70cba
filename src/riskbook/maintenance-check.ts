/**
 * Maintenance-only exact figures of one scope: equity and maintenance margin, the two numbers
 * that decide "liquidatable" (equity < MM), integer-identical to `evaluate`'s
 * (core/account/figures.ts) — property-tested in ./maintenance-check.prop.test.ts.
 *
 * Why a second evaluator: confirming a tick's candidates is the exact half of every liquidation
 * answer, and `evaluate` computes far more than the decision needs — initial-weighted and raw
 * collateral, initial margins, per-position records, the open-order reservation — with a new
 * view (and, for an isolated scope, a new Map) per scope. This one reads the subaccount's stored
 * positions and balances directly and computes only what the decision reads:
 *
 *   equity = settlement cash + Σ maintenance-weighted collateral + unsettled (lazy) funding
 *            + Σ (⌊value at the mark⌋ − entry value)
 *   MM     = Σ the position's maintenance requirement (leverage caps never change MM)
 *
 * For the margin models whose MM is ⌈notional × R / 10^6⌉ with R a function of the size alone
 * (`fixed`, `sqrtSize`), R is remembered per (market, |size|) — the sqrtSize ratio costs an
 * integer square root, the most expensive step of `evaluate` on such a book — and MM follows
 * from one multiplication and one division. Every other case `evaluate` computes itself
 * (`maintenanceView`): drift-v2 arithmetic, portfolio margin, options, positive-health
 * haircuts, fees to close in maintenance, entry-based requirements, and any model kind not
 * named here.
 *
 * The decision itself (`liquidatable`) is first taken in doubles with a proven error bound
 * (./certified-maintenance.ts): the same integer formulas, no BigInt allocation, and the
 * integer figures above only when the bound cannot tell (a scope within a few quote units of
 * the line, or a case that module does not model). `figures` is always the integers.
 */
import {
  crossView,
  evaluate,
  isolatedView,
  maintenanceView,
  positionRequirement,
  type Scope,
} from '../core/account/figures.ts';
import { scopePendingFundingQuote } from '../core/account/lazy-funding.ts';
import { assetPricePx8 } from '../core/account/prices.ts';
import { collateralValueQuote } from '../core/collateral/valuation.ts';
import { assetWeightPpm } from '../core/collateral/weights.ts';
import { notionalValue, signedValue } from '../core/margin/contract-value.ts';
import { valueDivisor } from '../core/margin/notional.ts';
import type { ReadonlyEngineState, ReadonlyMarketState, ReadonlySubaccount } from '../core/model/state.ts';
import { PPM } from '../core/num/index.ts';
import { CertifiedMaintenance, LIQUIDATABLE, UNSURE } from './certified-maintenance.ts';

export interface MaintenanceFigures {
  readonly equityQuote: bigint;
  readonly maintenanceMarginQuote: bigint;
}

/** Models whose MM is ⌈notional × R(size) / 10^6⌉ (core/margin/models.ts: fixedModel, sqrtSizeModel). */
const NO_OI = Object.freeze({ openInterestQuote: 0n });
/** Read once: a module-level constant, not an imported binding, in the per-position loop. */
const PPM_: bigint = PPM;
const SIZE_RATIO_MODELS: ReadonlySet<string> = new Set(['fixed', 'sqrtSize']);

/** Whether `evaluate` does something for this market that the fast path leaves out (or throws: no mark). */
function needsEvaluate(ms: ReadonlyMarketState): boolean {
  const c = ms.config;
  return (
    ms.markPx8 === undefined ||
    c.option !== undefined ||
    c.margin.kind === 'standardOption' ||
    c.positiveHealthWeight !== undefined ||
    c.closeFeeInMaintenance === true ||
    c.requirementOn === 'entry' ||
    c.marginAddOns !== undefined
  );
}

/**
 * Remembers R(size) per market model for `SIZE_RATIO_MODELS`; keyed by the market's model
 * object, so a reconfigured market (a new model) starts afresh. Bounded: cleared past 65,536
 * sizes per model.
 */
export class MaintenanceChecker {
  private readonly ratios = new WeakMap<object, Map<bigint, bigint>>();
  /** Undefined: every decision from the integer figures (for comparisons and benches). */
  private readonly certified: CertifiedMaintenance | undefined;
  /** Decisions taken by `liquidatable`, and how many of them needed the integer figures. */
  readonly stats = { decisions: 0, fallbacks: 0 };
  /** valueDivisor of the last settlement decimals seen. */
  private qd = -1;
  private divisor = 1n;
  /** Outputs of `position` (no object per position). */
  private pnl = 0n;
  private mm = 0n;

  constructor(opts: { readonly certified?: boolean } = {}) {
    this.certified = opts.certified === false ? undefined : new CertifiedMaintenance();
  }

  /** Equity and MM of the scope, as `evaluate(state, maintenanceView(viewOf(...)))` gives them. */
  figures(state: ReadonlyEngineState, sub: ReadonlySubaccount, scope: Scope): MaintenanceFigures {
    if (
      state.config.marginArithmetic === 'drift-v2' ||
      (scope.kind === 'cross' && sub.portfolioMargin === true)
    )
      return this.viaEvaluate(state, sub, scope);
    const qd = state.settlement.decimals;
    let equity = scopePendingFundingQuote(state, sub, scope);
    let mm = 0n;
    if (scope.kind === 'isolated') {
      const p = sub.positions.get(scope.market);
      if (p === undefined || !p.isolated) return this.viaEvaluate(state, sub, scope);
      equity += p.isolatedMargin;
      if (p.size !== 0n) {
        const ms = state.markets.get(p.market)!;
        if (needsEvaluate(ms)) return this.viaEvaluate(state, sub, scope);
        this.position(state, ms, p.size, p.entryValue, sub, qd);
        equity += this.pnl;
        mm += this.mm;
      }
      return { equityQuote: equity, maintenanceMarginQuote: mm };
    }
    for (const [assetId, balance] of sub.balances) {
      if (assetId === state.settlement.id) {
        equity += balance;
        continue;
      }
      if (balance === 0n) continue;
      // A borrow of a non-settlement asset counts at its liability weight (with a size premium
      // where configured): left to evaluate, as the other rarer cases are.
      if (balance < 0n) return this.viaEvaluate(state, sub, scope);
      const asset = state.assets.get(assetId)!;
      const px = assetPricePx8(state, assetId);
      if (px === undefined) continue; // unpriced collateral counts for nothing, as in evaluate
      equity += collateralValueQuote({
        balance,
        assetDecimals: asset.decimals,
        pricePx8: px,
        quoteDecimals: qd,
        // an e-mode category's liquidation threshold where it lists the asset, as evaluate has it
        weightPpm: assetWeightPpm(state.config, sub, asset, 'maintenance'),
        sizeHaircutFactorPpm: asset.sizeHaircutFactor,
      });
    }
    for (const p of sub.positions.values()) {
      if (p.isolated || p.size === 0n) continue;
      const ms = state.markets.get(p.market)!;
      if (needsEvaluate(ms)) return this.viaEvaluate(state, sub, scope);
      this.position(state, ms, p.size, p.entryValue, sub, qd);
      equity += this.pnl;
      mm += this.mm;
    }
    return { equityQuote: equity, maintenanceMarginQuote: mm };
  }

  /**
   * Whether the scope is liquidatable: equity < MM, exactly. Decided in doubles with a proven
   * error bound where the bound is conclusive (./certified-maintenance.ts), from the integer
   * figures otherwise.
   */
  liquidatable(state: ReadonlyEngineState, sub: ReadonlySubaccount, scope: Scope): boolean {
    this.stats.decisions++;
    const d = this.certified === undefined ? UNSURE : this.certified.decide(state, sub, scope);
    if (d !== UNSURE) return d === LIQUIDATABLE;
    this.stats.fallbacks++;
    const f = this.figures(state, sub, scope);
    return f.equityQuote < f.maintenanceMarginQuote;
  }

  private position(
    state: ReadonlyEngineState,
    ms: ReadonlyMarketState,
    size: bigint,
    entryValue: bigint,
    sub: ReadonlySubaccount,
    qd: number,
  ): void {
    const mark = ms.markPx8!; // checked by the caller (needsEvaluate)
    const abs = size < 0n ? -size : size;
    let pnl: bigint;
    let notional: bigint;
    if (ms.config.contractType === 'inverse') {
      pnl = signedValue(ms.config, size, mark, qd, 'floor') - entryValue;
      notional = notionalValue(ms.config, abs, mark, qd, 'ceil');
    } else {
      // Linear: one product gives both ⌊size × mark / D⌋ (value) and ⌈|size| × mark / D⌉ (notional).
      if (mark < 0n) {
        positionRequirement(state, ms, size, mark, sub.maxLeverage.get(ms.config.id)); // throws as evaluate does
      }
      if (qd !== this.qd) {
        this.qd = qd;
        this.divisor = valueDivisor(qd);
      }
      const d = this.divisor;
      const v = size * mark;
      const q = v / d;
      const exact = q * d === v;
      pnl = (v < 0n && !exact ? q - 1n : q) - entryValue;
      const aq = q < 0n ? -q : q;
      notional = exact ? aq : aq + 1n;
    }
    const kind = ms.model.kind;
    if (kind !== ms.config.margin.kind || kind === 'openInterestScaled') {
      this.pnl = pnl;
      this.mm = positionRequirement(
        state,
        ms,
        size,
        mark,
        sub.maxLeverage.get(ms.config.id),
        entryValue,
      ).maintenanceQuote;
      return;
    }
    if (!SIZE_RATIO_MODELS.has(kind)) {
      // Leverage caps raise IM only (margin/leverage-cap.ts): MM is the model's, on the mark notional.
      this.pnl = pnl;
      this.mm = ms.model.requirement({ sizeQty9: abs, notionalQuote: notional }, NO_OI).maintenanceQuote;
      return;
    }
    let bySize = this.ratios.get(ms.model);
    if (bySize === undefined) this.ratios.set(ms.model, (bySize = new Map()));
    let ratio = bySize.get(abs);
    if (ratio === undefined) {
      // ⌈PPM × R / PPM⌉ = R: the model's own arithmetic gives its ratio at this size.
      ratio = ms.model.requirement({ sizeQty9: abs, notionalQuote: PPM_ }, NO_OI).maintenanceQuote;
      if (bySize.size >= 65_536) bySize.clear();
      bySize.set(abs, ratio);
    }
    const n = notional * ratio;
    const mm = n / PPM_;
    this.pnl = pnl;
    this.mm = mm * PPM_ === n ? mm : mm + 1n;
  }

  private viaEvaluate(state: ReadonlyEngineState, sub: ReadonlySubaccount, scope: Scope): MaintenanceFigures {
    const view = scope.kind === 'cross' ? crossView(sub) : isolatedView(state, sub, scope.market);
    const f = evaluate(state, maintenanceView(view));
    return { equityQuote: f.equityQuote, maintenanceMarginQuote: f.maintenanceMarginQuote };
  }
}
