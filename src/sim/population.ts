/**
 * Seeded synthetic trader populations on the demo venue (venue.ts) — the one
 * generator behind the crash demo and the risk lab; each is a spec of it
 * (`DEMO_POPULATION_SPEC`, `LAB_POPULATION_SPEC`). Everything comes from one seed
 * (`Rng`); random floats become exact integers at once and every amount reaches the
 * engine as a decimal string.
 *
 * Two steps, so that several margin policies can be compared on the *same* traders:
 * 1. `drawTraders(spec)` draws each trader's *intent* from the seed: collateral (a
 *    lognormal / log-uniform body plus a tail of whales), desired leverage
 *    (lognormal or log-uniform, whole numbers), side, collateral mix (USDC, BTC, or
 *    both) and margin mode (a share of the USDC-only traders is isolated).
 * 2. `materialize(intents, venue, …)` turns the intents into the commands that open
 *    them on a venue configured with one policy, each trader by a fill against one of
 *    the market makers at the opening price. Sizing:
 *    - `'collateral'` (default): same deposits; each trader opens the largest size
 *      whose initial requirement under *this* policy (with the trader's leverage
 *      setting as a cap, and the bracket of the notional) plus the taker fee fits in
 *      97 % of the collateral's initial value — so a stricter policy means less open
 *      interest;
 *    - `{ positionsFrom }`: the same sizes as another materialized population; a
 *      deposit that does not cover this policy's requirement is topped up.
 *    Requirements are computed exactly with the venue's own margin model
 *    (`createMarginModel`) and the engine's leverage-cap rule.
 *
 * Around the traders: market makers (the other side of every opening fill, funded
 * with their gross flow at 1× + 10,000 USDC), the backstop vault (the venue's
 * liquidator: 2 × the long notional + 10,000), an external-liquidity account
 * `STREET` that buys what the liquidator unloads into the lab's book model (3 × the
 * gross notional + 1,000,000; left out with `street: false`), and the treasury
 * seeding the insurance fund (0.05 % of the gross notional, `fund_insurance`).
 *
 * @example
 * const intents = drawTraders({ ...LAB_POPULATION_SPEC, accounts: 200, seed: 7 });
 * const pop = materialize(intents, demoVenueConfig(), { openPrice: '121662', timeMs: 1760054400000 });
 * const engine = Engine.create(pop.config);
 * for (const c of pop.setup) engine.executeOrThrow(c);
 */
import { personalInitialMargin } from '../analytics/personal-margin.ts';
import { collateralValueQuote } from '../core/collateral/valuation.ts';
import type { CommandInput } from '../core/engine/commands.ts';
import { applyLeverageCap, createMarginModel } from '../core/margin/models.ts';
import { type AssetConfig, AssetConfigSchema, MarginModelConfigSchema } from '../core/model/config.ts';
import type { EngineConfigInput, SubaccountRef } from '../core/model/engine-config.ts';
import { divRound, formatDecimal, PPM, parseDecimalUnsafe, pow10 } from '../core/num/index.ts';
import { Rng } from './rng.ts';
import {
  BACKSTOP,
  BASE_ASSET,
  BTC_DECIMALS,
  demoVenueConfig,
  INSURANCE_SEED_PPM,
  MARKET,
  USDC_DECIMALS as QD,
  SETTLEMENT,
  TREASURY,
} from './venue.ts';

/** A distribution of a positive quantity. Lognormal is given by its median and σ of the log. */
export type Distribution =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number }
  | { readonly kind: 'logUniform'; readonly min: number; readonly max: number }
  | {
      readonly kind: 'lognormal';
      readonly median: number;
      readonly sigma: number;
      readonly min?: number;
      readonly max?: number;
    }
  /** Pareto(scale, α): P(X > x) = (scale / x)^α for x ≥ scale; optional cap. */
  | { readonly kind: 'pareto'; readonly scale: number; readonly alpha: number; readonly max?: number };

