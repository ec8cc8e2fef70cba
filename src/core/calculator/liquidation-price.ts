/**
 * The liquidation-price calculator: given a venue preset, a wallet balance and
 * positions (with entry prices), the liquidation and bankruptcy price of one of
 * them, with the full margin breakdown that explains the number.
 *
 * Everything is computed by the engine: the account is built with the shared
 * scenario builder (src/core/calculator/scenario.ts: positions opened fee-free
 * against a synthetic counterparty at their entry prices, then the preset's real
 * markets, prices and policy), and the prices are the engine's own trigger found
 * by exact bisection (src/core/account/report.ts): for a long, the scope is
 * liquidatable (equity < MM) at the reported price and not 1e-8 above it; for a
 * short, at it and not 1e-8 below. Bankruptcy: where net value < 0. Every other
 * price (other markets' marks, collateral prices) is held fixed.
 *
 * Where the venue publishes a closed form (Binance's LP formula, Hyperliquid's),
 * the result carries it too, evaluated exactly, as a cross-check: the two agree
 * to the cent (the engine's price sits at or just beyond the exact root, on the
 * conservative side, because figures round against the account).
 *
 * What-if: the same call answers "what is my liquidation price if I add X
 * collateral / reduce the position by Y / the other markets move by Z%": the
 * scenario is changed accordingly and recomputed, and the result reports the
 * baseline next to it.
 *   - addCollateral X (settlement asset): cross → the wallet balance; isolated
 *     target → the position's isolated margin.
 *   - reduce {market, size}: that position is reduced by `size` with a fill at
 *     its mark; the engine realizes the PnL (cross: wallet; isolated: its
 *     margin) and the market's taker fee is charged to the wallet.
 *   - moveOtherMarkets f (fraction, "-0.05" = −5%): every other market's mark is
 *     multiplied by (1 + f) (half-even to 1e-8); collateral prices are unchanged.
 *
 * @example
 *   const r = liquidationPriceFor({ preset: 'binance-usdm', walletBalance: '1000',
 *     positions: [{ market: 'BTCUSDT', side: 'long', size: '0.5', entryPrice: '60000' }] });
 *   r.liquidationPrice; // "58232.93172691" (the engine's trigger), r.breakdown.maintenanceMargin, r.formula
 */
import {
  crossView,
  evaluate,
  isLiquidatable,
  isolatedView,
  type PositionFigures,
  positionRequirement,
  type ScopeFigures,
  type ScopeView,
} from '../account/figures.ts';
import { bankruptcyPrice, liquidationPrice } from '../account/report.ts';
import { Engine } from '../engine/engine.ts';
import { entryPricePx8, isInverse, notionalValue } from '../margin/contract-value.ts';
import { bracketFor, compileBrackets, resolveMaintenancePpm, sizePremiumRatio } from '../margin/models.ts';
import { signedValueQuote } from '../margin/notional.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import type { ReadonlyEngineState, ReadonlyMarketState, ReadonlySubaccount } from '../model/state.ts';
import {
  abs,
  divRound,
  formatDecimal,
  mulDiv,
  PPM,
  PRICE_DECIMALS,
  parseDecimal,
  pow10,
  QTY_DECIMALS,
} from '../num/index.ts';
import { type LendingInput, type LendingResult, lendingLiquidationPrice } from '../presets/aave-v3.ts';
import { getPreset } from '../presets/index.ts';
import { cmp, type Rational, rat, ratScaled, toScaled } from '../presets/rational.ts';
import type { LadderStep, LinearPositionInput, VenuePreset } from '../presets/types.ts';
import { explainInverse, inverseInput } from './inverse-input.ts';
import { buildScenario, ScenarioError, type ScenarioInput } from './scenario.ts';

/** A problem with the calculator's input (unknown preset or market, malformed decimals, …). */
export class CalculatorError extends Error {
  override name = 'CalculatorError';
}

export interface CalculatorPosition {
  readonly market: string;
  /** With `side`, `size` is unsigned; without it, `size` is signed (+ long, − short). */
  readonly side?: 'long' | 'short';
  /** Base units, decimal string. */
  readonly size: string;
  readonly entryPrice: string;
  /** Default 'cross'. */
  readonly mode?: 'cross' | 'isolated';
  /** Isolated only (settlement asset); default: the initial margin at entry (notional / leverage). */
  readonly isolatedMargin?: string;
  /** The user's leverage setting ("20"): raises IM only; sets the default isolated margin. */
  readonly leverage?: string;
}

