/**
 * Margin breakdown: WHY each requirement of a subaccount is what it is. For every scope (cross,
 * each isolated position) and every position it names the margin model in force and the terms
 * the requirement is made of — the bracket hit (tier, notional floor and cap, IMR, MMR,
 * maintenance amount "cum", the tier's maximum leverage), the size premium, the open-interest
 * add-on, the user's leverage cap, the option margin terms — and, for a scope in portfolio
 * margin, the binding scenario per underlying, the correlation credit and the add-ons.
 *
 * It recomputes the requirement from the same functions the figures use (figures.ts,
 * margin/*), so the parts add up exactly to the totals `subaccountReport` gives:
 *   position IM = model IM + leverage-cap add-on;   scope IM = Σ position IM (standard margin);
 *   model requirement = exact product (− maintenance amount) + rounding up (to one quote unit);
 *   equity = Σ collateral value + unrealized PnL − positive-PnL haircut.
 * Exact terms that are not whole quote units are decimal strings with more places (a ratio
 * term is exact at the quote's decimals + 6, an option term at 23 places).
 *
 * Portfolio margin is a float64 screening model (portfolio/model.ts): its parts are shown as
 * the model computes them, and the scope's IM is that float rounded UP to a quote unit.
 */

import { initAssetWeightScaled, initLiabilityWeightScaled } from '../collateral/bank-totals.ts';
import { collateralValueQuote } from '../collateral/valuation.ts';
import { assetWeightPpm, liabilityWeightPpm } from '../collateral/weights.ts';
import { notionalValue } from '../margin/contract-value.ts';
import { type Bracket, bracketFor, compileBrackets } from '../margin/models.ts';
import { oiAdjustedInitialPpm, oiScaledInitialMarginQuote } from '../margin/open-interest.ts';
import {
  coinUnitRequirementTimesS,
  isCoinSettled,
  outOfTheMoneyPx8,
  shortUnitRequirement,
} from '../margin/option-margin.ts';
import { resolveMaintenancePpm } from '../margin/ratios.ts';
import { sizePremiumRatio } from '../margin/size-premium.ts';
import type { MarginModelConfig } from '../model/config.ts';
import type { ReadonlyEngineState, ReadonlyMarketState, ReadonlySubaccount } from '../model/state.ts';
import {
  divRound,
  formatDecimal,
  InvariantError,
  max,
  PPM,
  PRICE_DECIMALS,
  parseDecimal,
  QTY_DECIMALS,
} from '../num/index.ts';
import {
  crossView,
  evaluate,
  isolatedView,
  positionRequirement,
  requirementBasisQuote,
  type ScopeView,
} from './figures.ts';
import { positiveHealthHaircut } from './pnl-haircut.ts';
import { portfolioRequirementQuote } from './portfolio-scope.ts';
import { assetPricePx8, markOf } from './prices.ts';

/** A requirement computed as an exact amount rounded up to a quote unit: exact + roundingUp = amount. */
export interface RoundedAmount {
  /** The exact value before rounding (quote, more decimal places than the quote has). */
  readonly exact: string;
  /** What rounding up added (≥ 0, below one quote unit). */
  readonly roundingUp: string;
  /** The requirement in quote units: exact + roundingUp. */
  readonly amount: string;
}

/** One bracket ("tier") of a Binance-style ladder, as the venue publishes it. */
export interface BracketTier {
  /** Tier number, 1 = the lowest notionals (Binance's "bracket"). */
  readonly tier: number;
  /** Inclusive lower notional bound (quote). */
  readonly notionalFloor: string;
  /** Exclusive upper bound (quote); null for the open-ended last tier. */
  readonly notionalCap: string | null;
  readonly initialRatio: string;
  readonly maintenanceRatio: string;
  /** Binance "cum": MM = notional × maintenanceRatio − maintenanceAmount. Exact, quote. */
  readonly maintenanceAmount: string;
  /** 1 / initialRatio, the tier's maximum leverage (null when initialRatio is 0). */
  readonly maxLeverage: string | null;
}

