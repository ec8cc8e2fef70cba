/**
 * `plimsoll risk FILE.json`: every figure of the engine for the accounts of a
 * scenario (docs/risk-scenario.md) — collateral value, unrealized PnL, equity,
 * IM, MM, free collateral, health, margin ratio, and each position's
 * liquidation and bankruptcy price — as JSON.
 *
 * The state is built through engine commands only, so the figures are the
 * engine's own:
 * 1. The scenario's config is validated by creating an engine with it (the
 *    "reference" engine, also used for default isolated margins).
 * 2. An *opening* engine is created from a copy of the config in which every
 *    market has zero fees, a 1e-8 tick and a zero-requirement margin model
 *    (fixed, IM = MM = 0), and the price guards are wide open. Positions are
 *    opened by fills at their entry price against a synthetic counterparty
 *    (`COUNTERPARTY`, excluded from the output), with the mark temporarily at
 *    that entry price, so: no fee touches a balance; entry prices need not be
 *    on the tick (they are averages); and an account whose scenario state is
 *    already underwater or beyond its initial margin can still be built (the
 *    question is what the engine says about it, not whether it could open it).
 *    Each isolated position then receives its isolated margin from the
 *    account's settlement-asset deposit (`adjust_isolated_margin`): the given
 *    `isolatedMargin`, or by default the position's initial margin at its entry
 *    price under the real model and the account's leverage setting.
 * 3. The real markets (`set_market`), leverage settings (`set_leverage`), the
 *    scenario's prices (`prices`) and finally the real liquidation policy and
 *    guards (`set_policy`) are applied. From then on the state is exactly what
 *    the scenario describes under the scenario's config.
 *
 * The counterparty holds the opposite of the scenario's net position in each
 * market, so a market's open interest is max(Σ longs, Σ |shorts|) of the
 * scenario (it matters only to open-interest-scaled margin).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { positionRequirement } from '../core/account/figures.ts';
import { type SubaccountReport, subaccountReport } from '../core/account/report.ts';
import type { CommandInput } from '../core/engine/commands.ts';
import type { EngineConfig, SubaccountRef } from '../core/engine/config.ts';
import { Engine, EngineRejectedError } from '../core/engine/engine.ts';
import { type EngineState, subaccountKey } from '../core/engine/state.ts';
import { formatDecimal, PRICE_DECIMALS, parseDecimal, QTY_DECIMALS } from '../core/num/index.ts';
import { UsageError } from './errors.ts';

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
});
export const RiskScenarioSchema = z.strictObject({
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
export type RiskScenario = z.output<typeof RiskScenarioSchema>;

export interface RiskResult {
  readonly accounts: SubaccountReport[];
}

type Json = Record<string, unknown>;

function fail(message: string): never {
  throw new UsageError(message);
}

/** Parses scenario JSON text; every problem becomes a UsageError with a path. */
export function parseRiskScenario(text: string, source = 'scenario'): RiskScenario {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(`${source}: not valid JSON: ${(e as Error).message}`);
  }
  const r = RiskScenarioSchema.safeParse(raw);
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

/** Engine.create with the config, turning every configuration problem into a UsageError. */
function createEngine(config: unknown, what: string): Engine {
  try {
    return Engine.create(config);
  } catch (e) {
    if (e instanceof Error && e.name !== 'InvariantError') fail(`${what}: ${e.message}`);
    throw e;
  }
}