export interface WhatIf {
  /** Settlement-asset amount added (negative: removed): cross → wallet, isolated target → its margin. */
  readonly addCollateral?: string;
  /** Reduce a position by `size` (unsigned base units) at its mark, paying the taker fee. */
  readonly reduce?: { readonly market: string; readonly size: string };
  /** Move every other market's mark by this fraction ("-0.05" = −5%). */
  readonly moveOtherMarkets?: string;
}

export interface LiquidationPriceInput {
  /** A preset id (`binance-usdm`, …) or a preset object. */
  readonly preset: string | VenuePreset;
  /** Override of the preset's engine configuration (custom bracket tables, other markets). */
  readonly config?: EngineConfigInput;
  /** Cross wallet balance in the settlement asset (isolated margins come on top of it). Default "0". */
  readonly walletBalance?: string;
  /** Other collateral deposits (asset → amount); they need a price in `assetPrices`. */
  readonly collateral?: Readonly<Record<string, string>>;
  readonly assetPrices?: Readonly<Record<string, string>>;
  readonly positions?: readonly CalculatorPosition[];
  /** Mark price per market; a position's market defaults to its entry price. */
  readonly marks?: Readonly<Record<string, string>>;
  /** The position whose price is asked; default the first position (lending: `asset`). */
  readonly market?: string;
  readonly whatIf?: WhatIf;
  /** Lending presets: the settlement-asset debt. */
  readonly debt?: string;
  /** Lending presets: the collateral asset whose price is asked (default: the first collateral). */
  readonly asset?: string;
}

export interface MaintenanceDetail {
  readonly model: 'fixed' | 'brackets' | 'sqrtSize' | 'openInterestScaled' | 'standardOption';
  /** Maintenance rate applied (fraction). */
  readonly maintenanceRate: string;
  /** Brackets: index (0-based), floor, cap (null = open-ended) and maintenance amount ("cum"). */
  readonly bracket?: number;
  readonly notionalFloor?: string;
  readonly notionalCap?: string | null;
  readonly maintenanceAmount?: string;
  readonly initialRate?: string;
}

export interface PositionBreakdown {
  readonly market: string;
  readonly side: 'long' | 'short';
  readonly size: string;
  readonly entryPrice: string;
  readonly markPrice: string;
  readonly notional: string;
  readonly unrealizedPnl: string;
  readonly initialMargin: string;
  readonly maintenanceMargin: string;
  readonly maintenance: MaintenanceDetail;
}

export interface Breakdown {
  readonly scope: 'cross' | 'isolated';
  /** Settlement-asset balance of the scope (cross wallet balance or isolated margin). */
  readonly walletBalance: string;
  /** Collateral at maintenance weights (= wallet balance when it is all settlement asset). */
  readonly collateralValue: string;
  readonly unrealizedPnl: string;
  readonly equity: string;
  readonly initialMargin: string;
  readonly maintenanceMargin: string;
  /** equity − MM: how much loss the scope can take before liquidation. */
  readonly health: string;
  readonly marginRatio: string | null;
  readonly liquidatable: boolean;
  readonly positions: readonly PositionBreakdown[];
}

export interface LiquidationPriceResult {
  readonly preset: string;
  readonly market: string;
  readonly side: 'long' | 'short' | null;
  readonly mode: 'cross' | 'isolated';
  readonly markPrice: string;
  /** The engine's trigger (null: no price in (0, 1e12] triggers it, or the position is closed). */
  readonly liquidationPrice: string | null;
  readonly bankruptcyPrice: string | null;
  /** (liquidation − mark) / mark, signed; null without a liquidation price. */
  readonly distance: string | null;
  readonly breakdown: Breakdown;
  /** The scope's figures with the target market at the liquidation price: equity meets MM there. */
  readonly atLiquidation: {
    readonly equity: string;
    readonly maintenanceMargin: string;
    readonly maintenance: MaintenanceDetail;
  } | null;
  /** The venue's published closed form, evaluated exactly (when the preset has one). */
  readonly venueFormula: {
    readonly liquidationPrice: string | null;
    readonly bracket: number;
    /** engine − formula, quote per base. */
    readonly differenceFromEngine: string | null;
  } | null;
  /** The venue's formula and the numbers that produce this price. */
  readonly formula: string;
  readonly whatIf?: {
    readonly applied: WhatIf;
    readonly baseline: { readonly liquidationPrice: string | null; readonly bankruptcyPrice: string | null };
    /** new − baseline liquidation price; null if either is null. */
    readonly liquidationPriceChange: string | null;
  };
  /** Lending presets only: health factor, debt, collateral details. */
  readonly lending?: LendingResult;
  /**
   * Inverse (coin-margined) markets only: every amount of the breakdown is in this coin (the
   * settlement asset), sizes count contracts of `contractValue` quote each.
   */
  readonly inverse?: { readonly settlementAsset: string; readonly contractValue: string };
}