/** The terms of a position's requirement under its market's margin model. */
export type ModelBreakdown =
  | {
      readonly kind: 'fixed';
      readonly initialRatio: string;
      readonly maintenanceRatio: string;
      readonly initialMargin: RoundedAmount;
      readonly maintenanceMargin: RoundedAmount;
    }
  | {
      readonly kind: 'brackets';
      readonly tier: BracketTier;
      readonly initialMargin: RoundedAmount;
      /** notional × maintenanceRatio, exact. */
      readonly notionalTimesMaintenanceRatio: string;
      /** exact = notionalTimesMaintenanceRatio − tier.maintenanceAmount. */
      readonly maintenanceMargin: RoundedAmount;
    }
  | {
      readonly kind: 'sqrtSize';
      readonly baseInitialRatio: string;
      readonly baseMaintenanceRatio: string;
      readonly imfFactor: string;
      /** max(base, 0.8 × base + imfFactor × √size): the ratios in force. */
      readonly initialRatio: string;
      readonly maintenanceRatio: string;
      /** initialRatio − baseInitialRatio (0 when the size premium does not bind). */
      readonly sizePremiumInitialRatio: string;
      readonly sizePremiumMaintenanceRatio: string;
      readonly initialMargin: RoundedAmount;
      readonly maintenanceMargin: RoundedAmount;
    }
  | {
      readonly kind: 'openInterestScaled';
      readonly baseInitialRatio: string;
      readonly maintenanceRatio: string;
      /** The market's open interest at the mark (quote) and the caps it scales between. */
      readonly openInterest: string;
      readonly openInterestLowerCap: string;
      readonly openInterestUpperCap: string;
      /** The OI-adjusted initial ratio, rounded down (as dYdX reports it). */
      readonly adjustedInitialRatio: string;
      /** ⌈notional × baseInitialRatio⌉ */
      readonly baseInitialMargin: string;
      /** What open interest adds: initialMargin = baseInitialMargin + openInterestAddOn. */
      readonly openInterestAddOn: string;
      readonly initialMargin: string;
      readonly maintenanceMargin: RoundedAmount;
    }
  | {
      readonly kind: 'standardOption';
      readonly right: 'call' | 'put';
      readonly strike: string;
      readonly underlyingMark: string;
      readonly optionMark: string;
      /** Coin-settled: the mark, the terms and the amounts are in the coin (S and K in quote). */
      readonly settlement?: 'inverse';
      /** Long: the premium (or nothing). Short: the per-unit terms below. */
      readonly long?: { readonly rule: 'premium' | 'none' };
      readonly short?: {
        readonly outOfTheMoney: string;
        /** Per unit: IM = max(base·S − OTM, floor·S + floorMark·M) + M (put: ≥ MM if so configured). */
        readonly initialRiskTerm: string;
        readonly initialFloorTerm: string;
        readonly initialBinding: 'risk' | 'floor' | 'maintenance';
        /** Per unit: MM = max(underlying·S, mark·M) + M + liquidationFee·S. */
        readonly maintenanceUnderlyingTerm: string;
        readonly maintenanceMarkTerm: string;
        readonly liquidationFeeTerm: string;
        readonly unitInitialMargin: string;
        readonly unitMaintenanceMargin: string;
      };
      readonly initialMargin: RoundedAmount;
      readonly maintenanceMargin: RoundedAmount;
    };

export interface PositionBreakdown {
  readonly market: string;
  readonly side: 'long' | 'short';
  readonly size: string;
  readonly markPrice: string;
  /** |size| × mark (quote, rounded up), as the report shows it. */
  readonly notional: string;
  /** What the requirement is taken on: the mark notional, or |entry value| (requirementOn 'entry'). */
  readonly requirementBasis: 'mark' | 'entry';
  readonly basisNotional: string;
  readonly model: ModelBreakdown;
  /** The user's leverage cap on this market (null: none) and what it adds to the model's IM. */
  readonly leverageCap: string | null;
  readonly leverageCapAddOn: string;
  /** modelInitialMargin + leverageCapAddOn. */
  readonly modelInitialMargin: string;
  readonly initialMargin: string;
  readonly maintenanceMargin: string;
}

export interface CollateralBreakdown {
  readonly asset: string;
  readonly balance: string;
  /** Price in quote (1 for the settlement asset); null when unpriced (counts for nothing). */
  readonly price: string | null;
  readonly initialWeight: string;
  readonly maintenanceWeight: string;
  /** Value at the initial / maintenance weight, with the size haircut (quote, rounded down). */
  readonly valueInitial: string;
  readonly valueMaintenance: string;
}

