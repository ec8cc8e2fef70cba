/**
 * A seeded population of traders on a BTC USDⓈ-M-like venue, for demos and
 * crash replays.
 *
 * The venue (`demoVenueConfig`): settlement USDC (6 dp); collateral USDC and BTC
 * (BTC counts 90% for initial and 95% for maintenance margin, with a Drift-style
 * size haircut for very large balances); one market, BTC-PERP, margined with
 * Binance's published BTCUSDT leverage brackets; Binance's VIP-0 futures fees
 * (taker 0.05%, maker 0.02%); default funding (8 h, 0.01% interest, ±0.05% clamp)
 * and the engine's default liquidation policy; a backstop vault as liquidator.
 *
 * The population (`generatePopulation`): N traders, each with one BTC-PERP
 * position opened by a fill against one of a few market makers at the first
 * price of the replay, so every trader starts flat in PnL:
 * - collateral log-uniform 100 – 50,000 USDC, 1% whales with 20× that;
 * - leverage log-uniform 2× – 50× (an integer setting, as venues take it),
 *   lowered where the bracket of the resulting notional allows less;
 * - 55% long / 45% short;
 * - 15% post BTC instead of USDC as collateral (cross margin only: isolated
 *   margin is paid in the settlement asset);
 * - 20% of the USDC traders trade in isolated mode (`set_margin_mode` before the
 *   fill, then the engine tops the position up to notional / leverage).
 * The market makers and the backstop vault are funded from the population's
 * totals, so they can carry the book however the dice fall; a treasury account
 * seeds the insurance fund with 0.05% of the gross opening notional
 * (`fund_insurance`); after that the fund grows only by liquidation fees.
 *
 * Everything comes from one seed (`Rng`); random floats are turned into exact
 * integers at once and every amount reaches the engine as a decimal string.
 */
import { collateralValueQuote } from '../core/collateral/valuation.ts';
import type { CommandInput } from '../core/engine/commands.ts';
import type { EngineConfigInput, SubaccountRef } from '../core/model/engine-config.ts';
import { divRound, formatDecimal, PPM, parseDecimalUnsafe, pow10 } from '../core/num/index.ts';
import { Rng } from './rng.ts';

export const SETTLEMENT = 'USDC';
export const MARKET = 'BTC-PERP';
export const BASE_ASSET = 'BTC';
const USDC_DECIMALS = 6;
const BTC_DECIMALS = 8;

/**
 * Binance USDⓈ-M BTCUSDT leverage brackets: notional cap (USDT), maintenance
 * margin rate, max leverage, maintenance amount ("cum").
 *
 * Source: test/vectors/binance_usdm_btcusdt_brackets.json — Binance's ladder as
 * captured in freqtrade's test fixtures (freqtrade/freqtrade
 * tests/exchange/test_binance.py::test_get_maintenance_ratio_and_amt_binance and
 * the `leverage_tiers` fixture in tests/conftest.py). The initial ratio is
 * 1 / max leverage (1/3 rounded up to 0.333334 so IM is never below a third);
 * the published maintenance amounts are passed along so the engine checks the
 * ladder's MM continuity against them. Binance caps the last bracket at 1e9;
 * here it is open-ended (the engine's last bracket has no cap).
 */
export const BINANCE_BTCUSDT_BRACKETS = [
  { notionalCap: '50000', maintenanceRatio: '0.004', initialRatio: '0.008', maintenanceAmount: '0' }, // 125×
  { notionalCap: '250000', maintenanceRatio: '0.005', initialRatio: '0.01', maintenanceAmount: '50' }, // 100×
  { notionalCap: '1000000', maintenanceRatio: '0.01', initialRatio: '0.02', maintenanceAmount: '1300' }, // 50×
  { notionalCap: '7500000', maintenanceRatio: '0.025', initialRatio: '0.05', maintenanceAmount: '16300' }, // 20×
  { notionalCap: '40000000', maintenanceRatio: '0.05', initialRatio: '0.1', maintenanceAmount: '203800' }, // 10×
  { notionalCap: '100000000', maintenanceRatio: '0.1', initialRatio: '0.2', maintenanceAmount: '2203800' }, // 5×
  { notionalCap: '200000000', maintenanceRatio: '0.125', initialRatio: '0.25', maintenanceAmount: '4703800' }, // 4×
  {
    notionalCap: '400000000',
    maintenanceRatio: '0.15',
    initialRatio: '0.333334',
    maintenanceAmount: '9703800',
  }, // 3×
  { notionalCap: '600000000', maintenanceRatio: '0.25', initialRatio: '0.5', maintenanceAmount: '49703800' }, // 2×
  { maintenanceRatio: '0.5', initialRatio: '1', maintenanceAmount: '199703800' }, // 1×
] as const;

