/**
 * Venue presets (DESIGN §5 "venues are presets"): a well-known venue's published
 * margin and liquidation rules expressed as a configuration of Plimsoll's own
 * models — assets, markets with their margin model, liquidation policy — plus,
 * where the venue publishes one, its closed-form liquidation price (the
 * calculator shows it next to the engine's). The venue's other formulas are
 * re-implemented in core/reference/<venue>.ts as the tests' references.
 *
 * A preset's `config()` is an `EngineConfigInput`: `Engine.create` validates it
 * with the same zod schemas as any other configuration (a preset is not a
 * privileged path into the engine). `engineGaps` lists, precisely, the venue
 * rules the engine cannot execute yet; each is implemented and tested as a pure
 * function (a test reference in core/reference/) so a venue team can see what
 * the engine would need.
 */
import type { EngineConfigInput } from '../model/engine-config.ts';
import type { Rational } from './rational.ts';

export type PresetId =
  | 'binance-usdm'
  | 'binance-coinm'
  | 'bybit-usdt'
  | 'bybit-inverse'
  | 'bitmex-inverse'
  | 'dydx-v4'
  | 'drift-v2'
  | 'hyperliquid'
  | 'aave-v3'
  | 'mango-v4';

/** Where the venue publishes a rule or a worked example. */
export interface PresetSource {
  readonly title: string;
  readonly url: string;
}

/** A venue rule the liquidation engine does not execute yet, and the pure function that implements it. */
export interface EngineGap {
  /** The venue's rule, in one sentence. */
  readonly rule: string;
  /** The function that computes it exactly (a test reference in core/reference/<venue>.ts), or '—'. */
  readonly implementedBy: string;
  /** What the engine's policy would need to execute it. */
  readonly engineNeeds: string;
}

/**
 * One position on a linear market, as the venues' closed-form liquidation-price
 * formulas see it. All quantities exact; quote amounts in whole quote units.
 */
export interface LinearPositionInput {
  /** +1 long, −1 short. */
  readonly side: 1 | -1;
  /** |size| in base units. */
  readonly size: Rational;
  readonly entryPrice: Rational;
  readonly markPrice: Rational;
  /**
   * Collateral of the scope: the cross wallet balance (cross) or the isolated
   * wallet balance (isolated), at maintenance weights for non-settlement assets.
   */
  readonly walletBalance: Rational;
  /** Maintenance margin of every other position of the scope, at its mark (Binance TMM₁). */
  readonly otherMaintenance: Rational;
  /** Unrealized PnL of every other position of the scope, at its mark (Binance UPNL₁). */
  readonly otherUnrealizedPnl: Rational;
  /** The market's maintenance ladder; a fixed ratio is one open-ended bracket. */
  readonly ladder: readonly LadderStep[];
}

/**
 * One position on an inverse (coin-margined) market, as the venues' closed-form liquidation-price
 * formulas see it: `contracts` of `contractValue` quote each, coin amounts in whole coins.
 */
export interface InversePositionInput {
  /** +1 long, −1 short. */
  readonly side: 1 | -1;
  /** |size| in contracts. */
  readonly contracts: Rational;
  /** Quote (USD) per contract. */
  readonly contractValue: Rational;
  /** The harmonic average entry price. */
  readonly entryPrice: Rational;
  readonly markPrice: Rational;
  /** Collateral of the scope in coin (cross wallet or isolated margin), maintenance-weighted. */
  readonly walletBalance: Rational;
  /** Maintenance margin and unrealized PnL of every other position of the scope (coin). */
  readonly otherMaintenance: Rational;
  readonly otherUnrealizedPnl: Rational;
  /** The market's maintenance ladder on the coin notional. */
  readonly ladder: readonly LadderStep[];
}

/** MM = notional × mmr − amount on floor ≤ notional < cap. */
export interface LadderStep {
  readonly floor: Rational;
  /** Exclusive upper bound; null for the last bracket. */
  readonly cap: Rational | null;
  readonly mmr: Rational;
  readonly amount: Rational;
}

export interface ClosedFormResult {
  /** The formula's liquidation price; null when the venue would show "--" (≤ 0 or no bracket fits). */
  readonly price: Rational | null;
  /** Index of the ladder step whose rate and amount the formula used. */
  readonly bracket: number;
}

export interface VenuePreset {
  readonly id: PresetId;
  readonly name: string;
  /** 'perpetuals' (positions on linear perps) or 'lending' (collateral and debt, health factor). */
  readonly kind: 'perpetuals' | 'lending';
  readonly summary: string;
  /** The venue's published liquidation rule. */
  readonly formula: string;
  readonly sources: readonly PresetSource[];
  /** A fresh engine configuration for the venue (validated by Engine.create like any other). */
  config(): EngineConfigInput;
  readonly engineGaps: readonly EngineGap[];
  /** The venue's own closed-form liquidation price, when it publishes one (the calculator cross-checks it). */
  readonly closedForm?: (input: LinearPositionInput) => ClosedFormResult;
  /** The same for the preset's inverse (coin-margined) markets. */
  readonly inverseClosedForm?: (input: InversePositionInput) => ClosedFormResult;
}