/** Portfolio margin: the risk-matrix terms (float64, quote), and the exact requirement. */
export interface PortfolioBreakdown {
  readonly model: string;
  readonly underlyings: {
    readonly underlying: string;
    readonly spot: string;
    readonly scanRisk: string;
    /** The binding (worst) scenario of this underlying: its id, moves and weighted loss. */
    readonly bindingScenario: {
      readonly id: string;
      readonly priceMove: string;
      readonly volShock: string;
      readonly weight: string;
      readonly loss: string;
    } | null;
    readonly deltaContingency: string;
    readonly shortOptionMinimum: string;
  }[];
  readonly groups: {
    readonly underlyings: string[];
    readonly scanRisk: string;
    readonly correlationCredit: string;
    readonly addOns: string;
    readonly deltaFloor: string;
    readonly shortOptionFloor: string;
    /** max(scanRisk − correlationCredit + addOns, deltaFloor, shortOptionFloor). */
    readonly requirement: string;
    readonly binding: 'scan' | 'deltaFloor' | 'shortOptionFloor';
  }[];
  /** The account's worst scenario with every underlying moving together. */
  readonly largestScenario: string | null;
  readonly largestScenarioLoss: string;
  /** Σ group requirements, as the model computes it (float64). */
  readonly initialMarginUnrounded: string;
  readonly maintenanceFraction: string;
  readonly maintenanceMarginUnrounded: string;
}

export interface ScopeBreakdown {
  readonly scope: string;
  /** 'standard': Σ per-position requirements; 'portfolio': one scenario requirement for the book. */
  readonly marginModel: 'standard' | 'portfolio';
  readonly collateral: CollateralBreakdown[];
  /** Σ collateral valueInitial / valueMaintenance (portfolio: at full value, see portfolio-scope.ts). */
  readonly collateralValueInitial: string;
  readonly collateralValue: string;
  readonly unrealizedPnl: string;
  /** Positive-health haircut (markets with positiveHealthWeight): equity = collateral + uPnL − haircut. */
  readonly pnlHaircutInitial: string;
  readonly pnlHaircut: string;
  readonly equity: string;
  readonly positions: PositionBreakdown[];
  readonly portfolio?: PortfolioBreakdown;
  /** Standard: Σ positions' IM / MM. Portfolio: the model's figures rounded up. */
  readonly initialMargin: string;
  readonly maintenanceMargin: string;
}

export interface MarginBreakdown {
  readonly account: string;
  readonly sub: string;
  readonly cross: ScopeBreakdown;
  readonly isolated: ScopeBreakdown[];
}

/** Ratios are ppm: shown as decimal fractions. */
const ratio = (ppm: bigint) => formatDecimal(ppm, 6);
/** Option per-unit amounts are px8 × ppm. */
const UNIT_DECIMALS = PRICE_DECIMALS + 6;
/** Option position amounts before rounding: qty9 × px8 × ppm, in whole quote. */
const OPTION_EXACT_DECIMALS = QTY_DECIMALS + PRICE_DECIMALS + 6;

const bracketCache = new WeakMap<object, Bracket[]>();
function bracketsOf(config: Extract<MarginModelConfig, { kind: 'brackets' }>, qd: number): Bracket[] {
  let b = bracketCache.get(config);
  if (!b) {
    b = compileBrackets(config.brackets, qd);
    bracketCache.set(config, b);
  }
  return b;
}

/** exact is in quote units × 1e6 (quote·ppm); the amount in quote units rounded up. */
function roundedPpm(exactQuotePpm: bigint, amountQuote: bigint, qd: number): RoundedAmount {
  return {
    exact: formatDecimal(exactQuotePpm, qd + 6),
    roundingUp: formatDecimal(amountQuote * PPM - exactQuotePpm, qd + 6),
    amount: formatDecimal(amountQuote, qd),
  };
}

function ratioTerm(basis: bigint, ratioPpm: bigint, qd: number): RoundedAmount {
  const exact = basis * ratioPpm;
  return roundedPpm(exact, divRound(exact, PPM, 'ceil'), qd);
}

