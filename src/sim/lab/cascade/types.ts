/**
 * The cascade simulator's vocabulary: its options (keeper timing, backstop unloading, the run)
 * and its results (metrics, the per-minute timeline, every liquidation step).
 */

import type { BookModel } from '../../../analytics/liquidity/depth-model.ts';
import type { Engine, JournalPort } from '../../../core/engine/engine.ts';
import type { EngineEvent } from '../../../core/engine/events.ts';
import type { OracleReplayDay } from '../../feeds/crash-replay.ts';
import type { OracleFacts } from '../../oracle-feed.ts';
import type { Population, PopulationSummary, TraderIntent } from '../../population.ts';
import type { AssetConservation } from '../../replay.ts';
import type { AntiCascadeMechanism } from '../mechanisms.ts';
import type { MarginPolicy } from '../policies.ts';
import type { ResponseSpec } from '../responders.ts';
import type { PricePoint } from './path.ts';

export interface KeeperOptions {
  /** From the price update to the first liquidation round, ms. */
  readonly delayMs: number;
  /** Processing time of one round (liquidations + unload), ms. */
  readonly roundMs: number;
  /** Liquidation steps the keeper sends per round; the rest wait for the next round. */
  readonly maxPerRound: number;
  /**
   * The latency model (see ./rounds.ts): when set, `delayMs` and `roundMs` are not used; a scope
   * found liquidatable after a price update at t is liquidated no earlier than t + `latencyMs`,
   * at the prices in force then (a later path point when the latency outlasts the current one),
   * and only if it is still liquidatable.
   */
  readonly latencyMs?: number;
  /**
   * With `latencyMs`: a block schedule — the step lands in the first block boundary (a multiple
   * of `blockMs`) strictly after t + `latencyMs`, like a transaction on a chain with that block time.
   */
  readonly blockMs?: number;
}

export const DEFAULT_KEEPER: KeeperOptions = { delayMs: 2_000, roundMs: 1_000, maxPerRound: 250 };

export interface UnloadOptions {
  /** false: the backstop keeps what it takes (no impact at all). */
  readonly enabled: boolean;
  /**
   * Largest distance of a fill's average price from the mark, as a share of the engine's
   * `maxFillDeviation` guard (default 0.95); what does not fit waits for the next chunk.
   */
  readonly maxDeviationShare: number;
  /** Fills per round (default 50: in practice the whole inventory); 1 spreads the unload over rounds. */
  readonly chunksPerRound: number;
  /**
   * The backstop's limit: it does not push the book's mid more than this far (fraction) from
   * the exogenous price (default 0.1); what it cannot sell waits for the book to recover.
   */
  readonly maxDisplacement: number;
}

export const DEFAULT_UNLOAD: UnloadOptions = {
  enabled: true,
  maxDeviationShare: 0.95,
  chunksPerRound: 50,
  maxDisplacement: 0.1,
};

export interface CascadeRunOptions {
  /** Exogenous path, strictly increasing in time; the first point is the opening price. */
  readonly path: readonly PricePoint[];
  readonly intents: readonly TraderIntent[];
  readonly policy: MarginPolicy;
  /** A fresh book model for this run (it is stateful). */
  readonly book: BookModel;
  readonly keeper?: Partial<KeeperOptions>;
  /** Population sizing (see sim/population.ts `materialize`). */
  readonly sizing?: 'collateral' | { readonly positionsFrom: Population };
  /** Insurance-fund seed, USDC decimal (default 0.05 % of the gross notional). */
  readonly insuranceSeed?: string;
  /** How the backstop unloads into the book (default: all of it, every round). */
  readonly unload?: Partial<UnloadOptions>;
  /** Funding ticks at 8-hour boundaries (default true; premium index 0, as the demo). */
  readonly funding?: boolean;
  /** Capital-efficiency samples every this many minutes (default 15). */
  readonly sampleEveryMin?: number;
  /** Bound on rounds per price point (default 200). */
  readonly maxRounds?: number;
  /** Keep every liquidation step in the result (default true). */
  readonly recordLiquidations?: boolean;
  readonly journal?: JournalPort;
  /** Traders who respond to margin calls (lab/responders.ts); default none. */
  readonly responses?: ResponseSpec;
  /**
   * A day with a multi-source feed (sim/oracle-feed.ts): its real observations, displaced by the
   * book, go through the engine's `oracle` command and the guarded mark is the mark; absent: the
   * path's prices (displaced) are the mark, as `prices` commands.
   */
  readonly oracle?: OracleReplayDay;
  /** An anti-cascade mechanism (../mechanisms.ts); absent: none. */
  readonly mechanism?: AntiCascadeMechanism;
  /** Rampers pyramid every this many minutes (./ramp.ts; sim/population.ts `BehaviourSpec`); absent: never. */
  readonly rampEveryMinutes?: number;
}