/** Internals for tests and drivers: the built state and the scope the price was found on. */
export interface DetailedResult {
  readonly result: LiquidationPriceResult;
  /** The engine holding the account (perpetual presets; null for lending presets). */
  readonly engine: Engine | null;
  readonly state: ReadonlyEngineState;
  readonly view: ScopeView | null;
  readonly market: string;
}

function fail(message: string): never {
  throw new CalculatorError(message);
}

function decimal(text: string, decimals: number, where: string): bigint {
  const r = parseDecimal(text, decimals);
  if (!r.ok) fail(`${where}: ${JSON.stringify(text)}: ${r.issue.reason}`);
  return r.value;
}

function resolvePreset(p: string | VenuePreset): VenuePreset {
  if (typeof p !== 'string') return p;
  const preset = getPreset(p);
  if (!preset) fail(`unknown preset ${JSON.stringify(p)}`);
  return preset;
}

/** Liquidation and bankruptcy price of one position (module header), with its breakdown. */
export function liquidationPriceFor(input: LiquidationPriceInput): LiquidationPriceResult {
  return liquidationPriceDetailed(input).result;
}

/** As liquidationPriceFor, with the engine state and scope the price was found on. */
export function liquidationPriceDetailed(input: LiquidationPriceInput): DetailedResult {
  const preset = resolvePreset(input.preset);
  const run = (w: WhatIf | undefined) =>
    preset.kind === 'lending' ? lending(preset, input, w) : compute(preset, input, w);
  const base = run(undefined);
  if (!input.whatIf || Object.keys(input.whatIf).length === 0) return base;
  const changed = run(input.whatIf);
  const a = base.result.liquidationPrice;
  const b = changed.result.liquidationPrice;
  const change =
    a === null || b === null
      ? null
      : formatDecimal(
          decimal(b, PRICE_DECIMALS, 'liquidationPrice') - decimal(a, PRICE_DECIMALS, 'liquidationPrice'),
          PRICE_DECIMALS,
        );
  return {
    ...changed,
    result: {
      ...changed.result,
      whatIf: {
        applied: input.whatIf,
        baseline: {
          liquidationPrice: base.result.liquidationPrice,
          bankruptcyPrice: base.result.bankruptcyPrice,
        },
        liquidationPriceChange: change,
      },
    },
  };
}

function lending(
  preset: VenuePreset,
  input: LiquidationPriceInput,
  whatIf: WhatIf | undefined,
): DetailedResult {
  if (whatIf?.reduce !== undefined || whatIf?.moveOtherMarkets !== undefined)
    fail('lending presets answer only the addCollateral what-if (units of the asset asked about)');
  const config = input.config ?? preset.config();
  const lendingInput: LendingInput = {
    config,
    collateral: input.collateral ?? {},
    prices: input.assetPrices ?? {},
    debt: input.debt ?? '0',
    ...(input.asset === undefined ? {} : { asset: input.asset }),
    ...(whatIf?.addCollateral === undefined ? {} : { addCollateral: whatIf.addCollateral }),
  };
  let r: LendingResult;
  try {
    r = lendingLiquidationPrice(lendingInput);
  } catch (e) {
    const userError = ['RangeError', 'ConfigError', 'EngineRejectedError', 'DecimalFormatError'];
    if (e instanceof Error && userError.includes(e.name)) fail(e.message);
    throw e;
  }
  return {
    result: {
      preset: preset.id,
      market: r.asset,
      side: null,
      mode: 'cross',
      markPrice: r.price,
      liquidationPrice: r.liquidationPrice,
      bankruptcyPrice: r.bankruptcyPrice,
      distance: r.distance,
      breakdown: {
        scope: 'cross',
        walletBalance: r.collateralValue,
        collateralValue: r.weightedCollateral,
        unrealizedPnl: '0',
        equity: r.equity,
        initialMargin: '0',
        maintenanceMargin: '0',
        health: r.equity,
        marginRatio: null,
        liquidatable: r.liquidatable,
        positions: [],
      },
      atLiquidation: null,
      venueFormula: {
        liquidationPrice: r.formulaLiquidationPrice,
        bracket: 0,
        differenceFromEngine: r.differenceFromEngine,
      },
      formula: `${preset.formula}\n${r.formula}`,
      lending: r,
    },
    engine: null,
    state: r.state,
    view: null,
    market: r.asset,
  };
}