/** Binance USDⓈ-M VIP-0 fees (taker 0.05%, maker 0.02%), as published on its fee schedule. */
export const TAKER_FEE = '0.0005';
export const MAKER_FEE = '0.0002';

/** BTC collateral weights: 90% for opening (initial), 95% for the liquidation trigger. */
const BTC_INITIAL_WEIGHT = '0.9';
const BTC_MAINTENANCE_WEIGHT = '0.95';
/**
 * Drift-style size haircut: weight = min(w, 1.1 / (1 + 0.01·√BTC)); it starts to
 * cut the 95% maintenance weight above ≈ 249 BTC.
 */
const BTC_SIZE_HAIRCUT = '0.01';

export const BACKSTOP: SubaccountRef = { account: 'backstop-vault', sub: '0' };
/** The venue's treasury: deposits the insurance fund's seed and moves it in with `fund_insurance`. */
export const TREASURY: SubaccountRef = { account: 'venue-treasury', sub: '0' };
/** Insurance fund seed as a fraction of the traders' gross opening notional (0.05%). */
export const INSURANCE_SEED_PPM = 500n;

/** The demo venue's engine configuration (validated by Engine.create). */
export function demoVenueConfig(): EngineConfigInput {
  return {
    settlementAsset: SETTLEMENT,
    assets: [
      { id: SETTLEMENT, decimals: USDC_DECIMALS },
      {
        id: BASE_ASSET,
        decimals: BTC_DECIMALS,
        initialWeight: BTC_INITIAL_WEIGHT,
        maintenanceWeight: BTC_MAINTENANCE_WEIGHT,
        sizeHaircutFactor: BTC_SIZE_HAIRCUT,
      },
    ],
    markets: [
      {
        id: MARKET,
        kind: 'perpetual',
        base: BASE_ASSET,
        // Binance's BTCUSDT step is 0.001 BTC; the tick is 0.01 here (Binance: 0.1) so the
        // first price of every bundled window (e.g. 5611.02) is a valid fill price.
        stepSize: '0.001',
        tickSize: '0.01',
        margin: { kind: 'brackets', brackets: BINANCE_BTCUSDT_BRACKETS.map((b) => ({ ...b })) },
        takerFee: TAKER_FEE,
        makerFee: MAKER_FEE,
      },
    ],
    backstop: BACKSTOP,
  };
}

export interface PopulationOptions {
  /** Number of traders (market makers and the backstop come on top). */
  readonly accounts: number;
  readonly seed: number;
  /** The price every trader opens at (decimal string, quote per BTC). */
  readonly openPrice: string;
  /** Time of the opening commands, ms since epoch. */
  readonly timeMs: number;
  /** Number of market makers (default 4). */
  readonly marketMakers?: number;
}

export interface Trader {
  readonly ref: SubaccountRef;
  readonly side: 'long' | 'short';
  /** Leverage setting (integer ×). */
  readonly leverage: number;
  readonly isolated: boolean;
  readonly collateralAsset: 'USDC' | 'BTC';
  /** Deposit in the collateral asset, decimal string. */
  readonly deposit: string;
  readonly whale: boolean;
  /** |size| in BTC, decimal string (a multiple of 0.001). */
  readonly size: string;
  /** Notional at the opening price, USDC decimal string. */
  readonly notional: string;
  /** The market maker on the other side of the opening fill. */
  readonly counterparty: SubaccountRef;
}

export interface PopulationSummary {
  readonly traders: number;
  readonly longs: number;
  readonly shorts: number;
  readonly isolated: number;
  readonly btcCollateral: number;
  readonly whales: number;
  readonly marketMakers: number;
  /** Σ long sizes of the traders, BTC. */
  readonly longSize: string;
  /** Σ |short sizes| of the traders, BTC. */
  readonly shortSize: string;
  /** Σ notional of the traders at the opening price, USDC. */
  readonly grossNotional: string;
  /** Deposit of each market maker and of the backstop vault, USDC. */
  readonly marketMakerDeposit: string;
  readonly backstopDeposit: string;
  /** Insurance fund seed moved in by the treasury before trading, USDC. */
  readonly insuranceSeed: string;
}

export interface Population {
  readonly config: EngineConfigInput;
  /** Commands that fund every account and open every position, in order. */
  readonly setup: CommandInput[];
  readonly traders: Trader[];
  readonly marketMakers: SubaccountRef[];
  readonly backstop: SubaccountRef;
  readonly summary: PopulationSummary;
}