function modelBreakdown(
  state: ReadonlyEngineState,
  market: ReadonlyMarketState,
  size: bigint,
  mark: bigint,
  basis: bigint,
): ModelBreakdown {
  const qd = state.settlement.decimals;
  const q = (v: bigint) => formatDecimal(v, qd);
  const cfg = market.config.margin;
  const absSize = size < 0n ? -size : size;
  switch (cfg.kind) {
    case 'fixed': {
      const mm = resolveMaintenancePpm(cfg.maintenance, cfg.initialRatio);
      return {
        kind: 'fixed',
        initialRatio: ratio(cfg.initialRatio),
        maintenanceRatio: ratio(mm),
        initialMargin: ratioTerm(basis, cfg.initialRatio, qd),
        maintenanceMargin: ratioTerm(basis, mm, qd),
      };
    }
    case 'brackets': {
      const ladder = bracketsOf(cfg, qd);
      const b = bracketFor(ladder, basis);
      const mmExact = basis * b.maintenanceRatioPpm - b.maintenanceAmountQuotePpm;
      const mmQuote = mmExact > 0n ? divRound(mmExact, PPM, 'ceil') : 0n;
      return {
        kind: 'brackets',
        tier: {
          tier: ladder.indexOf(b) + 1,
          notionalFloor: q(b.floorQuote),
          notionalCap: b.capQuote === undefined ? null : q(b.capQuote),
          initialRatio: ratio(b.initialRatioPpm),
          maintenanceRatio: ratio(b.maintenanceRatioPpm),
          maintenanceAmount: formatDecimal(b.maintenanceAmountQuotePpm, qd + 6),
          maxLeverage: b.initialRatioPpm === 0n ? null : formatDecimal((PPM * PPM) / b.initialRatioPpm, 6),
        },
        initialMargin: ratioTerm(basis, b.initialRatioPpm, qd),
        notionalTimesMaintenanceRatio: formatDecimal(basis * b.maintenanceRatioPpm, qd + 6),
        maintenanceMargin: roundedPpm(mmExact, mmQuote, qd),
      };
    }
    case 'sqrtSize': {
      const mmBase = resolveMaintenancePpm(cfg.maintenance, cfg.initialRatio);
      const im = sizePremiumRatio(absSize, cfg.imfFactor, cfg.initialRatio);
      const mm = sizePremiumRatio(absSize, cfg.imfFactor, mmBase);
      return {
        kind: 'sqrtSize',
        baseInitialRatio: ratio(cfg.initialRatio),
        baseMaintenanceRatio: ratio(mmBase),
        imfFactor: ratio(cfg.imfFactor),
        initialRatio: ratio(im),
        maintenanceRatio: ratio(mm),
        sizePremiumInitialRatio: ratio(im - cfg.initialRatio),
        sizePremiumMaintenanceRatio: ratio(mm - mmBase),
        initialMargin: ratioTerm(basis, im, qd),
        maintenanceMargin: ratioTerm(basis, mm, qd),
      };
    }
    case 'openInterestScaled': {
      const mm = resolveMaintenancePpm(cfg.maintenance, cfg.initialRatio);
      const lower = parseQuote(cfg.openInterestLowerCap, qd);
      const upper = parseQuote(cfg.openInterestUpperCap, qd);
      const oi = notionalValue(market.config, market.openInterestQty9, mark, qd, 'ceil');
      const im = oiScaledInitialMarginQuote(basis, cfg.initialRatio, oi, lower, upper);
      const baseIm = divRound(basis * cfg.initialRatio, PPM, 'ceil');
      return {
        kind: 'openInterestScaled',
        baseInitialRatio: ratio(cfg.initialRatio),
        maintenanceRatio: ratio(mm),
        openInterest: q(oi),
        openInterestLowerCap: q(lower),
        openInterestUpperCap: q(upper),
        adjustedInitialRatio: ratio(oiAdjustedInitialPpm(cfg.initialRatio, oi, lower, upper)),
        baseInitialMargin: q(baseIm),
        openInterestAddOn: q(im - baseIm),
        initialMargin: q(im),
        maintenanceMargin: ratioTerm(basis, mm, qd),
      };
    }
    case 'standardOption':
      return optionBreakdown(state, market, size, mark);
  }
}