/** Builds the scenario's state through engine commands and reports every account. */
export function runRiskScenario(scenario: RiskScenario, opts: { account?: string } = {}): RiskResult {
  const reference = createEngine(scenario.config, 'config');
  const refState = reference.state as EngineState;
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
  const knownMarket = (id: string, at: string) => {
    if (!marketIds.has(id))
      fail(`${at}: unknown market ${JSON.stringify(id)} (config has ${[...marketIds].join(', ') || 'none'})`);
  };
  const knownAsset = (id: string, at: string) => {
    if (!refState.assets.has(id)) fail(`${at}: unknown asset ${JSON.stringify(id)}`);
  };
  for (const id of Object.keys(scenario.prices.marks)) knownMarket(id, 'prices.marks');
  for (const [id, px] of Object.entries(scenario.prices.marks))
    checkedDecimal(px, PRICE_DECIMALS, `prices.marks.${id}`, { positive: true });
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
    for (const [m, mode] of Object.entries(a.marginModes ?? {})) {
      knownMarket(m, `${at}.marginModes`);
      void mode;
    }
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
      const book = size > 0n ? longs : shorts;
      book.set(p.market, (book.get(p.market) ?? 0n) + (size < 0n ? -size : size));
      return { ...p, size, entryPx8, isolated, isolatedMargin };
    });
    return { ref: refs[i]!, source: a, positions, leverage };
  });
  if (opts.account !== undefined && !refs.some((r) => r.account === opts.account)) {
    fail(
      `--account ${opts.account}: no such account in the scenario (accounts: ${refs.map((r) => r.account).join(', ')})`,
    );
  }

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
      margin: { kind: 'fixed', initialRatio: '0', maintenance: { ratio: '0' } },
    })),
    guards: { ...rawGuards, maxPriceMove: '100', maxFillDeviation: '10' },
  };
  const engine = createEngine(openingConfig, 'config');
  const state = engine.state as EngineState;
  const run = (c: CommandInput, what: string) => {
    try {
      engine.executeOrThrow(c);
    } catch (e) {
      if (e instanceof EngineRejectedError) fail(`${what}: ${e.message}`);
      throw e;
    }
  };

  run(
    {
      type: 'prices',
      timeMs,
      assets: scenario.prices.assets,
      exchangeRates: scenario.prices.exchangeRates,
    },
    'prices',
  );
  // The counterparty only needs non-negative collateral under the zero-requirement model.
  run({ type: 'deposit', to: COUNTERPARTY, asset: settlement, amount: '1', timeMs }, 'counterparty');
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
  parsed.forEach((a, i) => {
    if (a.positions.length === 0) return;
    for (const [m, mode] of Object.entries(a.source.marginModes ?? {})) {
      run({ type: 'set_margin_mode', subaccount: a.ref, market: m, mode }, `${where(i)}: margin mode ${m}`);
    }
    const marks = Object.fromEntries(
      a.positions.map((p) => [p.market, formatDecimal(p.entryPx8, PRICE_DECIMALS)]),
    );
    run({ type: 'prices', timeMs, marks }, `${where(i)}: entry prices`);
    a.positions.forEach((p, j) => {
      const size = formatDecimal(p.size < 0n ? -p.size : p.size, QTY_DECIMALS);
      run(
        {
          type: 'fill',
          market: p.market,
          buyer: p.size > 0n ? a.ref : COUNTERPARTY,
          seller: p.size > 0n ? COUNTERPARTY : a.ref,
          size,
          price: formatDecimal(p.entryPx8, PRICE_DECIMALS),
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
      if (margin > 0n) {
        run(
          {
            type: 'adjust_isolated_margin',
            subaccount: a.ref,
            market: p.market,
            amount: formatDecimal(margin, refState.settlement.decimals),
            timeMs,
          },
          `${where(i)}.positions[${j}]: isolated margin (paid from the ${settlement} deposit)`,
        );
      }
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
    },
    'config policy',
  );

  const accounts = parsed
    .filter((a) => opts.account === undefined || a.ref.account === opts.account)
    .map((a) => subaccountReport(state, state.subaccounts.get(subaccountKey(a.ref))!));
  return { accounts };
}

/** The `risk` command: reads FILE, prints the reports as JSON. */
export function riskCommand(file: string, opts: { account?: string }, out: (text: string) => void): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    fail(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const scenario = parseRiskScenario(text, file);
  out(`${JSON.stringify(runRiskScenario(scenario, opts), null, 2)}\n`);
}