/** How a liquidation step closed (the engine's `liquidation_completed.mode`). */
export type LiquidationMode = Extract<EngineEvent, { type: 'liquidation_completed' }>['mode'];

export interface LiquidationRecord {
  readonly timeMs: number;
  readonly sub: string;
  readonly scope: string;
  readonly mode: LiquidationMode;
  /** Cascade depth (1: triggered by the exogenous price). */
  readonly depth: number;
  readonly latencyMs: number;
  /** Closed notional at the mark, USDC. */
  readonly notional: string;
  readonly markPx: string;
}

export interface MinuteRow {
  readonly timeMs: number;
  /** Last exogenous price of the minute; the lowest and highest mark the engine saw in it. */
  readonly exogenous: string;
  readonly markLow: string;
  readonly markHigh: string;
  /** Most negative / most positive displacement of the mark from the exogenous price in the minute, fraction. */
  readonly displacementLow: number;
  readonly displacementHigh: number;
  readonly liquidations: number;
  readonly notional: string;
  readonly maxDepth: number;
  readonly insuranceFund: string;
  readonly thinFactor: number;
  readonly gapPct: number;
}

export interface ModeTotals {
  readonly count: number;
  readonly notional: string;
}

export interface CascadeMetrics {
  readonly policy: string;
  readonly window: { readonly from: number; readonly to: number; readonly points: number };
  readonly population: PopulationSummary;
  readonly openInterest: {
    /** Σ |trader notional| at the opening price, USDC. */
    readonly traderNotional: string;
    readonly marketBase: string;
  };
  readonly liquidations: {
    readonly count: number;
    readonly notional: string;
    readonly partial: ModeTotals;
    readonly full: ModeTotals;
    readonly bankrupt: ModeTotals;
    /** Backstop takeovers (a liquidation policy with `backstopBelowMaintenanceShare`). */
    readonly backstop: ModeTotals;
    readonly scopes: number;
    readonly traders: number;
    readonly liquidatorRewards: string;
    readonly insuranceFees: string;
    readonly rejected: Record<string, number>;
  };
  readonly badDebt: {
    readonly insuranceCover: string;
    readonly socializedLoss: string;
    readonly total: string;
  };
  readonly insuranceFund: {
    readonly start: string;
    readonly end: string;
    readonly min: string;
    readonly max: string;
    /** Largest fall from a running peak, USDC. */
    readonly maxDrawdown: string;
    readonly seized: Record<string, string>;
  };
  readonly adl: { readonly fills: number; readonly size: string; readonly notional: string };
  readonly socializedLoss: string;
  readonly cascade: {
    readonly peakDepth: number;
    /** Liquidation steps by depth: index 0 = depth 1. */
    readonly stepsByDepth: number[];
    /** Steps at depth ≥ 2 (liquidations triggered by liquidations). */
    readonly induced: number;
    /** Most negative mark displacement from the exogenous price, fraction. */
    readonly maxDisplacement: number;
    /** Most positive one (the backstop buying back shorts), fraction. */
    readonly maxDisplacementUp: number;
    readonly maxRoundsPerPoint: number;
    /** Backstop sales (−) / purchases (+) into the book. */
    readonly unload: {
      readonly fills: number;
      readonly sold: string;
      readonly bought: string;
      readonly notional: string;
      /** Rounds that ended with inventory left because the book had no room within the limits. */
      readonly deferred: number;
    };
  };
  readonly latency: {
    readonly count: number;
    readonly meanMs: number;
    readonly p50Ms: number;
    readonly p95Ms: number;
    readonly maxMs: number;
  };
  readonly capitalEfficiency: {
    /** Σ trader IM / Σ trader notional at the start. */
    readonly start: { readonly initialMargin: string; readonly notional: string; readonly ratio: number };
    readonly samples: { readonly timeMs: number; readonly ratio: number }[];
    readonly mean: number;
    readonly max: number;
    /**
     * With a policy that has an account-level requirement (`accountInitialMargin`, e.g. the
     * portfolio policy): Σ of it over the traders at the start, over the same notional, and the
     * same for the hedged (cash-and-carry) traders alone against the engine's IM of those.
     */
    readonly accountLevel?: {
      readonly initialMargin: number;
      readonly ratio: number;
      /** engineIm: the market model's IM of their positions, without their leverage-1 cap. */
      readonly hedged: { readonly traders: number; readonly engineIm: number; readonly accountIm: number };
      /** Traders who took the engine's portfolio margin mode at the start (it lowered their IM). */
      readonly portfolioAccounts: number;
    };
    /**
     * IM/OI of the opening book (the start's positions, whatever happened to them since) under the
     * market's requirement of each sample, time mean: the frontier's x (./capital.ts `bookRatio`).
     */
    readonly bookMean: number;
    /** Personalized margin, at the start (./capital.ts `personalFigures`). */
    readonly personal?: {
      /** Traders with no add-on on any part the lab sees (lab/personal-policy.ts `wellBehaved`). */
      readonly wellBehaved: {
        readonly traders: number;
        readonly initialMargin: number;
        readonly notional: number;
        readonly ratio: number;
        /** Σ notional / Σ initial collateral value (the leverage they actually get). */
        readonly notionalPerCollateral: number;
      };
      /** Traders charged an add-on under this policy. */
      readonly charged: number;
      /** Σ (engine IM + add-on) / Σ notional over every trader (the requirement the venue asks). */
      readonly requiredRatio: number;
    };
  };
  /** Rampers' pyramiding adds (absent without behaviours). */
  readonly ramp?: RampMetrics;
  readonly prices: { readonly exogenousLow: string; readonly markLow: string };
  readonly backstop: { readonly position: string; readonly pnl: string };
  /** Margin calls and the traders' responses (all zero without `responses`). */
  readonly responses: ResponseMetrics;
  readonly conservation: { readonly ok: boolean; readonly assets: Record<string, AssetConservation> };
  /** With the oracle feed: what the engine's oracle made of the observations (safe mode, breaker, held). */
  readonly oracle?: OracleFacts;
  /** With a mechanism: what it did. */
  readonly mechanism?: MechanismFacts;
}