interface NormalizedPosition {
  market: string;
  size: bigint;
  entryPx8: bigint;
  mode: 'cross' | 'isolated';
  isolatedMargin: bigint | undefined;
  leverage: string | undefined;
}

function compute(
  preset: VenuePreset,
  input: LiquidationPriceInput,
  whatIf: WhatIf | undefined,
): DetailedResult {
  const config = input.config ?? preset.config();
  let reference: Engine;
  try {
    reference = Engine.create(config);
  } catch (e) {
    fail(`preset ${preset.id} config: ${(e as Error).message}`);
  }
  const ref = reference.state;
  const settlement = ref.settlement;
  const qd = settlement.decimals;
  const q = (v: bigint) => formatDecimal(v, qd);
  const positions = input.positions ?? [];
  if (positions.length === 0) fail('at least one position is required');

  const normalized: NormalizedPosition[] = positions.map((p, i) => {
    const at = `positions[${i}] (${p.market})`;
    const market = ref.markets.get(p.market);
    if (!market)
      fail(`${at}: unknown market for preset ${preset.id} (markets: ${[...ref.markets.keys()].join(', ')})`);
    let size = decimal(p.size, QTY_DECIMALS, `${at}.size`);
    if (p.side !== undefined) {
      if (size <= 0n) fail(`${at}.size: with a side, the size must be positive`);
      if (p.side === 'short') size = -size;
    }
    if (size === 0n) fail(`${at}.size: must not be zero`);
    const entryPx8 = decimal(p.entryPrice, PRICE_DECIMALS, `${at}.entryPrice`);
    if (entryPx8 <= 0n) fail(`${at}.entryPrice: must be positive`);
    const mode = p.mode ?? 'cross';
    if (p.isolatedMargin !== undefined && mode !== 'isolated')
      fail(`${at}.isolatedMargin: only for isolated positions (mode: 'isolated')`);
    let isolatedMargin: bigint | undefined;
    if (mode === 'isolated') {
      if (p.isolatedMargin !== undefined) {
        isolatedMargin = decimal(p.isolatedMargin, qd, `${at}.isolatedMargin`);
      } else {
        const lev = p.leverage === undefined ? undefined : decimal(p.leverage, 6, `${at}.leverage`);
        if (lev !== undefined && lev < PPM) fail(`${at}.leverage: must be at least 1`);
        isolatedMargin = positionRequirement(
          ref,
          { ...market, openInterestQty9: abs(size) },
          size,
          entryPx8,
          lev,
        ).initialQuote;
      }
      if (isolatedMargin < 0n) fail(`${at}.isolatedMargin: must not be negative`);
    }
    return { market: p.market, size, entryPx8, mode, isolatedMargin, leverage: p.leverage };
  });
  const seen = new Set<string>();
  for (const p of normalized) {
    if (seen.has(p.market)) fail(`two positions in ${p.market}: give one net position per market`);
    seen.add(p.market);
  }
  const target = input.market ?? normalized[0]!.market;
  const targetPos = normalized.find((p) => p.market === target);
  if (!targetPos) fail(`market ${target}: no position in it (positions: ${[...seen].join(', ')})`);

  // Marks: given, else the entry price.
  const marks = new Map<string, bigint>();
  for (const [m, text] of Object.entries(input.marks ?? {})) {
    if (!ref.markets.has(m)) fail(`marks.${m}: unknown market for preset ${preset.id}`);
    const px = decimal(text, PRICE_DECIMALS, `marks.${m}`);
    if (px <= 0n) fail(`marks.${m}: must be positive`);
    marks.set(m, px);
  }
  for (const p of normalized) if (!marks.has(p.market)) marks.set(p.market, p.entryPx8);

  let wallet = decimal(input.walletBalance ?? '0', qd, 'walletBalance');
  if (wallet < 0n) fail('walletBalance: must not be negative');
  const reduceOf = new Map<string, bigint>();
  if (whatIf) {
    if (whatIf.addCollateral !== undefined) {
      const x = decimal(whatIf.addCollateral, qd, 'whatIf.addCollateral');
      if (targetPos.mode === 'isolated') {
        targetPos.isolatedMargin = targetPos.isolatedMargin! + x;
        if (targetPos.isolatedMargin < 0n)
          fail('whatIf.addCollateral: would leave a negative isolated margin');
      } else {
        wallet += x;
        if (wallet < 0n) fail('whatIf.addCollateral: would leave a negative wallet balance');
      }
    }
    if (whatIf.reduce !== undefined) {
      const r = whatIf.reduce;
      const pos = normalized.find((p) => p.market === r.market);
      if (!pos) fail(`whatIf.reduce.market: no position in ${r.market}`);
      const y = decimal(r.size, QTY_DECIMALS, 'whatIf.reduce.size');
      if (y <= 0n || y > abs(pos.size))
        fail(`whatIf.reduce.size: must be in (0, ${formatDecimal(abs(pos.size), QTY_DECIMALS)}]`);
      reduceOf.set(r.market, y);
      const takerFee = ref.markets.get(r.market)!.config.takerFee;
      const reduced = ref.markets.get(r.market)!.config;
      const fee = mulDiv(
        notionalValue(reduced, y, marks.get(r.market)!, qd, 'halfEven'),
        takerFee,
        PPM,
        'ceil',
      );
      wallet -= fee;
      if (wallet < 0n) fail('whatIf.reduce: the wallet cannot pay the taker fee of the reduction');
    }
    if (whatIf.moveOtherMarkets !== undefined) {
      const f = decimal(whatIf.moveOtherMarkets, 9, 'whatIf.moveOtherMarkets');
      for (const [m, px] of marks) {
        if (m === target) continue;
        const moved = divRound(px * (pow10(9) + f), pow10(9), 'halfEven');
        if (moved <= 0n) fail(`whatIf.moveOtherMarkets: ${m} would have a non-positive mark`);
        marks.set(m, moved);
      }
    }
  }

  const isoTotal = normalized.reduce((s, p) => s + (p.isolatedMargin ?? 0n), 0n);
  const settlementDeposit = wallet + isoTotal;
  const deposits: Record<string, string> = { ...(input.collateral ?? {}) };
  if (settlement.id in deposits)
    fail(`collateral.${settlement.id}: use walletBalance for the settlement asset`);
  if (settlementDeposit > 0n) deposits[settlement.id] = q(settlementDeposit);
  const px = (v: bigint) => formatDecimal(v, PRICE_DECIMALS);
  const scenario: ScenarioInput = {
    config,
    prices: {
      marks: Object.fromEntries([...marks].map(([m, v]) => [m, px(v)])),
      assets: { ...(input.assetPrices ?? {}) },
      exchangeRates: {},
    },
    accounts: [
      {
        account: 'trader',
        deposits,
        marginModes: Object.fromEntries(normalized.map((p) => [p.market, p.mode])),
        leverage: Object.fromEntries(
          normalized.filter((p) => p.leverage !== undefined).map((p) => [p.market, p.leverage!]),
        ),
        positions: normalized.map((p) => ({
          market: p.market,
          size: formatDecimal(p.size, QTY_DECIMALS),
          entryPrice: px(p.entryPx8),
          ...(p.mode === 'isolated' ? { isolatedMargin: q(p.isolatedMargin!) } : {}),
          ...(reduceOf.has(p.market)
            ? { reduceAtMark: formatDecimal(reduceOf.get(p.market)!, QTY_DECIMALS) }
            : {}),
        })),
      },
    ],
  };
  let built: ReturnType<typeof buildScenario>;
  try {
    built = buildScenario(scenario);
  } catch (e) {
    if (e instanceof ScenarioError) fail(e.message);
    throw e;
  }
  const state = built.state;
  const sub = built.subaccounts[0]!;
  const position = sub.positions.get(target);
  const isolated = targetPos.mode === 'isolated';
  const view: ScopeView = isolated && position ? isolatedView(state, sub, target) : crossView(sub);
  const f = evaluate(state, view);
  const markPx8 = marks.get(target)!;
  const lp = position ? liquidationPrice(state, view, target) : null;
  const bp = position ? bankruptcyPrice(state, view, target) : null;

  const breakdown = describeScope(state, sub, view, f, isolated, target);
  let atLiquidation: LiquidationPriceResult['atLiquidation'] = null;
  if (lp !== null && position) {
    const at = evaluate(state, view, new Map([[target, lp]]));
    const pf = at.positions.find((p) => p.market === target)!;
    atLiquidation = {
      equity: q(at.equityQuote),
      maintenanceMargin: q(at.maintenanceMarginQuote),
      maintenance: maintenanceDetail(state, state.markets.get(target)!, pf),
    };
  }

  const inverse = isInverse(state.markets.get(target)!.config);
  const linear = position && !inverse ? linearInput(state, f, target) : null;
  const inv =
    position && inverse
      ? inverseInput(state, f, target, ladderOf(state, state.markets.get(target)!, abs(position.size)))
      : null;
  let venueFormula: LiquidationPriceResult['venueFormula'] = null;
  const cf = linear
    ? preset.closedForm?.(linear.input)
    : inv
      ? preset.inverseClosedForm?.(inv.input)
      : undefined;
  if (cf) {
    const cfPx8 = cf.price === null ? null : toScaled(cf.price, PRICE_DECIMALS, 'halfEven');
    venueFormula = {
      liquidationPrice: cfPx8 === null ? null : px(cfPx8),
      bracket: cf.bracket,
      differenceFromEngine: cfPx8 === null || lp === null ? null : px(lp - cfPx8),
    };
  }
  const side = position ? (position.size > 0n ? 'long' : 'short') : targetPos.size > 0n ? 'long' : 'short';
  const result: LiquidationPriceResult = {
    preset: preset.id,
    market: target,
    side,
    mode: targetPos.mode,
    markPrice: px(markPx8),
    liquidationPrice: lp === null ? null : px(lp),
    bankruptcyPrice: bp === null ? null : px(bp),
    distance: lp === null ? null : formatDecimal(divRound((lp - markPx8) * PPM, markPx8, 'halfEven'), 6),
    breakdown,
    atLiquidation,
    venueFormula,
    formula: inverse
      ? explainInverse(preset, inv, lp, position === undefined)
      : explain(preset, linear, lp, position === undefined),
    ...(inverse
      ? {
          inverse: {
            settlementAsset: state.settlement.id,
            contractValue: px(state.markets.get(target)!.config.contractValue!),
          },
        }
      : {}),
  };
  return { result, engine: built.engine, state, view, market: target };
}