interface Bracket {
  capUsd6: bigint | undefined;
  initialPpm: bigint;
  maxLeverage: bigint;
}

const BRACKETS: Bracket[] = BINANCE_BTCUSDT_BRACKETS.map((b) => {
  const initialPpm = parseDecimalUnsafe(b.initialRatio, 6);
  return {
    capUsd6: 'notionalCap' in b ? parseDecimalUnsafe(b.notionalCap, USDC_DECIMALS) : undefined,
    initialPpm,
    maxLeverage: PPM / initialPpm,
  };
});

function bracketOf(notionalUsd6: bigint): Bracket {
  return BRACKETS.find((b) => b.capUsd6 === undefined || notionalUsd6 < b.capUsd6)!;
}

/** Largest notional (USDC units) whose bracket IM fits in `budgetUsd6`. */
function maxNotionalFor(budgetUsd6: bigint): bigint {
  let best = 0n;
  for (const b of BRACKETS) {
    let n = (budgetUsd6 * PPM) / b.initialPpm;
    if (b.capUsd6 !== undefined && n >= b.capUsd6) n = b.capUsd6 - 1n;
    if (n > best) best = n;
  }
  return best;
}

const QTY_STEP = 1_000_000n; // 0.001 BTC in qty9
const usd = (v: bigint) => formatDecimal(v, USDC_DECIMALS);
const btcQty = (v: bigint) => formatDecimal(v, 9);

/** Rounds a positive amount up to a round figure with two significant digits (display-friendly deposits). */
function roundUp2(v: bigint): bigint {
  const digits = v.toString().length;
  if (digits <= 2) return v;
  const unit = pow10(digits - 2);
  return divRound(v, unit, 'ceil') * unit;
}

/**
 * A seeded population and the commands that open it.
 *
 * @example
 * const pop = generatePopulation({ accounts: 300, seed: 42, openPrice: '121662', timeMs: 1760054400000 });
 * const engine = Engine.create(pop.config);
 * for (const c of pop.setup) engine.executeOrThrow(c);
 */
