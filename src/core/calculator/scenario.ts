/**
 * Scenarios: an engine state described as accounts with deposits, margin modes,
 * leverage settings and positions at given entry prices, plus the prices to
 * evaluate them at (docs/risk-scenario.md). `plimsoll risk` and the
 * liquidation-price calculator (./liquidation-price.ts) both build their state here,
 * so the figures they print are the engine's own.
 *
 * The state is built through engine commands only:
 * 1. The scenario's config is validated by creating an engine with it (the
 *    "reference" engine, also used for default isolated margins).
 * 2. An *opening* engine is created from a copy of the config in which every
 *    market has zero fees, a 1e-8 tick and a zero-requirement margin model
 *    (fixed, IM = MM = 0), and the price guards are wide open. Positions are
 *    opened by fills at their entry price against a synthetic counterparty
 *    (`COUNTERPARTY`, never reported), with the mark temporarily at that entry
 *    price, so: no fee touches a balance; entry prices need not be on the tick
 *    (they are averages); and an account whose scenario state is already
 *    underwater or beyond its initial margin can still be built (the question is
 *    what the engine says about it, not whether it could open it). (An opening
 *    fill still needs the account's free collateral at the entry price to be ≥ 0:
 *    a cross account with no collateral at all can fail by the one unit the
 *    entry value rounds to.) Each isolated
 *    position then receives its isolated margin from the account's
 *    settlement-asset deposit (`adjust_isolated_margin`): the given
 *    `isolatedMargin`, or by default the position's initial margin at its entry
 *    price under the real model and the account's leverage setting. A position
 *    with `reduceAtMark` is then reduced by that size with a fill at the
 *    scenario's mark (still fee-free), so the engine realizes the PnL exactly as
 *    it would (cross: into the balance; isolated: into the isolated margin).
 * 3. The real markets (`set_market`), leverage settings (`set_leverage`), the
 *    scenario's prices (`prices`) and finally the real liquidation policy and
 *    guards (`set_policy`) are applied. From then on the state is exactly what
 *    the scenario describes under the scenario's config.
 *
 * The counterparty holds the opposite of the scenario's net position in each
 * market, so a market's open interest is max(Σ longs, Σ |shorts|) of the
 * scenario (it matters only to open-interest-scaled margin).
 *
 * Problems with the input are thrown as `ScenarioError` (a message a user can act
 * on); anything else is a bug.
 */
import { z } from 'zod';
import { positionRequirement } from '../account/figures.ts';
import type { CommandInput } from '../engine/commands.ts';
import { Engine, EngineRejectedError } from '../engine/engine.ts';
import type { EngineConfig, SubaccountRef } from '../model/engine-config.ts';
import { type ReadonlyEngineState, type ReadonlySubaccount, subaccountKey } from '../model/state.ts';
import { formatDecimal, PRICE_DECIMALS, parseDecimal, QTY_DECIMALS } from '../num/index.ts';

/** The opening engine's requirements: nothing, so any scenario state can be built. */
const ZERO_MARGIN = { kind: 'fixed', initialRatio: '0', maintenance: { ratio: '0' } };
/** Options keep their kind; with zero rates a short needs only its mark (the rule's "+ M"). */
const ZERO_OPTION_MARGIN = {
  kind: 'standardOption',
  initial: { base: '0', floor: '0', putAtLeastMaintenance: false },
  maintenance: { call: { underlying: '0' }, put: { underlying: '0' } },
  long: 'none',
};
/** A portfolio model with one scenario that moves nothing: requirement 0. */
const ZERO_PORTFOLIO = {
  name: 'opening',
  core: { priceMoves: [0], volShocks: [0] },
  priceRange: { default: 0.01 },
  vol: { up: 0, down: 0 },
  maintenanceFraction: 1,
};

/**
 * Deribit's model with parameters that ask nothing: a price range so small that the worst case
 * rounds to 0 at Deribit's 9 decimals (below 500,000 coins of delta), no vol shocks, no roll shock.
 */
function zeroDeribitParams(settlement: string, bases: string[]) {
  const pair = {
    price_range: 1e-15,
    volatility_range_up: 0,
    volatility_range_down: 0,
    min_volatility_for_shock_up: 0,
    short_term_vega_power: 0,
    long_term_vega_power: 0,
    extended_table_factor: 0,
  };
  const currency = { pnl_offset: 0, max_offsetable_pnl: 0, annualised_move_risk: 0, min_annualised_move: 0 };
  return {
    currency_pair: Object.fromEntries(bases.map((b) => [`${b.toLowerCase()}_usd`, pair])),
    currency: { usd: currency, [settlement.toLowerCase()]: currency },
    general: { mm_factor: 1, buckets_count: 1 },
  };
}