function describeScope(
  state: ReadonlyEngineState,
  sub: ReadonlySubaccount,
  view: ScopeView,
  f: ScopeFigures,
  isolated: boolean,
  target: string,
): Breakdown {
  const qd = state.settlement.decimals;
  const q = (v: bigint) => formatDecimal(v, qd);
  const wallet = isolated
    ? (sub.positions.get(target)?.isolatedMargin ?? 0n)
    : (sub.balances.get(state.settlement.id) ?? 0n);
  return {
    scope: view.scope.kind,
    walletBalance: q(wallet),
    collateralValue: q(f.collateralMaintenanceQuote),
    unrealizedPnl: q(f.unrealizedPnlQuote),
    equity: q(f.equityQuote),
    initialMargin: q(f.initialMarginQuote),
    maintenanceMargin: q(f.maintenanceMarginQuote),
    health: q(f.healthQuote),
    marginRatio:
      f.equityQuote <= 0n
        ? null
        : formatDecimal(mulDiv(f.maintenanceMarginQuote, PPM, f.equityQuote, 'ceil'), 6),
    liquidatable: isLiquidatable(f),
    positions: f.positions.map((p) => {
      const absSize = abs(p.size);
      const entry = entryPricePx8(state.markets.get(p.market)!.config, absSize, p.entryValue, qd);
      return {
        market: p.market,
        side: p.size > 0n ? ('long' as const) : ('short' as const),
        size: formatDecimal(absSize, QTY_DECIMALS),
        entryPrice: formatDecimal(entry, PRICE_DECIMALS),
        markPrice: formatDecimal(p.markPx8, PRICE_DECIMALS),
        notional: q(p.notionalQuote),
        unrealizedPnl: q(p.unrealizedPnlQuote),
        initialMargin: q(p.initialQuote),
        maintenanceMargin: q(p.maintenanceQuote),
        maintenance: maintenanceDetail(state, state.markets.get(p.market)!, p),
      };
    }),
  };
}