export interface CollateralMix {
  /** Relative weights (normalized): USDC only, BTC only, both. */
  readonly usdc: number;
  readonly btc: number;
  readonly mixed: number;
}

export interface PopulationSpec {
  readonly accounts: number;
  readonly seed: number;
  /** Collateral value of an ordinary trader, USD. */
  readonly collateralUsd: Distribution;
  /** Whales: this share of traders draws its collateral from `whales.collateralUsd` instead. */
  readonly whales: { readonly share: number; readonly collateralUsd: Distribution };
  /** Desired leverage (floored to a whole number ≥ 1). */
  readonly leverage: Distribution;
  /** Share of longs. */
  readonly longShare: number;
  readonly collateralMix: CollateralMix;
  /** Share of the USDC-only traders in isolated mode (isolated margin is paid in USDC). */
  readonly isolatedShare: number;
  readonly marketMakers: number;
  /**
   * Share of traders who are *hedged* (cash and carry): all-BTC collateral, short the perpetual
   * at leverage setting 1, so the short is about the BTC they hold (initial weight 0.9 × 97 %:
   * ~87 % of it). Drawn from a separate stream: the other traders are the same as without it.
   * Default 0 (`--hedged` on the command lines).
   */
  readonly hedgedShare?: number;
  /**
   * Behaviours a personalized margin can see in an account's history (absent: none; the
   * populations are then the same as before). Drawn from a separate stream: the other fields of
   * every trader are the same as without it, except a ramper's leverage setting.
   */
  readonly behaviour?: BehaviourSpec;
}

/**
 * Trader behaviours with a history (`PopulationSpec.behaviour`), drawn per trader from the seed:
 * - **leverage ramp-up**: with probability `rampUpShare` a trader has raised its leverage by a
 *   factor g (drawn from `rampFactor`) over the lookback before the run — its setting now is
 *   g × its drawn leverage (whole number, ≤ 125) and `rampUp` = g is what a venue sees; in a run
 *   (lab/cascade/ramp.ts) it keeps **pyramiding**: every `rampEveryMinutes` it adds to its
 *   position as far as its equity allows under its requirement;
 * - **late top-ups**: with probability `lateTopUpShare` a trader has met k margin calls late in
 *   the lookback (k uniform in 1..`maxLateTopUps`); in a run it answers a margin call only with a
 *   deposit `topUpDelayMinutes` after it (drawn from `lateDelayMinutes`: mostly after the
 *   liquidation would have come) or, with probability `neverShare`, not at all.
 * A trader can be both. Hedged (cash-and-carry) traders have neither.
 */
export interface BehaviourSpec {
  readonly rampUpShare: number;
  readonly rampFactor: Distribution;
  readonly rampEveryMinutes: number;
  readonly lateTopUpShare: number;
  readonly maxLateTopUps: number;
  readonly neverShare: number;
  readonly lateDelayMinutes: Distribution;
}

/**
 * Defaults, assumptions fixed before any run (no public data on these shares was at hand): 15 %
 * rampers with g log-uniform in [1.5, 4] who pyramid every 30 minutes; 15 % late payers with 1–4
 * late top-ups behind them, half of whom never top up, the others after a lognormal delay with a
 * median of 60 minutes (σ 0.5, 15 minutes – 8 hours) — against the prompt responders' 5 minutes
 * (lab/responders.ts).
 */
export const DEFAULT_BEHAVIOUR: BehaviourSpec = Object.freeze<BehaviourSpec>({
  rampUpShare: 0.15,
  rampFactor: { kind: 'logUniform', min: 1.5, max: 4 },
  rampEveryMinutes: 30,
  lateTopUpShare: 0.15,
  maxLateTopUps: 4,
  neverShare: 0.5,
  lateDelayMinutes: { kind: 'lognormal', median: 60, sigma: 0.5, min: 15, max: 480 },
});