/** The opening engine's portfolio model: the same family as the scenario's, asking nothing. */
function openingPortfolio(rawConfig: Json, rawMarkets: Json[]) {
  const p = rawConfig.portfolio as Json;
  if (p?.model !== 'deribit-pm') return { model: ZERO_PORTFOLIO };
  const bases = [...new Set(rawMarkets.map((m) => String(m.base)))];
  return { model: 'deribit-pm', deribitParams: zeroDeribitParams(String(rawConfig.settlementAsset), bases) };
}

/** A problem with a scenario (its JSON, its config, or a command the engine refused while building it). */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

/** The synthetic account on the other side of every opening fill. */
export const COUNTERPARTY: SubaccountRef = { account: '__risk_counterparty__', sub: '0' };

const decimalString = z.string({ error: 'must be a decimal string (e.g. "1.5"), not a JSON number' });
const PositionSchema = z.strictObject({
  market: z.string(),
  /** Signed size in base units: + long, − short. */
  size: decimalString,
  /** Average entry price, quote per base unit. */
  entryPrice: decimalString,
  /** Isolated positions only: margin moved from the settlement-asset deposit into the position. */
  isolatedMargin: decimalString.optional(),
});
const AccountSchema = z.strictObject({
  account: z.string(),
  sub: z.string().optional(),
  /** Positive amounts per asset, in whole units ("1000.5" USDC). */
  deposits: z.record(z.string(), decimalString).default({}),
  marginModes: z.record(z.string(), z.enum(['cross', 'isolated'])).optional(),
  /** Leverage setting per market ("20"): raises IM only. */
  leverage: z.record(z.string(), decimalString).optional(),
  positions: z.array(PositionSchema).default([]),
  /** Margin the cross scope with the config's portfolio model (config.portfolio). */
  portfolioMargin: z.boolean().optional(),
});
/** The scenario file format (docs/risk-scenario.md). */
export const ScenarioSchema = z.strictObject({
  description: z.string().optional(),
  /** An engine configuration (EngineConfigSchema input). */
  config: z.unknown(),
  /** Time of the scenario, ms since epoch (matters for dated futures); default 0. */
  timeMs: z.number().int().min(0).optional(),
  prices: z.strictObject({
    marks: z.record(z.string(), decimalString).default({}),
    assets: z.record(z.string(), decimalString).default({}),
    exchangeRates: z.record(z.string(), decimalString).default({}),
  }),
  accounts: z.array(AccountSchema).min(1, 'at least one account is required'),
});
export type Scenario = z.output<typeof ScenarioSchema>;

/** A scenario position, with the programmatic extras the calculator uses (not part of the file format). */
export type ScenarioPosition = Scenario['accounts'][number]['positions'][number] & {
  /** Reduce the position by this size (base units, unsigned) with a fee-free fill at the scenario's mark. */
  reduceAtMark?: string;
};
export type ScenarioAccount = Omit<Scenario['accounts'][number], 'positions'> & {
  positions: ScenarioPosition[];
};
/** What `buildScenario` accepts: a parsed scenario, optionally with `reduceAtMark` on positions. */
export type ScenarioInput = Omit<Scenario, 'accounts'> & { accounts: ScenarioAccount[] };

export interface BuiltScenario {
  /** The engine holding the scenario's state under the scenario's own config. */
  readonly engine: Engine;
  readonly state: ReadonlyEngineState;
  /** The scenario's subaccounts, in file order. */
  readonly subaccounts: readonly ReadonlySubaccount[];
  /** The validated config. */
  readonly config: EngineConfig;
}

type Json = Record<string, unknown>;

function fail(message: string): never {
  throw new ScenarioError(message);
}

/** Parses scenario JSON text; every problem becomes a ScenarioError with a path. */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(`${source}: not valid JSON: ${(e as Error).message}`);
  }
  const r = ScenarioSchema.safeParse(raw);
  if (!r.success) fail(`${source}: invalid scenario:\n${z.prettifyError(r.error)}`);
  if (r.data.config === undefined) fail(`${source}: invalid scenario: config is required`);
  return r.data;
}

function checkedDecimal(
  text: string,
  decimals: number,
  where: string,
  opts: { positive?: boolean; nonZero?: boolean } = {},
): bigint {
  const r = parseDecimal(text, decimals);
  if (!r.ok) fail(`${where}: ${JSON.stringify(text)}: ${r.issue.reason}`);
  if (opts.positive === true && r.value <= 0n) fail(`${where}: must be positive, got ${text}`);
  if (opts.nonZero === true && r.value === 0n) fail(`${where}: must not be zero`);
  return r.value;
}