/** The maintenance ratio (ppm) a market applies to a position of |size| sizeQty9, and bracket info. */
function maintenanceDetail(
  state: ReadonlyEngineState,
  market: ReadonlyMarketState,
  p: PositionFigures,
): MaintenanceDetail {
  const qd = state.settlement.decimals;
  const m = market.config.margin;
  const ratio = (ppm: bigint) => formatDecimal(ppm, 6);
  switch (m.kind) {
    case 'fixed':
      return { model: 'fixed', maintenanceRate: ratio(resolveMaintenancePpm(m.maintenance, m.initialRatio)) };
    case 'standardOption':
      // Not a ratio of notional: the rule reads the underlying's price; report the effective rate.
      return {
        model: 'standardOption',
        maintenanceRate:
          p.notionalQuote === 0n ? '0' : ratio(mulDiv(p.maintenanceQuote, PPM, p.notionalQuote, 'ceil')),
      };
    case 'openInterestScaled':
      return {
        model: 'openInterestScaled',
        maintenanceRate: ratio(resolveMaintenancePpm(m.maintenance, m.initialRatio)),
      };
    case 'sqrtSize':
      return {
        model: 'sqrtSize',
        maintenanceRate: ratio(
          sizePremiumRatio(abs(p.size), m.imfFactor, resolveMaintenancePpm(m.maintenance, m.initialRatio)),
        ),
      };
    case 'brackets': {
      const brackets = compileBrackets(m.brackets, qd);
      const b = bracketFor(brackets, p.notionalQuote);
      return {
        model: 'brackets',
        maintenanceRate: ratio(b.maintenanceRatioPpm),
        bracket: brackets.indexOf(b),
        notionalFloor: formatDecimal(b.floorQuote, qd),
        notionalCap: b.capQuote === undefined ? null : formatDecimal(b.capQuote, qd),
        maintenanceAmount: formatDecimal(b.maintenanceAmountQuotePpm, qd + 6),
        initialRate: ratio(b.initialRatioPpm),
      };
    }
  }
}