export function generatePopulation(opts: PopulationOptions): Population {
  if (!Number.isInteger(opts.accounts) || opts.accounts < 1)
    throw new RangeError('accounts must be a positive integer');
  const rng = new Rng(opts.seed);
  const pricePx8 = parseDecimalUnsafe(opts.openPrice, 8);
  if (pricePx8 <= 0n) throw new RangeError('openPrice must be positive');
  const t = opts.timeMs;
  const mmCount = opts.marketMakers ?? 4;
  const marketMakers: SubaccountRef[] = Array.from({ length: mmCount }, (_, i) => ({
    account: `market-maker-${i + 1}`,
    sub: '0',
  }));
  const width = String(opts.accounts).length;
  const takerPpm = parseDecimalUnsafe(TAKER_FEE, 6);
  const traders: Trader[] = [];
  const traderCommands: CommandInput[] = [];
  let longQty = 0n;
  let shortQty = 0n;
  let grossUsd6 = 0n;

  for (let i = 0; i < opts.accounts; i++) {
    const ref: SubaccountRef = { account: `trader-${String(i + 1).padStart(width, '0')}`, sub: '0' };
    const whale = rng.chance(0.01);
    const collateralUsd = rng.logUniform(100, 50_000) * (whale ? 20 : 1);
    const wantLeverage = Math.floor(rng.logUniform(2, 50));
    const side = rng.chance(0.55) ? 'long' : 'short';
    const btc = rng.chance(0.15);
    const isolated = !btc && rng.chance(0.2);
    const counterparty = marketMakers[i % mmCount]!;

    // Deposit (exact from here on): whole cents of USDC, or the BTC worth as much.
    const valueUsd6 = BigInt(Math.round(collateralUsd * 100)) * 10_000n;
    let depositText: string;
    let budgetUsd6: bigint;
    if (btc) {
      // sats = usd6 × 1e8 (px8) × 1e8 (sats) / (px8 × 1e6)
      const sats = (valueUsd6 * 10n ** 10n) / pricePx8;
      depositText = formatDecimal(sats, BTC_DECIMALS);
      budgetUsd6 = collateralValueQuote({
        balance: sats,
        assetDecimals: BTC_DECIMALS,
        pricePx8,
        weightPpm: parseDecimalUnsafe(BTC_INITIAL_WEIGHT, 6),
        sizeHaircutFactorPpm: parseDecimalUnsafe(BTC_SIZE_HAIRCUT, 6),
        quoteDecimals: USDC_DECIMALS,
      });
    } else {
      depositText = usd(valueUsd6);
      budgetUsd6 = valueUsd6;
    }
    // 3% slack for the taker fee and rounding: notional × (1/L + fee) ≤ 0.97 × budget.
    const lev = BigInt(wantLeverage);
    const spendable = (budgetUsd6 * 97n) / 100n;
    let notional = (spendable * lev * PPM) / (PPM + lev * takerPpm);
    const cap = maxNotionalFor((spendable * PPM) / (PPM + takerPpm));
    if (notional > cap) notional = cap;
    const leverage = Number(lev < bracketOf(notional).maxLeverage ? lev : bracketOf(notional).maxLeverage);
    let qty = ((notional * 10n ** 11n) / pricePx8 / QTY_STEP) * QTY_STEP; // usd6 × 1e(9+8−6) / px8
    if (qty < QTY_STEP) qty = QTY_STEP;
    const notionalUsd6 = divRound(qty * pricePx8, 10n ** 11n, 'ceil');

    const trader: Trader = {
      ref,
      side,
      leverage,
      isolated,
      collateralAsset: btc ? 'BTC' : 'USDC',
      deposit: depositText,
      whale,
      size: btcQty(qty),
      notional: usd(notionalUsd6),
      counterparty,
    };
    traders.push(trader);
    if (side === 'long') longQty += qty;
    else shortQty += qty;
    grossUsd6 += notionalUsd6;

    traderCommands.push({
      type: 'deposit',
      to: ref,
      asset: btc ? BASE_ASSET : SETTLEMENT,
      amount: depositText,
      timeMs: t,
    });
    if (isolated)
      traderCommands.push({ type: 'set_margin_mode', subaccount: ref, market: MARKET, mode: 'isolated' });
    traderCommands.push({
      type: 'set_leverage',
      subaccount: ref,
      market: MARKET,
      maxLeverage: String(leverage),
    });
    traderCommands.push({
      type: 'fill',
      market: MARKET,
      buyer: side === 'long' ? ref : counterparty,
      seller: side === 'long' ? counterparty : ref,
      size: btcQty(qty),
      price: opts.openPrice,
      taker: side === 'long' ? 'buyer' : 'seller',
      timeMs: t,
    });
  }

  // Market makers: each can carry its own gross flow at 1× (they are the venue's deep book).
  const mmDeposit = roundUp2(grossUsd6 / BigInt(mmCount) + 10_000_000_000n);
  // Backstop vault: enough to take over every long at 1× (the crash side) twice over.
  const longUsd6 = divRound(longQty * pricePx8, 10n ** 11n, 'ceil');
  const backstopDeposit = roundUp2(2n * longUsd6 + 10_000_000_000n);
  const insuranceSeed = roundUp2((grossUsd6 * INSURANCE_SEED_PPM) / PPM + 1n);

  const setup: CommandInput[] = [
    {
      type: 'prices',
      timeMs: t,
      marks: { [MARKET]: opts.openPrice },
      assets: { [BASE_ASSET]: opts.openPrice },
    },
    { type: 'deposit', to: BACKSTOP, asset: SETTLEMENT, amount: usd(backstopDeposit), timeMs: t },
    { type: 'deposit', to: TREASURY, asset: SETTLEMENT, amount: usd(insuranceSeed), timeMs: t },
    { type: 'fund_insurance', from: TREASURY, asset: SETTLEMENT, amount: usd(insuranceSeed), timeMs: t },
    ...marketMakers.map(
      (m): CommandInput => ({ type: 'deposit', to: m, asset: SETTLEMENT, amount: usd(mmDeposit), timeMs: t }),
    ),
    ...traderCommands,
  ];

  return {
    config: demoVenueConfig(),
    setup,
    traders,
    marketMakers,
    backstop: BACKSTOP,
    summary: {
      traders: traders.length,
      longs: traders.filter((x) => x.side === 'long').length,
      shorts: traders.filter((x) => x.side === 'short').length,
      isolated: traders.filter((x) => x.isolated).length,
      btcCollateral: traders.filter((x) => x.collateralAsset === 'BTC').length,
      whales: traders.filter((x) => x.whale).length,
      marketMakers: mmCount,
      longSize: btcQty(longQty),
      shortSize: btcQty(shortQty),
      grossNotional: usd(grossUsd6),
      marketMakerDeposit: usd(mmDeposit),
      backstopDeposit: usd(backstopDeposit),
      insuranceSeed: usd(insuranceSeed),
    },
  };
}