/** Engine.create with the config, turning every configuration problem into a ScenarioError. */
function createEngine(config: unknown, what: string): Engine {
  try {
    return Engine.create(config);
  } catch (e) {
    if (e instanceof Error && e.name !== 'InvariantError') fail(`${what}: ${e.message}`);
    throw e;
  }
}

/**
 * Builds a scenario's state through engine commands (see the module header).
 *
 * @throws ScenarioError for any problem with the input, with a path to it
 * @example
 *   const { state, subaccounts } = buildScenario(parseScenario(text));
 *   subaccountReport(state, subaccounts[0]!);
 */
export function buildScenario(scenario: ScenarioInput): BuiltScenario {
  const reference = createEngine(scenario.config, 'config');
  const refState = reference.state;
  const config = refState.config as EngineConfig;
  const rawConfig = scenario.config as Json;
  const settlement = config.settlementAsset;
  const timeMs = scenario.timeMs ?? 0;
  const where = (i: number) => `accounts[${i}] (${scenario.accounts[i]!.account})`;

  // --- semantic checks ----------------------------------------------------------------
  const refs = scenario.accounts.map((a) => ({ account: a.account, sub: a.sub ?? '0' }));
  const seen = new Set<string>();
  refs.forEach((ref, i) => {
    const key = subaccountKey(ref);
    if (seen.has(key)) fail(`${where(i)}: subaccount ${key} appears twice`);
    seen.add(key);
    if (ref.account === COUNTERPARTY.account)
      fail(`${where(i)}: the account id ${COUNTERPARTY.account} is reserved`);
  });
  const marketIds = new Set(config.markets.map((m) => m.id));
  const marketConfig = new Map(config.markets.map((m) => [m.id, m]));
  const knownMarket = (id: string, at: string) => {
    if (!marketIds.has(id))
      fail(`${at}: unknown market ${JSON.stringify(id)} (config has ${[...marketIds].join(', ') || 'none'})`);
  };
  const knownAsset = (id: string, at: string) => {
    if (!refState.assets.has(id)) fail(`${at}: unknown asset ${JSON.stringify(id)}`);
  };
  for (const id of Object.keys(scenario.prices.marks)) knownMarket(id, 'prices.marks');
  const markPx8 = new Map<string, bigint>();
  for (const [id, px] of Object.entries(scenario.prices.marks))
    markPx8.set(id, checkedDecimal(px, PRICE_DECIMALS, `prices.marks.${id}`, { positive: true }));
  for (const [id, px] of Object.entries(scenario.prices.assets)) {
    knownAsset(id, 'prices.assets');
    checkedDecimal(px, PRICE_DECIMALS, `prices.assets.${id}`, { positive: true });
  }
  for (const [id, rate] of Object.entries(scenario.prices.exchangeRates)) {
    knownAsset(id, 'prices.exchangeRates');
    checkedDecimal(rate, 18, `prices.exchangeRates.${id}`, { positive: true });
  }
  const assetPriced = (id: string): boolean => {
    if (id === settlement) return true;
    const a = refState.assets.get(id)!;
    if (a.yieldBearing) return id in scenario.prices.exchangeRates && assetPriced(a.yieldBearing.underlying);
    return id in scenario.prices.assets;
  };
  const longs = new Map<string, bigint>();
  const shorts = new Map<string, bigint>();
  const parsed = scenario.accounts.map((a, i) => {
    const at = where(i);
    for (const [asset, amount] of Object.entries(a.deposits)) {
      knownAsset(asset, `${at}.deposits`);
      checkedDecimal(amount, refState.assets.get(asset)!.decimals, `${at}.deposits.${asset}`, {
        positive: true,
      });
      if (!assetPriced(asset))
        fail(`${at}.deposits.${asset}: no price for ${asset} in prices (assets / exchangeRates)`);
    }
    for (const m of Object.keys(a.marginModes ?? {})) knownMarket(m, `${at}.marginModes`);
    const leverage = new Map<string, bigint>();
    for (const [m, lev] of Object.entries(a.leverage ?? {})) {
      knownMarket(m, `${at}.leverage`);
      const v = checkedDecimal(lev, 6, `${at}.leverage.${m}`);
      if (v < 1_000_000n) fail(`${at}.leverage.${m}: leverage must be at least 1, got ${lev}`);
      leverage.set(m, v);
    }
    const markets = new Set<string>();
    const positions = a.positions.map((p, j) => {
      const pat = `${at}.positions[${j}]`;
      knownMarket(p.market, `${pat}.market`);
      if (markets.has(p.market))
        fail(`${pat}: a subaccount holds one position per market; ${p.market} appears twice`);
      markets.add(p.market);
      if (!(p.market in scenario.prices.marks)) fail(`${pat}: no mark price for ${p.market} in prices.marks`);
      const underlying = marketConfig.get(p.market)!.option?.underlying;
      if (underlying !== undefined && !(underlying in scenario.prices.marks))
        fail(`${pat}: option ${p.market} needs a mark for its underlying ${underlying} in prices.marks`);
      const size = checkedDecimal(p.size, QTY_DECIMALS, `${pat}.size`, { nonZero: true });
      const entryPx8 = checkedDecimal(p.entryPrice, PRICE_DECIMALS, `${pat}.entryPrice`, { positive: true });
      const isolated = a.marginModes?.[p.market] === 'isolated';
      let isolatedMargin: bigint | undefined;
      if (p.isolatedMargin !== undefined) {
        if (!isolated)
          fail(
            `${pat}.isolatedMargin: ${p.market} is not isolated (set marginModes.${p.market} = "isolated")`,
          );
        isolatedMargin = checkedDecimal(
          p.isolatedMargin,
          refState.settlement.decimals,
          `${pat}.isolatedMargin`,
        );
        if (isolatedMargin < 0n) fail(`${pat}.isolatedMargin: must not be negative`);
      }
      let reduce = 0n;
      if (p.reduceAtMark !== undefined) {
        reduce = checkedDecimal(p.reduceAtMark, QTY_DECIMALS, `${pat}.reduceAtMark`, { positive: true });
        const abs = size < 0n ? -size : size;
        if (reduce > abs) fail(`${pat}.reduceAtMark: ${p.reduceAtMark} exceeds the position size ${p.size}`);
      }
      const book = size > 0n ? longs : shorts;
      book.set(p.market, (book.get(p.market) ?? 0n) + (size < 0n ? -size : size));
      return { ...p, size, entryPx8, isolated, isolatedMargin, reduce };
    });
    if (a.portfolioMargin === true && config.portfolio === undefined)
      fail(`${at}.portfolioMargin: the config has no portfolio model (config.portfolio)`);
    return { ref: refs[i]!, source: a, positions, leverage };
  });

  // --- opening engine ---------------------------------------------------------------
  const rawMarkets = (Array.isArray(rawConfig.markets) ? rawConfig.markets : []) as Json[];
  const rawGuards = (rawConfig.guards ?? {}) as Json;
  const openingConfig = {
    ...rawConfig,
    markets: rawMarkets.map((m) => ({
      ...m,
      takerFee: '0',
      makerFee: '0',
      tickSize: '0.00000001',
      margin: m.kind === 'option' ? ZERO_OPTION_MARGIN : ZERO_MARGIN,
    })),
    guards: { ...rawGuards, maxPriceMove: '100', maxFillDeviation: '10' },
    ...(rawConfig.portfolio === undefined ? {} : { portfolio: openingPortfolio(rawConfig, rawMarkets) }),
  };
  const engine = createEngine(openingConfig, 'config');
  const state = engine.state;
  const run = (c: CommandInput, what: string) => {
    try {
      engine.executeOrThrow(c);
    } catch (e) {
      if (e instanceof EngineRejectedError) fail(`${what}: ${e.message}`);
      throw e;
    }
  };

  // Underlyings first: an option's mark is checked against its underlying's.
  const linearMarks = Object.fromEntries(
    Object.entries(scenario.prices.marks).filter(([id]) => marketConfig.get(id)!.kind !== 'option'),
  );
  run(
    {
      type: 'prices',
      timeMs,
      marks: linearMarks,
      assets: scenario.prices.assets,
      exchangeRates: scenario.prices.exchangeRates,
    },
    'prices',
  );
  // The counterparty only needs non-negative collateral under the zero-requirement model.
  // (Short options need their mark even at zero rates: the counterparty of a long option gets
  // more than any premium could be.)
  const anyOption = config.markets.some((m) => m.kind === 'option');
  run(
    {
      type: 'deposit',
      to: COUNTERPARTY,
      asset: settlement,
      amount: anyOption ? '1000000000000' : '1',
      timeMs,
    },
    'counterparty',
  );
  parsed.forEach((a, i) => {
    for (const [asset, amount] of Object.entries(a.source.deposits)) {
      run({ type: 'deposit', to: a.ref, asset, amount, timeMs }, `${where(i)}: deposit ${asset}`);
    }
    if (!state.subaccounts.has(subaccountKey(a.ref))) {
      // No deposit: open the subaccount with a deposit and withdrawal of one unit.
      const unit = formatDecimal(1n, refState.settlement.decimals);
      run({ type: 'deposit', to: a.ref, asset: settlement, amount: unit, timeMs }, `${where(i)}: open`);
      run({ type: 'withdraw', from: a.ref, asset: settlement, amount: unit, timeMs }, `${where(i)}: open`);
    }
  });
  const px = (v: bigint) => formatDecimal(v, PRICE_DECIMALS);
  const qty = (v: bigint) => formatDecimal(v < 0n ? -v : v, QTY_DECIMALS);
  parsed.forEach((a, i) => {
    if (a.positions.length === 0) return;
    for (const [m, mode] of Object.entries(a.source.marginModes ?? {})) {
      run({ type: 'set_margin_mode', subaccount: a.ref, market: m, mode }, `${where(i)}: margin mode ${m}`);
    }
    if (a.source.portfolioMargin === true)
      run(
        { type: 'set_portfolio_margin', subaccount: a.ref, enabled: true },
        `${where(i)}: portfolio margin`,
      );
    const marks = Object.fromEntries(a.positions.map((p) => [p.market, px(p.entryPx8)]));
    run({ type: 'prices', timeMs, marks }, `${where(i)}: entry prices`);
    a.positions.forEach((p, j) => {
      run(
        {
          type: 'fill',
          market: p.market,
          buyer: p.size > 0n ? a.ref : COUNTERPARTY,
          seller: p.size > 0n ? COUNTERPARTY : a.ref,
          size: qty(p.size),
          price: px(p.entryPx8),
          timeMs,
        },
        `${where(i)}.positions[${j}]`,
      );
      if (!p.isolated) return;
      let margin = p.isolatedMargin;
      if (margin === undefined) {
        const refMarket = refState.markets.get(p.market)!;
        const oi = [longs.get(p.market) ?? 0n, shorts.get(p.market) ?? 0n].reduce((x, y) => (x > y ? x : y));
        margin = positionRequirement(
          refState,
          { ...refMarket, openInterestQty9: oi },
          p.size,
          p.entryPx8,
          a.leverage.get(p.market),
        ).initialQuote;
      }
      // The opening fill may already have locked a unit of margin (the entry value's rounding under the
      // zero-requirement model): move in what is missing to reach the asked margin.
      const locked = state.subaccounts.get(subaccountKey(a.ref))!.positions.get(p.market)!.isolatedMargin;
      if (margin > locked) {
        run(
          {
            type: 'adjust_isolated_margin',
            subaccount: a.ref,
            market: p.market,
            amount: formatDecimal(margin - locked, refState.settlement.decimals),
            timeMs,
          },
          `${where(i)}.positions[${j}]: isolated margin (paid from the ${settlement} deposit)`,
        );
      }
    });
    a.positions.forEach((p, j) => {
      if (p.reduce === 0n) return;
      const mark = markPx8.get(p.market)!;
      run({ type: 'prices', timeMs, marks: { [p.market]: px(mark) } }, `${where(i)}: mark ${p.market}`);
      run(
        {
          type: 'fill',
          market: p.market,
          buyer: p.size > 0n ? COUNTERPARTY : a.ref,
          seller: p.size > 0n ? a.ref : COUNTERPARTY,
          size: qty(p.reduce),
          price: px(mark),
          timeMs,
        },
        `${where(i)}.positions[${j}].reduceAtMark`,
      );
    });
  });

  // --- the scenario's own config, leverage and prices ---------------------------------
  for (const m of rawMarkets)
    run({ type: 'set_market', config: m } as CommandInput, `config market ${String(m.id)}`);
  parsed.forEach((a, i) => {
    for (const [m, lev] of Object.entries(a.source.leverage ?? {})) {
      run(
        { type: 'set_leverage', subaccount: a.ref, market: m, maxLeverage: lev },
        `${where(i)}.leverage.${m}`,
      );
    }
  });
  run({ type: 'prices', timeMs, ...scenario.prices }, 'prices');
  run(
    {
      type: 'set_policy',
      liquidation: (rawConfig.liquidation ?? {}) as never,
      guards: (rawConfig.guards ?? {}) as never,
      ...(rawConfig.portfolio === undefined ? {} : { portfolio: rawConfig.portfolio as never }),
    },
    'config policy',
  );

  const subaccounts = parsed.map((a) => state.subaccounts.get(subaccountKey(a.ref))!);
  return { engine, state, subaccounts, config };
}