/** The market's maintenance ladder as exact rationals (whole quote units). */
function ladderOf(state: ReadonlyEngineState, market: ReadonlyMarketState, sizeQty9: bigint): LadderStep[] {
  const qd = state.settlement.decimals;
  const m = market.config.margin;
  const ppm = (v: bigint): Rational => rat(v, PPM);
  const open = (mmPpm: bigint): LadderStep[] => [
    { floor: rat(0n), cap: null, mmr: ppm(mmPpm), amount: rat(0n) },
  ];
  switch (m.kind) {
    case 'standardOption':
      throw new Error('ladderOf: option markets have no maintenance ladder');
    case 'fixed':
    case 'openInterestScaled':
      return open(resolveMaintenancePpm(m.maintenance, m.initialRatio));
    case 'sqrtSize':
      return open(
        sizePremiumRatio(sizeQty9, m.imfFactor, resolveMaintenancePpm(m.maintenance, m.initialRatio)),
      );
    case 'brackets':
      return compileBrackets(m.brackets, qd).map((b) => ({
        floor: ratScaled(b.floorQuote, qd),
        cap: b.capQuote === undefined ? null : ratScaled(b.capQuote, qd),
        mmr: ppm(b.maintenanceRatioPpm),
        amount: ratScaled(b.maintenanceAmountQuotePpm, qd + 6),
      }));
  }
}