/** A cap validated when the market was configured (createMarginModel). */
function parseQuote(text: string, qd: number): bigint {
  const r = parseDecimal(text, qd);
  if (!r.ok) throw new InvariantError(`configured cap ${text} does not parse: ${r.issue.reason}`);
  return r.value;
}

function optionBreakdown(
  state: ReadonlyEngineState,
  market: ReadonlyMarketState,
  size: bigint,
  mark: bigint,
): ModelBreakdown {
  const qd = state.settlement.decimals;
  const cfg = market.config.margin as Extract<MarginModelConfig, { kind: 'standardOption' }>;
  const terms = market.config.option!;
  const S = markOf(state.markets.get(terms.underlying)!);
  const M = mark;
  const abs = size < 0n ? -size : size;
  const divisor = 10n ** BigInt(OPTION_EXACT_DECIMALS - qd);
  const rounded = (exact: bigint): RoundedAmount => {
    const amount = divRound(exact, divisor, 'ceil');
    return {
      exact: formatDecimal(exact, OPTION_EXACT_DECIMALS),
      roundingUp: formatDecimal(amount * divisor - exact, OPTION_EXACT_DECIMALS),
      amount: formatDecimal(amount, qd),
    };
  };
  const base = {
    kind: 'standardOption' as const,
    right: terms.right,
    strike: formatDecimal(terms.strike, PRICE_DECIMALS),
    underlyingMark: formatDecimal(S, PRICE_DECIMALS),
    optionMark: formatDecimal(M, PRICE_DECIMALS),
    ...(isCoinSettled(terms) ? { settlement: 'inverse' as const } : {}),
  };
  if (size > 0n) {
    const exact = cfg.long === 'none' ? 0n : abs * M * PPM;
    return {
      ...base,
      long: { rule: cfg.long },
      initialMargin: rounded(exact),
      maintenanceMargin: rounded(exact),
    };
  }
  const call = terms.right === 'call';
  const mmTerms = call ? cfg.maintenance.call : cfg.maintenance.put;
  const otm = outOfTheMoneyPx8(terms, S);
  // A coin-settled option: every term is the quote rule's with prices × 1e8 and the mark M·S,
  // divided by S (margin/option-margin.ts); the amounts round up once, as the engine's do.
  const coin = isCoinSettled(terms);
  const k = coin ? 100_000_000n : 1n;
  const Sq = S * k;
  const Mq = coin ? M * S : M;
  const per = coin ? S : 1n;
  const risk = cfg.initial.base * Sq - otm * k * PPM;
  const floor = cfg.initial.floor * Sq + (call ? cfg.initial.floorMarkCall : cfg.initial.floorMarkPut) * Mq;
  const unit = coin ? coinUnitRequirementTimesS(cfg, terms, S, M) : shortUnitRequirement(cfg, terms, S, M);
  const scanned = max(risk, floor) + Mq * PPM;
  const binding = unit.initial > scanned ? 'maintenance' : risk >= floor ? 'risk' : 'floor';
  const u = (v: bigint) => formatDecimal(divRound(v, per, 'ceil'), UNIT_DECIMALS);
  const total = (unitTimesS: bigint) => divRound(abs * unitTimesS, per, 'ceil');
  return {
    ...base,
    short: {
      outOfTheMoney: formatDecimal(otm, PRICE_DECIMALS),
      initialRiskTerm: u(risk),
      initialFloorTerm: u(floor),
      initialBinding: binding,
      maintenanceUnderlyingTerm: u(mmTerms.underlying * Sq),
      maintenanceMarkTerm: u(mmTerms.mark * Mq),
      liquidationFeeTerm: u(cfg.maintenance.liquidationFee * Sq),
      unitInitialMargin: u(unit.initial),
      unitMaintenanceMargin: u(unit.maintenance),
    },
    initialMargin: rounded(total(unit.initial)),
    maintenanceMargin: rounded(total(unit.maintenance)),
  };
}