export interface ResponseMetrics {
  /** Traders who respond to calls. */
  readonly responders: number;
  /** Calls that scheduled a response (a responder's scope at or above the call ratio). */
  readonly calls: number;
  readonly deposits: { readonly count: number; readonly amount: string };
  /** Reducing fills: count, BTC closed, notional at the fill prices (USDC). */
  readonly reductions: { readonly count: number; readonly size: string; readonly notional: string };
  /** Due responses with nothing left to do: the position was gone, or the deposit cap reached / not needed. */
  readonly skipped: number;
  /** Responses still waiting when the path ended. */
  readonly pendingAtEnd: number;
  /** Responses the engine rejected, by code. */
  readonly rejected: Record<string, number>;
}

export interface CascadeResult {
  readonly metrics: CascadeMetrics;
  readonly timeline: MinuteRow[];
  readonly liquidations: LiquidationRecord[];
  readonly population: Population;
  readonly engine: Engine;
}

/** What an anti-cascade mechanism did in a run. */
export interface MechanismFacts {
  readonly name: string;
  /** Breaker: pauses. */
  readonly breakerTrips: number;
  /** Throttle: steps held back for a later round (a scope held in several rounds counts each time). */
  readonly throttleHeld: number;
  /** Auction: fills with the standing bidders and their quantity (base, decimal). */
  readonly auctionFills: number;
  readonly auctionQty: string;
  /** Dynamic penalty: switches of the ramp (to the lower one and back). */
  readonly penaltySwitches: number;
}

/** Rampers' pyramiding in a run (./ramp.ts). */
export interface RampMetrics {
  /** Rampers with an open cross position at the start. */
  readonly rampers: number;
  /** Adds executed, their total size (BTC) and notional (USDC). */
  readonly adds: number;
  readonly size: string;
  readonly notional: string;
  readonly rejected: number;
}