/** Throws a RangeError naming the first field of `b` out of range. */
export function checkBehaviourSpec(b: BehaviourSpec): void {
  const in01 = (x: number) => Number.isFinite(x) && x >= 0 && x <= 1;
  if (!in01(b.rampUpShare)) throw new RangeError(`rampUpShare must be in [0, 1], got ${b.rampUpShare}`);
  if (!in01(b.lateTopUpShare))
    throw new RangeError(`lateTopUpShare must be in [0, 1], got ${b.lateTopUpShare}`);
  if (!in01(b.neverShare)) throw new RangeError(`neverShare must be in [0, 1], got ${b.neverShare}`);
  if (!(Number.isInteger(b.maxLateTopUps) && b.maxLateTopUps >= 1))
    throw new RangeError(`maxLateTopUps must be a whole number >= 1, got ${b.maxLateTopUps}`);
  if (!(Number.isInteger(b.rampEveryMinutes) && b.rampEveryMinutes >= 1))
    throw new RangeError(`rampEveryMinutes must be a whole number >= 1, got ${b.rampEveryMinutes}`);
}

/**
 * Defaults: collateral lognormal with median 2,000 USD (σ 1.4, 50 – 250,000); 1 %
 * whales with Pareto(250,000, α 1.3) collateral capped at 10 M; desired leverage
 * lognormal with median 10× (σ 0.8, 1× – 125×); 55 % long; collateral 80 % USDC,
 * 15 % BTC, 5 % both; 20 % of the USDC traders isolated; 4 market makers.
 */
export const LAB_POPULATION_SPEC: PopulationSpec = {
  accounts: 1000,
  seed: 42,
  collateralUsd: { kind: 'lognormal', median: 2_000, sigma: 1.4, min: 50, max: 250_000 },
  whales: { share: 0.01, collateralUsd: { kind: 'pareto', scale: 250_000, alpha: 1.3, max: 10_000_000 } },
  leverage: { kind: 'lognormal', median: 10, sigma: 0.8, min: 1, max: 125 },
  longShare: 0.55,
  collateralMix: { usdc: 0.8, btc: 0.15, mixed: 0.05 },
  isolatedShare: 0.2,
  marketMakers: 4,
};

/**
 * The crash demo's traders: collateral log-uniform 100 – 50,000 USD; 1 % whales with
 * 20× that (log-uniform 2,000 – 1,000,000); desired leverage log-uniform 2× – 50×
 * (capped by the bracket of the notional when sized); 55 % long; 15 % on BTC
 * collateral, the rest USDC; 20 % of the USDC traders isolated; 4 market makers.
 */
export const DEMO_POPULATION_SPEC: PopulationSpec = {
  accounts: 3000,
  seed: 42,
  collateralUsd: { kind: 'logUniform', min: 100, max: 50_000 },
  whales: { share: 0.01, collateralUsd: { kind: 'logUniform', min: 2_000, max: 1_000_000 } },
  leverage: { kind: 'logUniform', min: 2, max: 50 },
  longShare: 0.55,
  collateralMix: { usdc: 0.85, btc: 0.15, mixed: 0 },
  isolatedShare: 0.2,
  marketMakers: 4,
};

/** One draw of `d`. */
export function sample(rng: Rng, d: Distribution): number {
  switch (d.kind) {
    case 'constant':
      return d.value;
    case 'uniform':
      return rng.uniform(d.min, d.max);
    case 'logUniform':
      return rng.logUniform(d.min, d.max);
    case 'lognormal': {
      const v = d.median * Math.exp(d.sigma * standardNormal(rng));
      return Math.min(d.max ?? Number.POSITIVE_INFINITY, Math.max(d.min ?? 0, v));
    }
    case 'pareto': {
      const u = 1 - rng.next(); // (0, 1]
      return Math.min(d.max ?? Number.POSITIVE_INFINITY, d.scale * u ** (-1 / d.alpha));
    }
  }
}