function positionBreakdown(
  state: ReadonlyEngineState,
  view: ScopeView,
  p: { market: string; size: bigint; entryValue: bigint },
): PositionBreakdown {
  const qd = state.settlement.decimals;
  const q = (v: bigint) => formatDecimal(v, qd);
  const market = state.markets.get(p.market)!;
  const mark = markOf(market);
  const cap = view.sub.maxLeverage.get(p.market);
  const req = positionRequirement(state, market, p.size, mark, cap, p.entryValue);
  const option = market.config.margin.kind === 'standardOption' && market.config.option !== undefined;
  const basis = option ? req.notionalQuote : requirementBasisQuote(market, req.notionalQuote, p.entryValue);
  const model = modelBreakdown(state, market, p.size, mark, basis);
  const abs = p.size < 0n ? -p.size : p.size;
  // The model's own IM (without the leverage cap), as positionRequirement asks the model for it.
  const oi =
    market.config.margin.kind === 'openInterestScaled'
      ? notionalValue(market.config, market.openInterestQty9, mark, qd, 'ceil')
      : 0n;
  const modelImQuote = option
    ? req.initialQuote
    : market.model.requirement({ sizeQty9: abs, notionalQuote: basis }, { openInterestQuote: oi })
        .initialQuote;
  return {
    market: p.market,
    side: p.size > 0n ? 'long' : 'short',
    size: formatDecimal(abs, QTY_DECIMALS),
    markPrice: formatDecimal(mark, PRICE_DECIMALS),
    notional: q(req.notionalQuote),
    requirementBasis: !option && market.config.requirementOn === 'entry' ? 'entry' : 'mark',
    basisNotional: q(basis),
    model,
    leverageCap: option || cap === undefined ? null : ratio(cap),
    leverageCapAddOn: q(req.initialQuote - modelImQuote),
    modelInitialMargin: q(modelImQuote),
    initialMargin: q(req.initialQuote),
    maintenanceMargin: q(req.maintenanceQuote),
  };
}

function collateralBreakdown(
  state: ReadonlyEngineState,
  view: ScopeView,
  full: boolean,
): CollateralBreakdown[] {
  const qd = state.settlement.decimals;
  const out: CollateralBreakdown[] = [];
  for (const [assetId, balance] of view.balances) {
    const asset = state.assets.get(assetId)!;
    const bal = formatDecimal(balance, asset.decimals);
    if (assetId === state.settlement.id) {
      const v = formatDecimal(balance, qd);
      out.push({
        asset: assetId,
        balance: bal,
        price: '1',
        initialWeight: '1',
        maintenanceWeight: '1',
        valueInitial: v,
        valueMaintenance: v,
      });
      continue;
    }
    const px = assetPricePx8(state, assetId);
    // a deposit at its (e-mode) weight, a borrow at its liability weight (collateral/weights.ts)
    // init weights scaled by the bank's totals when the asset says so (collateral/bank-totals.ts)
    const scaled = (kind: 'initial' | 'maintenance', w: bigint, liability: boolean) =>
      kind === 'maintenance' || px === undefined
        ? w
        : liability
          ? initLiabilityWeightScaled(state, asset, px, w)
          : initAssetWeightScaled(state, asset, px, w);
    const weight = (kind: 'initial' | 'maintenance') =>
      balance < 0n
        ? scaled(kind, liabilityWeightPpm(asset, balance, kind), true)
        : scaled(kind, assetWeightPpm(state.config, view.sub, asset, kind), false);
    const value = (kind: 'initial' | 'maintenance') => {
      if (px === undefined || balance === 0n) return 0n;
      const c = { balance, assetDecimals: asset.decimals, pricePx8: px, quoteDecimals: qd };
      return full
        ? collateralValueQuote({ ...c, weightPpm: PPM, sizeHaircutFactorPpm: 0n })
        : collateralValueQuote({
            ...c,
            weightPpm: scaled(kind, assetWeightPpm(state.config, view.sub, asset, kind), false),
            sizeHaircutFactorPpm: asset.sizeHaircutFactor,
            liabilityWeightPpm: scaled(kind, liabilityWeightPpm(asset, balance, kind), true),
          });
    };
    out.push({
      asset: assetId,
      balance: bal,
      price: px === undefined ? null : formatDecimal(px, PRICE_DECIMALS),
      initialWeight: full ? '1' : ratio(weight('initial')),
      maintenanceWeight: full ? '1' : ratio(weight('maintenance')),
      valueInitial: formatDecimal(value('initial'), qd),
      valueMaintenance: formatDecimal(value('maintenance'), qd),
    });
  }
  return out;
}