function linearInput(
  state: ReadonlyEngineState,
  f: ScopeFigures,
  target: string,
): {
  input: LinearPositionInput;
  maintenanceAtLp: (lpPx8: bigint) => LadderStep | undefined;
  /** The market takes its requirement on the entry notional (`requirementOn: 'entry'`, Bybit). */
  onEntry: boolean;
} | null {
  const qd = state.settlement.decimals;
  const pf = f.positions.find((p) => p.market === target);
  if (!pf) return null;
  const quote = (v: bigint) => ratScaled(v, qd);
  let otherMm = 0n;
  let otherPnl = 0n;
  for (const p of f.positions) {
    if (p.market === target) continue;
    otherMm += p.maintenanceQuote;
    otherPnl += p.unrealizedPnlQuote;
  }
  // The closed form is linear in the mark: it does not describe an option's requirement.
  if (state.markets.get(target)!.config.margin.kind === 'standardOption') return null;
  const absSize = abs(pf.size);
  const ladder = ladderOf(state, state.markets.get(target)!, absSize);
  const input: LinearPositionInput = {
    side: pf.size > 0n ? 1 : -1,
    size: ratScaled(absSize, QTY_DECIMALS),
    entryPrice: rat(abs(pf.entryValue) * pow10(QTY_DECIMALS), pow10(qd) * absSize),
    markPrice: ratScaled(pf.markPx8, PRICE_DECIMALS),
    walletBalance: quote(f.collateralMaintenanceQuote),
    otherMaintenance: quote(otherMm),
    otherUnrealizedPnl: quote(otherPnl),
    ladder,
  };
  const onEntry = state.markets.get(target)!.config.requirementOn === 'entry';
  const maintenanceAtLp = (lpPx8: bigint) => {
    const notional = onEntry
      ? ratScaled(abs(pf.entryValue), qd)
      : ratScaled(signedValueQuote(absSize, lpPx8, qd, 'ceil'), qd);
    return ladder.find((s) => s.cap === null || cmp(notional, s.cap) < 0);
  };
  return { input, maintenanceAtLp, onEntry };
}

function fmt(r: Rational, places = 8): string {
  return formatDecimal(toScaled(r, places, 'halfEven'), places);
}

/** The venue's formula, and the linear root instantiated with this account's numbers. */
function explain(
  preset: VenuePreset,
  linear: ReturnType<typeof linearInput>,
  lpPx8: bigint | null,
  closed: boolean,
): string {
  const lines = [preset.formula];
  if (closed) {
    lines.push('The position is closed: no liquidation price.');
    return lines.join('\n');
  }
  if (!linear || lpPx8 === null) {
    lines.push('No price in (0, 1e12] makes equity fall below MM: no liquidation price.');
    return lines.join('\n');
  }
  const i = linear.input;
  const step = linear.maintenanceAtLp(lpPx8) ?? i.ladder[0]!;
  const side = i.side === 1 ? '1' : '-1';
  if (linear.onEntry) {
    lines.push(
      `Root of equity = MM with MM on the entry notional (requirementOn: entry; the engine's trigger): ` +
        `LP = EP − side·(WB − TMM₁ + UPNL₁ − (size·EP·MMR − deduction))/size = ` +
        `${fmt(i.entryPrice)} − (${side})·(${fmt(i.walletBalance)} − ${fmt(i.otherMaintenance)} + (${fmt(i.otherUnrealizedPnl)}) − ` +
        `(${fmt(i.size, 9)}·${fmt(i.entryPrice)}·${fmt(step.mmr, 6)} − ${fmt(step.amount)}))/${fmt(i.size, 9)} ≈ ` +
        `${formatDecimal(lpPx8, PRICE_DECIMALS)} (engine, exact to 1e-8 on the conservative side).`,
    );
    return lines.join('\n');
  }
  lines.push(
    `Root of equity = MM for this account (the engine's trigger; MM rate and amount of the bracket at the liquidation price): ` +
      `LP = (WB − TMM₁ + UPNL₁ + cum − side·size·EP) / (size·MMR − side·size) = ` +
      `(${fmt(i.walletBalance)} − ${fmt(i.otherMaintenance)} + (${fmt(i.otherUnrealizedPnl)}) + ${fmt(step.amount)} − (${side})·${fmt(i.size, 9)}·${fmt(i.entryPrice)}) / ` +
      `(${fmt(i.size, 9)}·${fmt(step.mmr, 6)} − (${side})·${fmt(i.size, 9)}) ≈ ${formatDecimal(lpPx8, PRICE_DECIMALS)} ` +
      `(engine, exact to 1e-8 on the conservative side).`,
  );
  return lines.join('\n');
}