/** Box–Muller (one of the pair), from two uniforms of the seeded stream. */
function standardNormal(rng: Rng): number {
  const u1 = 1 - rng.next();
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** What a trader wants, independent of any margin policy. */
export interface TraderIntent {
  readonly ref: SubaccountRef;
  readonly side: 'long' | 'short';
  /** Leverage setting the trader asks for (whole number ≥ 1). */
  readonly leverage: number;
  readonly isolated: boolean;
  readonly collateral: 'USDC' | 'BTC' | 'mixed';
  /** Collateral value in USD, whole cents (decimal string). */
  readonly collateralUsd: string;
  /** For 'mixed': the BTC share of the value, ppm. */
  readonly btcSharePpm: bigint;
  readonly whale: boolean;
  /** A cash-and-carry trader (see `PopulationSpec.hedgedShare`). */
  readonly hedged?: boolean;
  /** A ramper (`BehaviourSpec`): leverage now / leverage a lookback ago, > 1. */
  readonly rampUp?: number;
  /** A late payer (`BehaviourSpec`): margin calls met late in the lookback (≥ 1). */
  readonly lateTopUps?: number;
  /** A late payer's answer to a margin call in a run: a late deposit, or none. */
  readonly topUp?: 'late' | 'never';
  /** With `topUp: 'late'`: minutes from the call to the deposit. */
  readonly topUpDelayMinutes?: number;
}

/** Draws every trader's intent from the seed (see the module header). */
export function drawTraders(spec: PopulationSpec): TraderIntent[] {
  if (!Number.isInteger(spec.accounts) || spec.accounts < 1)
    throw new RangeError('accounts must be a positive integer');
  const mix = spec.collateralMix;
  const total = mix.usdc + mix.btc + mix.mixed;
  if (!(total > 0)) throw new RangeError('collateralMix weights must sum to > 0');
  const rng = new Rng(spec.seed);
  const hedgedShare = spec.hedgedShare ?? 0;
  if (!(hedgedShare >= 0 && hedgedShare <= 1)) throw new RangeError('hedgedShare must be in [0, 1]');
  const hedgeRng = new Rng(spec.seed ^ 0x68656467);
  const beh = spec.behaviour;
  if (beh) checkBehaviourSpec(beh);
  const behRng = new Rng(spec.seed ^ 0x62656876);
  const width = String(spec.accounts).length;
  const out: TraderIntent[] = [];
  for (let i = 0; i < spec.accounts; i++) {
    const whale = rng.chance(spec.whales.share);
    const usd = sample(rng, whale ? spec.whales.collateralUsd : spec.collateralUsd);
    const leverage = Math.max(1, Math.floor(sample(rng, spec.leverage)));
    const side = rng.chance(spec.longShare) ? 'long' : 'short';
    const m = rng.next() * total;
    const collateral = m < mix.usdc ? 'USDC' : m < mix.usdc + mix.btc ? 'BTC' : 'mixed';
    const btcShare = collateral === 'mixed' ? rng.uniform(0.2, 0.8) : collateral === 'BTC' ? 1 : 0;
    const isolated = collateral === 'USDC' && rng.chance(spec.isolatedShare);
    const ref = { account: `trader-${String(i + 1).padStart(width, '0')}`, sub: '0' };
    const collateralCents = formatDecimal(BigInt(Math.max(1, Math.round(usd * 100))), 2);
    // Behaviours: every draw is made for every trader, so each trader's draws depend only on its index.
    const b = beh ? drawBehaviour(behRng, beh, leverage) : undefined;
    if (hedgedShare > 0 && hedgeRng.chance(hedgedShare)) {
      out.push({
        ref,
        side: 'short',
        leverage: 1,
        isolated: false,
        collateral: 'BTC',
        collateralUsd: collateralCents,
        btcSharePpm: 1_000_000n,
        whale,
        hedged: true,
      });
      continue;
    }
    out.push({
      ref,
      side,
      leverage: b?.leverage ?? leverage,
      isolated,
      collateral,
      collateralUsd: collateralCents,
      btcSharePpm: BigInt(Math.round(btcShare * 1e6)),
      whale,
      ...(b?.extra ?? {}),
    });
  }
  return out;
}

/** One trader's behaviour draws (a fixed number of draws per trader). */
function drawBehaviour(rng: Rng, b: BehaviourSpec, leverage: number) {
  const ramp = rng.chance(b.rampUpShare);
  const g = sample(rng, b.rampFactor);
  const late = rng.chance(b.lateTopUpShare);
  const k = 1 + Math.min(b.maxLateTopUps - 1, Math.floor(rng.next() * b.maxLateTopUps));
  const never = rng.chance(b.neverShare);
  const delay = sample(rng, b.lateDelayMinutes);
  const extra: {
    -readonly [K in 'rampUp' | 'lateTopUps' | 'topUp' | 'topUpDelayMinutes']?: TraderIntent[K];
  } = {};
  let lev: number | undefined;
  if (ramp && leverage < 125) {
    lev = Math.min(125, Math.max(leverage + 1, Math.floor(leverage * g)));
    extra.rampUp = lev / leverage;
  }
  if (late) {
    extra.lateTopUps = k;
    extra.topUp = never ? 'never' : 'late';
    if (!never) extra.topUpDelayMinutes = delay;
  }
  return { leverage: lev, extra };
}

/** The external-liquidity account that takes the liquidator's unloads (the book model's other side). */
export const STREET: SubaccountRef = { account: 'street-liquidity', sub: '0' };

export interface MaterializedTrader extends TraderIntent {
  /** Whether the opening fill is in the setup (false: too small for one step under this policy). */
  readonly opened: boolean;
  /** |size| BTC (multiple of the step), and its notional at the opening price (USDC). */
  readonly size: string;
  readonly notional: string;
  /** Deposits actually made (after any top-up). */
  readonly depositUsdc: string;
  readonly depositBtc: string;
  readonly counterparty: SubaccountRef;
}

export interface PopulationSummary {
  readonly traders: number;
  readonly opened: number;
  readonly longs: number;
  readonly shorts: number;
  readonly isolated: number;
  readonly btcCollateral: number;
  readonly mixedCollateral: number;
  readonly whales: number;
  /** Cash-and-carry traders (BTC collateral, short perpetual). */
  readonly hedged: number;
  /** Σ |size| of long / short traders, BTC. */
  readonly longSize: string;
  readonly shortSize: string;
  /** Σ trader notional at the opening price, USDC. */
  readonly grossNotional: string;
  /** Σ trader deposits valued at the opening price, USDC. */
  readonly collateralValue: string;
  readonly insuranceSeed: string;
  /** Traders whose deposit was topped up (positions sizing). */
  readonly toppedUp: number;
}

export interface Population {
  readonly config: EngineConfigInput;
  readonly setup: CommandInput[];
  readonly traders: MaterializedTrader[];
  readonly marketMakers: SubaccountRef[];
  readonly backstop: SubaccountRef;
  readonly street: SubaccountRef;
  readonly summary: PopulationSummary;
  /** Deposit of each market maker, of the backstop vault and of `STREET` (0 without it), USDC. */
  readonly deposits: { readonly marketMaker: string; readonly backstop: string; readonly street: string };
}

export interface MaterializeOptions {
  /** Opening price, decimal string (quote per BTC, a multiple of the market's tick). */
  readonly openPrice: string;
  readonly timeMs: number;
  readonly sizing?: 'collateral' | { readonly positionsFrom: Population };
  /** Insurance-fund seed, USDC decimal; default 0.05 % of this population's gross notional. */
  readonly insuranceSeed?: string;
  readonly marketMakers?: number;
  /** Fund the external-liquidity account `STREET` (default true; the demo has no book model). */
  readonly street?: boolean;
  /**
   * A per-trader add-on to the initial requirement, ppm of it (personalized margin): the
   * trader's IM is `personalInitialMargin(IM, ppm)` when sizing the opening (default 0).
   */
  readonly initialAddOnPpm?: (intent: TraderIntent) => number;
}

const SLACK_PPM = 970_000n; // 97 %: fee rounding and a little room

/**
 * The commands that open `intents` on `venue` (a `demoVenueConfig()`-shaped
 * config: USDC settlement, BTC collateral, one BTC-PERP market, a backstop).
 */
export function materialize(
  intents: readonly TraderIntent[],
  venue: EngineConfigInput,
  opts: MaterializeOptions,
): Population {
  const pricePx8 = parseDecimalUnsafe(opts.openPrice, 8);
  if (pricePx8 <= 0n) throw new RangeError('openPrice must be positive');
  const market = venue.markets?.find((m) => m.id === MARKET);
  if (!market) throw new RangeError(`venue has no ${MARKET} market`);
  const model = createMarginModel(MarginModelConfigSchema.parse(market.margin), QD);
  const takerPpm = parseDecimalUnsafe(market.takerFee ?? '0', 6);
  const step = parseDecimalUnsafe(market.stepSize ?? '0.000000001', 9);
  const btcAsset: AssetConfig = AssetConfigSchema.parse(venue.assets.find((a) => a.id === BASE_ASSET)!);
  const t = opts.timeMs;
  const mmCount = opts.marketMakers ?? 4;
  const marketMakers: SubaccountRef[] = Array.from({ length: mmCount }, (_, i) => ({
    account: `market-maker-${i + 1}`,
    sub: '0',
  }));
  const reference =
    typeof opts.sizing === 'object'
      ? new Map(opts.sizing.positionsFrom.traders.map((x) => [x.ref.account, x] as const))
      : undefined;

  /** Notional (ceil), IM with the leverage cap, and taker fee of a size at the opening price. */
  const cost = (qty: bigint, levPpm: bigint, addOnPpm = 0) => {
    const notional = divRound(qty * pricePx8, 10n ** 11n, 'ceil');
    const req = applyLeverageCap(
      model.requirement({ sizeQty9: qty, notionalQuote: notional }, { openInterestQuote: 0n }),
      notional,
      levPpm,
    );
    const value = divRound(qty * pricePx8, 10n ** 11n, 'halfEven');
    const im = addOnPpm > 0 ? personalInitialMargin(req.initialQuote, addOnPpm) : req.initialQuote;
    return { notional, total: im + divRound(value * takerPpm, PPM, 'ceil') + 2n };
  };
  /** Initial-weight value of the BTC part (with the size haircut), USDC units. */
  const btcValue = (sats: bigint) =>
    collateralValueQuote({
      balance: sats,
      assetDecimals: BTC_DECIMALS,
      pricePx8,
      weightPpm: btcAsset.initialWeight,
      sizeHaircutFactorPpm: btcAsset.sizeHaircutFactor,
      quoteDecimals: QD,
    });
  const usdToSats = (usd6: bigint) => (usd6 * 10n ** 10n) / pricePx8; // usd6 × 1e8 × 1e8 / (px8 × 1e6)

  const traders: MaterializedTrader[] = [];
  const traderCommands: CommandInput[] = [];
  let longQty = 0n;
  let shortQty = 0n;
  let grossUsd6 = 0n;
  let collateralUsd6 = 0n;
  let toppedUp = 0;

  intents.forEach((intent, i) => {
    const counterparty = marketMakers[i % mmCount]!;
    const valueUsd6 = parseDecimalUnsafe(intent.collateralUsd, QD);
    const btcPartUsd6 = (valueUsd6 * intent.btcSharePpm) / PPM;
    let usdc = valueUsd6 - btcPartUsd6;
    let sats = usdToSats(btcPartUsd6);
    const levPpm = BigInt(intent.leverage) * PPM;
    const addOnPpm = opts.initialAddOnPpm?.(intent) ?? 0;
    const budget = () => ((usdc + btcValue(sats)) * SLACK_PPM) / PPM;

    let qty: bigint;
    const ref = reference?.get(intent.ref.account);
    if (reference) {
      qty = ref?.opened ? parseDecimalUnsafe(ref.size, 9) : 0n;
      const need = qty > 0n ? cost(qty, levPpm, addOnPpm).total : 0n;
      if (qty > 0n && budget() < need) {
        // Top up: scale both parts so the initial value covers the requirement.
        const have = budget();
        const factorPpm = have > 0n ? divRound(need * PPM, have, 'ceil') + 1_000n : 0n;
        if (factorPpm > 0n) {
          usdc = divRound(usdc * factorPpm, PPM, 'ceil');
          sats = divRound(sats * factorPpm, PPM, 'ceil');
        } else usdc = divRound(need * PPM, SLACK_PPM, 'ceil');
        while (budget() < need) usdc += 1_000_000n;
        toppedUp++;
      }
    } else {
      // Largest size (in steps) whose IM (with the leverage cap) + fee fits the budget; cost is monotone.
      const b = budget();
      let lo = 0n;
      let hi = (b * BigInt(intent.leverage) * 10n ** 11n) / pricePx8 / step + 2n;
      while (hi - lo > 1n) {
        const mid = (lo + hi) / 2n;
        if (cost(mid * step, levPpm, addOnPpm).total <= b) lo = mid;
        else hi = mid;
      }
      qty = lo * step;
    }
    const opened = qty > 0n;
    const notionalUsd6 = opened ? cost(qty, levPpm).notional : 0n;
    const trader: MaterializedTrader = {
      ...intent,
      opened,
      size: formatDecimal(qty, 9),
      notional: formatDecimal(notionalUsd6, QD),
      depositUsdc: formatDecimal(usdc, QD),
      depositBtc: formatDecimal(sats, BTC_DECIMALS),
      counterparty,
    };
    traders.push(trader);
    collateralUsd6 += usdc + divRound(sats * pricePx8, 10n ** 10n, 'floor');
    if (usdc > 0n)
      traderCommands.push({
        type: 'deposit',
        to: intent.ref,
        asset: SETTLEMENT,
        amount: trader.depositUsdc,
        timeMs: t,
      });
    if (sats > 0n)
      traderCommands.push({
        type: 'deposit',
        to: intent.ref,
        asset: BASE_ASSET,
        amount: trader.depositBtc,
        timeMs: t,
      });
    if (!opened) return;
    if (intent.side === 'long') longQty += qty;
    else shortQty += qty;
    grossUsd6 += notionalUsd6;
    if (intent.isolated)
      traderCommands.push({
        type: 'set_margin_mode',
        subaccount: intent.ref,
        market: MARKET,
        mode: 'isolated',
      });
    traderCommands.push({
      type: 'set_leverage',
      subaccount: intent.ref,
      market: MARKET,
      maxLeverage: String(intent.leverage),
    });
    traderCommands.push({
      type: 'fill',
      market: MARKET,
      buyer: intent.side === 'long' ? intent.ref : counterparty,
      seller: intent.side === 'long' ? counterparty : intent.ref,
      size: trader.size,
      price: opts.openPrice,
      taker: intent.side === 'long' ? 'buyer' : 'seller',
      timeMs: t,
    });
  });

  const usd = (v: bigint) => formatDecimal(v, QD);
  const mmDeposit = roundUp2(grossUsd6 / BigInt(mmCount) + 10_000_000_000n);
  const longUsd6 = divRound(longQty * pricePx8, 10n ** 11n, 'ceil');
  const backstopDeposit = roundUp2(2n * longUsd6 + 10_000_000_000n);
  const streetDeposit = opts.street === false ? 0n : roundUp2(3n * grossUsd6 + 1_000_000_000_000n);
  const insuranceSeed =
    opts.insuranceSeed !== undefined
      ? parseDecimalUnsafe(opts.insuranceSeed, QD)
      : roundUp2((grossUsd6 * INSURANCE_SEED_PPM) / PPM + 1n);

  const setup: CommandInput[] = [
    {
      type: 'prices',
      timeMs: t,
      marks: { [MARKET]: opts.openPrice },
      assets: { [BASE_ASSET]: opts.openPrice },
    },
    { type: 'deposit', to: BACKSTOP, asset: SETTLEMENT, amount: usd(backstopDeposit), timeMs: t },
    ...(streetDeposit > 0n
      ? [
          {
            type: 'deposit',
            to: STREET,
            asset: SETTLEMENT,
            amount: usd(streetDeposit),
            timeMs: t,
          } as CommandInput,
        ]
      : []),
    ...(insuranceSeed > 0n
      ? ([
          { type: 'deposit', to: TREASURY, asset: SETTLEMENT, amount: usd(insuranceSeed), timeMs: t },
          {
            type: 'fund_insurance',
            from: TREASURY,
            asset: SETTLEMENT,
            amount: usd(insuranceSeed),
            timeMs: t,
          },
        ] as CommandInput[])
      : []),
    ...marketMakers.map(
      (m): CommandInput => ({ type: 'deposit', to: m, asset: SETTLEMENT, amount: usd(mmDeposit), timeMs: t }),
    ),
    ...traderCommands,
  ];

  const count = (f: (x: MaterializedTrader) => boolean) => traders.filter(f).length;
  return {
    config: venue,
    setup,
    traders,
    marketMakers,
    backstop: BACKSTOP,
    street: STREET,
    summary: {
      traders: traders.length,
      opened: count((x) => x.opened),
      longs: count((x) => x.opened && x.side === 'long'),
      shorts: count((x) => x.opened && x.side === 'short'),
      isolated: count((x) => x.opened && x.isolated),
      btcCollateral: count((x) => x.collateral === 'BTC'),
      mixedCollateral: count((x) => x.collateral === 'mixed'),
      whales: count((x) => x.whale),
      hedged: count((x) => x.hedged === true),
      longSize: formatDecimal(longQty, 9),
      shortSize: formatDecimal(shortQty, 9),
      grossNotional: usd(grossUsd6),
      collateralValue: usd(collateralUsd6),
      insuranceSeed: usd(insuranceSeed),
      toppedUp,
    },
    deposits: { marketMaker: usd(mmDeposit), backstop: usd(backstopDeposit), street: usd(streetDeposit) },
  };
}

/** Rounds a positive amount up to two significant digits (display-friendly deposits). */
function roundUp2(v: bigint): bigint {
  const digits = v.toString().length;
  if (digits <= 2) return v;
  const unit = pow10(digits - 2);
  return divRound(v, unit, 'ceil') * unit;
}

export interface DemoPopulationOptions {
  readonly accounts: number;
  readonly seed: number;
  /** The price every trader opens at (decimal string, quote per BTC). */
  readonly openPrice: string;
  /** Time of the opening commands, ms since epoch. */
  readonly timeMs: number;
}

/**
 * The crash demo's population: `DEMO_POPULATION_SPEC` drawn with `accounts` and `seed`,
 * opened on `demoVenueConfig()` (no `STREET`: the demo has no book model).
 *
 * @example
 * const pop = demoPopulation({ accounts: 300, seed: 42, openPrice: '121662', timeMs: 1760054400000 });
 */
export function demoPopulation(opts: DemoPopulationOptions): Population {
  const intents = drawTraders({ ...DEMO_POPULATION_SPEC, accounts: opts.accounts, seed: opts.seed });
  return materialize(intents, demoVenueConfig(), {
    openPrice: opts.openPrice,
    timeMs: opts.timeMs,
    marketMakers: DEMO_POPULATION_SPEC.marketMakers,
    street: false,
  });
}