/** A float64 as the shortest decimal that reads back to the same number (so sums can be re-checked). */
const num = (x: number) => String(x);

function portfolioBreakdown(state: ReadonlyEngineState, view: ScopeView): PortfolioBreakdown | undefined {
  const detail = portfolioRequirementQuote(state, view.positions, undefined, {
    balances: view.balances,
  }).detail;
  if (!detail) return undefined;
  const fraction = detail.initialMargin === 0 ? 0 : detail.maintenanceMargin / detail.initialMargin;
  return {
    model: detail.config,
    underlyings: detail.underlyings.map((u) => ({
      underlying: u.underlying,
      spot: num(u.spot),
      scanRisk: num(u.scanRisk),
      bindingScenario: u.worstScenario
        ? {
            id: u.worstScenario.id,
            priceMove: num(u.worstScenario.priceMove),
            volShock: num(u.worstScenario.volShock),
            weight: num(u.worstScenario.weight),
            loss: num(-u.worstScenario.weightedPnl),
          }
        : null,
      deltaContingency: num(u.deltaContingency),
      shortOptionMinimum: num(u.shortOptionMinimum),
    })),
    groups: detail.groups.map((g) => ({
      underlyings: g.underlyings,
      scanRisk: num(g.scanRisk),
      correlationCredit: num(g.correlationCredit),
      addOns: num(g.addOns),
      deltaFloor: num(g.deltaFloor),
      shortOptionFloor: num(g.shortOptionFloor),
      requirement: num(g.requirement),
      binding: g.binding,
    })),
    largestScenario: detail.largestScenario,
    largestScenarioLoss: num(detail.largestScenarioLoss),
    initialMarginUnrounded: num(detail.initialMargin),
    maintenanceFraction: num(fraction),
    maintenanceMarginUnrounded: num(detail.maintenanceMargin),
  };
}

function scopeBreakdown(state: ReadonlyEngineState, view: ScopeView, name: string): ScopeBreakdown {
  const qd = state.settlement.decimals;
  const q = (v: bigint) => formatDecimal(v, qd);
  const f = evaluate(state, view);
  const portfolio =
    view.scope.kind === 'cross' && view.sub.portfolioMargin === true && state.portfolio !== undefined;
  let cutInit = 0n;
  let cutMaint = 0n;
  for (const p of f.positions) {
    const cut = positiveHealthHaircut(
      state.markets.get(p.market)!.config.positiveHealthWeight,
      p.unrealizedPnlQuote,
      p.initialQuote,
      p.maintenanceQuote,
    );
    cutInit += cut.initialQuote;
    cutMaint += cut.maintenanceQuote;
  }
  const pm = portfolio ? portfolioBreakdown(state, view) : undefined;
  return {
    scope: name,
    marginModel: portfolio ? 'portfolio' : 'standard',
    collateral: collateralBreakdown(state, view, portfolio),
    collateralValueInitial: q(f.collateralInitialQuote),
    collateralValue: q(f.collateralMaintenanceQuote),
    unrealizedPnl: q(f.unrealizedPnlQuote),
    pnlHaircutInitial: q(cutInit),
    pnlHaircut: q(cutMaint),
    equity: q(f.equityQuote),
    positions: view.positions.filter((p) => p.size !== 0n).map((p) => positionBreakdown(state, view, p)),
    ...(pm ? { portfolio: pm } : {}),
    initialMargin: q(f.initialMarginQuote),
    maintenanceMargin: q(f.maintenanceMarginQuote),
  };
}

/**
 * The margin breakdown of a subaccount: every scope and position with the terms its
 * requirement is made of (see the module header). Pure: reads the state only.
 *
 * @throws MissingPriceError when a position's market (or an option's underlying) has no mark
 */
export function marginBreakdown(state: ReadonlyEngineState, sub: ReadonlySubaccount): MarginBreakdown {
  const isolated: ScopeBreakdown[] = [];
  for (const p of sub.positions.values()) {
    if (p.isolated)
      isolated.push(scopeBreakdown(state, isolatedView(state, sub, p.market), `isolated:${p.market}`));
  }
  return {
    account: sub.ref.account,
    sub: sub.ref.sub,
    cross: scopeBreakdown(state, crossView(sub), 'cross'),
    isolated,
  };
}
