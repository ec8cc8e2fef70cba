/**
 * Drift-shaped accounts → engine commands: how a Drift protocol-v2 user (as the Drift SDK holds
 * it: spot positions with scaled balances, perp positions with base, quote and funding indexes,
 * open-order totals) becomes engine state, built only by ordinary commands, so the engine's
 * figures can be checked against Drift's integers (test/vectors/drift/) and timed against the
 * Drift SDK (bench/peer.ts).
 *
 * The mapping, and why it is exact:
 * - Markets and collateral: the drift-v2 preset's markets (`driftPerpMarket`) with the
 *   scenario's ratios, IMF factors, PnL weights and step sizes; USDC and SOL as assets with
 *   their weights and IMF factor (sizeHaircutFactor); tick 0.000001 (Drift's price precision).
 * - Spot deposits: the token amount, floor(scaledBalance × cumulative interest / 10^(19−dec)),
 *   which is all Drift's margin reads of a deposit (getTokenAmount).
 * - Perp positions: fills against a house account that make size = base and
 *   entry value = −(quoteAssetAmount + unsettled funding), so the engine's PnL, signed base
 *   value − entry value, is Drift's PnL including unsettled funding. The engine settles funding
 *   at each tick, so it holds no unsettled funding: it is folded into the entry here. Fills
 *   round half-even, so the entry is built in three fills, the last one step at an exact price.
 * - Open orders: `openOrders` resting orders totalling openBids and |openAsks|.
 * - A closed position that still holds PnL (base 0): the engine realizes PnL at close, so it
 *   goes into the USDC balance — in full when negative (as Drift counts it), at the market's
 *   maintenance PnL weight when positive (exact for the maintenance figures; the initial ones
 *   then count that amount in full, where Drift applies its initial PnL weight).
 * - maxMarginRatio: a leverage cap on every market (set_leverage 1/ratio).
 * Users are built under a set-up configuration (`driftSetupConfig`: every market at a 0.01%
 * margin) and, while a user's positions are built, each of its markets is marked where its
 * positions are deep in profit (5× the price for a long, 1/5 for a short), so the engine's
 * pre-trade checks pass for accounts Drift holds but no trade could open (under water, or past
 * a 100% IMF-premium ratio); the real markets (`driftRestoreCommands`) and the scenario's prices
 * are set after all users.
 */
import { positionValue } from '../account/position.ts';
import type { CommandInput } from '../engine/commands.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import { formatDecimal } from '../num/index.ts';
import { driftConfig, driftPerpMarket } from './drift-v2.ts';

/** A Drift perp market as the peer fixture carries it (decimal integer strings at Drift's precisions). */
export interface DriftPerpMarketData {
  readonly marketIndex: number;
  readonly symbol: string;
  readonly oraclePrice: string;
  readonly marginRatioInitial: number;
  readonly marginRatioMaintenance: number;
  readonly imfFactor: number;
  readonly unrealizedPnlInitialAssetWeight: number;
  readonly unrealizedPnlMaintenanceAssetWeight: number;
  readonly unrealizedPnlImfFactor: number;
  readonly cumulativeFundingRateLong: string;
  readonly cumulativeFundingRateShort: string;
  readonly orderStepSize: string;
}

export interface DriftSpotMarketData {
  readonly marketIndex: number;
  readonly symbol: string;
  readonly decimals: number;
  readonly oraclePrice: string;
  readonly initialAssetWeight: number;
  readonly maintenanceAssetWeight: number;
  /** Spot liability weights (1e4); absent in older fixtures: weight 1. */
  readonly initialLiabilityWeight?: number;
  readonly maintenanceLiabilityWeight?: number;
  readonly imfFactor: number;
}

export interface DriftScenarioData {
  readonly perp: readonly DriftPerpMarketData[];
  readonly spot: readonly DriftSpotMarketData[];
}

export interface DriftPerpPositionData {
  readonly marketIndex: number;
  readonly baseAssetAmount: string;
  readonly quoteAssetAmount: string;
  readonly lastCumulativeFundingRate: string;
  readonly openOrders: number;
  readonly openBids: string;
  readonly openAsks: string;
  readonly maxMarginRatio: number;
}

export interface DriftSpotPositionData {
  readonly marketIndex: number;
  readonly balanceType: string;
  readonly tokenAmount_derived: string;
}

export interface DriftUserData {
  readonly id: number;
  readonly inputs: {
    readonly maxMarginRatio: number;
    readonly spotPositions: readonly DriftSpotPositionData[];
    readonly perpPositions: readonly DriftPerpPositionData[];
  };
}

const BASE = 1_000_000_000n;
const PX8_PER_PRICE = 100n;
/** Drift's price precision as the engine's tick: 0.000001. */
const TICK_PX8 = 100n;
const QUOTE_DECIMALS = 6;

export const HOUSE = { account: 'house', sub: '0' } as const;
/** What the house deposits to take the other side of every position. */
const HOUSE_DEPOSIT = '1000000000000';

const qty = (v: bigint) => formatDecimal(v, 9);
const px = (px8: bigint) => formatDecimal(px8, 8);
const quote = (v: bigint) => formatDecimal(v, QUOTE_DECIMALS);

export function driftMarketId(m: DriftPerpMarketData): string {
  return m.symbol;
}
export function driftAssetId(s: DriftSpotMarketData): string {
  return s.symbol;
}
export function driftUserRef(u: DriftUserData): { account: string; sub: string } {
  return { account: `drift-${u.id}`, sub: '0' };
}

/**
 * The engine configuration of a scenario's markets, through the drift-v2 preset. Guards are
 * opened wide (price moves up to 100×, fills up to 10× off the mark) for the set-up marks.
 */
export function driftScenarioConfig(sc: DriftScenarioData): EngineConfigInput {
  const base = driftConfig();
  return {
    ...base,
    assets: sc.spot.map((s) => ({
      id: driftAssetId(s),
      decimals: s.decimals,
      initialWeight: formatDecimal(BigInt(s.initialAssetWeight), 4),
      maintenanceWeight: formatDecimal(BigInt(s.maintenanceAssetWeight), 4),
      sizeHaircutFactor: formatDecimal(BigInt(s.imfFactor), 6),
      liabilityWeight: {
        initial: formatDecimal(BigInt(s.initialLiabilityWeight ?? 10_000), 4),
        maintenance: formatDecimal(BigInt(s.maintenanceLiabilityWeight ?? 10_000), 4),
      },
    })),
    markets: sc.perp.map((m) =>
      driftPerpMarket(driftMarketId(m), m.symbol.replace(/-PERP$/, ''), {
        marginRatioInitial1e4: m.marginRatioInitial,
        marginRatioMaintenance1e4: m.marginRatioMaintenance,
        imfFactor1e6: m.imfFactor,
        stepSize: qty(BigInt(m.orderStepSize)),
        tickSize: px(TICK_PX8),
        unrealizedPnlWeight: {
          initial1e4: m.unrealizedPnlInitialAssetWeight,
          maintenance1e4: m.unrealizedPnlMaintenanceAssetWeight,
          imfFactor1e6: m.unrealizedPnlImfFactor,
        },
      }),
    ),
    guards: { maxPriceMove: '100', maxFillDeviation: '10' },
  };
}

/**
 * The scenario's configuration with every market at a 0.01% margin: the set-up configuration.
 * Drift accounts can hold positions the engine's pre-trade checks would never let a trade open
 * (a whale's IMF premium can push a ratio past 100%, an account can be under water), so the
 * users are built under it and the real markets are set afterwards (`driftRestoreCommands`).
 */
export function driftSetupConfig(sc: DriftScenarioData): EngineConfigInput {
  const cfg = driftScenarioConfig(sc);
  return {
    ...cfg,
    markets: cfg.markets!.map((m) => ({
      ...m,
      margin: { kind: 'fixed', initialRatio: '0.0001', maintenance: { ratio: '0.0001' } },
    })),
  };
}

/** The scenario's real markets, replacing the set-up ones. */
export function driftRestoreCommands(sc: DriftScenarioData): CommandInput[] {
  return driftScenarioConfig(sc).markets!.map((config) => ({ type: 'set_market', config }));
}

/** Drift's unsettled funding of a position (calculate_position_funding_pnl semantics of the SDK), quote 1e6. */
export function driftUnsettledFunding(m: DriftPerpMarketData, p: DriftPerpPositionData): bigint {
  const base = BigInt(p.baseAssetAmount);
  if (base === 0n) return 0n;
  const cum = BigInt(base > 0n ? m.cumulativeFundingRateLong : m.cumulativeFundingRateShort);
  return -(((cum - BigInt(p.lastCumulativeFundingRate)) * base) / BASE / 1_000n);
}

/** The scenario's prices as a `prices` command (marks of every perp, prices of every non-USDC asset). */
export function driftPricesCommand(sc: DriftScenarioData, timeMs: number): CommandInput {
  const marks: Record<string, string> = {};
  for (const m of sc.perp) marks[driftMarketId(m)] = px(BigInt(m.oraclePrice) * PX8_PER_PRICE);
  const assets: Record<string, string> = {};
  for (const s of sc.spot)
    if (s.marketIndex !== 0) assets[driftAssetId(s)] = px(BigInt(s.oraclePrice) * PX8_PER_PRICE);
  return { type: 'prices', timeMs, marks, assets };
}

/** The house account: a deposit large enough to take the other side of every position. */
export function driftHouseCommands(): CommandInput[] {
  return [{ type: 'deposit', to: HOUSE, asset: 'USDC', amount: HOUSE_DEPOSIT }];
}

/**
 * The fills that give a position size `size` (signed, qty9) and entry value `entry` (signed,
 * same sign; quote units) with the engine's half-even fill rounding: most of the size at the
 * nearest tick to the average price, a middle part that absorbs that fill's rounding, and one
 * step at the exact price that lands the entry to the unit.
 */
export function entryFills(size: bigint, entry: bigint, step: bigint): { size: bigint; pricePx8: bigint }[] {
  const n = size < 0n ? -size : size;
  let remaining = entry < 0n ? -entry : entry;
  if (n === 0n || n % step !== 0n || size > 0n !== entry > 0n)
    throw new Error(`position ${size} with entry ${entry}: not buildable by fills`);
  if ((10n ** 11n * TICK_PX8) % (step * TICK_PX8) !== 0n || BASE % step !== 0n)
    throw new Error(`step ${step} must divide one base unit`);
  const steps = n / step;
  const middle = steps > 1n ? sqrtCeil(steps - 1n) : 0n;
  const parts = [steps - 1n - middle, middle, 1n].filter((k) => k > 0n).map((k) => k * step);
  const fills: { size: bigint; pricePx8: bigint }[] = [];
  let left = n;
  for (let i = 0; i < parts.length; i++) {
    const q = parts[i]!;
    let pricePx8: bigint;
    if (i === parts.length - 1) {
      // Exact: q × p / 1e11 = remaining needs p = remaining × 1e11 / q, a multiple of the tick.
      pricePx8 = (remaining * 10n ** 11n) / q;
      if ((remaining * 10n ** 11n) % q !== 0n || pricePx8 % TICK_PX8 !== 0n || pricePx8 <= 0n)
        throw new Error(`position ${size} with entry ${entry}: no exact last fill`);
    } else {
      const avg = (remaining * 10n ** 11n) / left; // px8 of the average price still to pay
      pricePx8 = ((avg + TICK_PX8 / 2n) / TICK_PX8) * TICK_PX8;
      if (pricePx8 <= 0n) pricePx8 = TICK_PX8;
    }
    fills.push({ size: q, pricePx8 });
    remaining -= positionValue(q, pricePx8, QUOTE_DECIMALS, 'halfEven');
    left -= q;
  }
  if (remaining !== 0n) throw new Error(`position ${size} with entry ${entry}: fills miss by ${remaining}`);
  return fills;
}

function sqrtCeil(n: bigint): bigint {
  let r = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (r * r < n) r++;
  return r;
}

/** Splits `total` (a multiple of `step`) into `k` positive multiples of `step`. */
function split(total: bigint, k: number, step: bigint): bigint[] {
  const steps = total / step;
  if (BigInt(k) > steps) throw new Error(`cannot split ${total} into ${k} orders of step ${step}`);
  const each = steps / BigInt(k);
  const out = Array.from({ length: k }, () => each * step);
  out[0]! += (steps - each * BigInt(k)) * step;
  return out;
}

export interface DriftUserBuild {
  readonly commands: CommandInput[];
  /** Where the engine state is not Drift's to the unit for every figure (see the header). */
  readonly approximations: string[];
}

/**
 * The commands that build one Drift user in an engine configured by `driftScenarioConfig(sc)`
 * (after `driftHouseCommands`). `clock` gives increasing command times.
 */
export function driftUserCommands(
  u: DriftUserData,
  sc: DriftScenarioData,
  clock: () => number,
): DriftUserBuild {
  const ref = driftUserRef(u);
  const commands: CommandInput[] = [];
  const approximations: string[] = [];
  const usdcMarket = sc.spot.find((s) => s.marketIndex === 0)!;
  let usdc = 0n;
  const otherDeposits: { asset: string; amount: bigint; decimals: number }[] = [];
  for (const s of u.inputs.spotPositions) {
    if (s.balanceType !== 'deposit') throw new Error(`user ${u.id}: spot borrows are not mapped`);
    const market = sc.spot.find((m) => m.marketIndex === s.marketIndex)!;
    const token = BigInt(s.tokenAmount_derived);
    if (s.marketIndex === usdcMarket.marketIndex) usdc += token;
    else otherDeposits.push({ asset: driftAssetId(market), amount: token, decimals: market.decimals });
  }
  // Closed positions' PnL is realized in the engine: into the USDC balance.
  let closedLoss = 0n;
  for (const p of u.inputs.perpPositions) {
    if (BigInt(p.baseAssetAmount) !== 0n) continue;
    const q = BigInt(p.quoteAssetAmount);
    if (q < 0n) closedLoss += q;
    else if (q > 0n) {
      const m = sc.perp.find((x) => x.marketIndex === p.marketIndex)!;
      const w = BigInt(m.unrealizedPnlMaintenanceAssetWeight);
      usdc += (q * w) / 10_000n;
      if (w !== BigInt(m.unrealizedPnlInitialAssetWeight) || m.unrealizedPnlImfFactor !== 0)
        approximations.push(`${driftMarketId(m)}: closed PnL ${q} realized at the maintenance weight`);
    }
  }
  usdc += closedLoss;
  // A balance below zero (losses beyond the deposit) is reached by depositing one unit and
  // realizing the rest as a round trip once the positions are built.
  const roundTripLoss = usdc < 0n ? 1n - usdc : 0n;
  if (roundTripLoss > 0n) usdc = 1n;
  if (usdc > 0n) commands.push({ type: 'deposit', to: ref, asset: 'USDC', amount: quote(usdc) });
  for (const d of otherDeposits)
    if (d.amount > 0n)
      commands.push({
        type: 'deposit',
        to: ref,
        asset: d.asset,
        amount: formatDecimal(d.amount, d.decimals),
      });
  if (u.inputs.maxMarginRatio > 0) {
    // round(1e10 / ratio) ppm: the leverage whose margin ratio rounds back to `maxMarginRatio`.
    const r = BigInt(u.inputs.maxMarginRatio);
    const levPpm = (20_000_000_000n + r) / (2n * r);
    for (const m of sc.perp)
      commands.push({
        type: 'set_leverage',
        subaccount: ref,
        market: driftMarketId(m),
        maxLeverage: formatDecimal(levPpm, 6),
      });
  }
  for (const p of u.inputs.perpPositions)
    if (p.maxMarginRatio !== 0) throw new Error(`user ${u.id}: per-position maxMarginRatio is not mapped`);
  // Set-up marks: every market this user trades, where its position is in profit.
  const live = u.inputs.perpPositions.filter((p) => BigInt(p.baseAssetAmount) !== 0n || p.openOrders > 0);
  const setupMarks = new Map<string, bigint>();
  for (const p of live) {
    const m = sc.perp.find((x) => x.marketIndex === p.marketIndex)!;
    const price = BigInt(m.oraclePrice) * PX8_PER_PRICE;
    const b = BigInt(p.baseAssetAmount);
    const mark = b > 0n ? price * 5n : b < 0n ? ((price / 5n + TICK_PX8 - 1n) / TICK_PX8) * TICK_PX8 : price;
    setupMarks.set(driftMarketId(m), mark);
  }
  if (setupMarks.size > 0)
    commands.push({
      type: 'prices',
      timeMs: clock(),
      marks: Object.fromEntries([...setupMarks].map(([k, v]) => [k, px(v)])),
    });
  for (const p of live) {
    const m = sc.perp.find((x) => x.marketIndex === p.marketIndex)!;
    const id = driftMarketId(m);
    const b = BigInt(p.baseAssetAmount);
    const step = BigInt(m.orderStepSize);
    if (b !== 0n) {
      const entry = -(BigInt(p.quoteAssetAmount) + driftUnsettledFunding(m, p));
      for (const f of entryFills(b, entry, step)) {
        const long = b > 0n;
        commands.push({
          type: 'fill',
          market: id,
          buyer: long ? ref : HOUSE,
          seller: long ? HOUSE : ref,
          size: qty(f.size),
          price: px(f.pricePx8),
          taker: long ? 'seller' : 'buyer',
          timeMs: clock(),
        });
      }
    }
    if (p.openOrders > 0) {
      const bids = BigInt(p.openBids);
      const asks = -BigInt(p.openAsks);
      const sides: { side: 'buy' | 'sell'; total: bigint }[] = [];
      if (bids > 0n) sides.push({ side: 'buy', total: bids });
      if (asks > 0n) sides.push({ side: 'sell', total: asks });
      if (sides.length === 0 || sides.length > p.openOrders)
        throw new Error(`user ${u.id}: ${p.openOrders} orders cannot hold bids ${bids} / asks ${asks}`);
      const counts = sides.length === 1 ? [p.openOrders] : [1, p.openOrders - 1];
      const mark = setupMarks.get(id)!;
      sides.forEach((s, i) => {
        split(s.total, counts[i]!, step).forEach((size, j) => {
          commands.push({
            type: 'place_order',
            orderId: `d${u.id}-${p.marketIndex}-${s.side}-${j}`,
            subaccount: ref,
            market: id,
            side: s.side,
            size: qty(size),
            price: px(mark),
            timeMs: clock(),
          });
        });
      });
    }
  }
  if (roundTripLoss > 0n) {
    // Realize it through a round trip in a market the user does not trade: buy k whole units at
    // half the mark (a profit at once, which carries the position's margin), sell k − 1 of them
    // d1 ticks lower and the last d2 ticks lower, k·… = the loss exactly. Whole base units (a
    // multiple of any step dividing one): a tick on one unit is one quote unit, so no fill rounds.
    const m = sc.perp
      .filter((x) => !live.some((p) => p.marketIndex === x.marketIndex))
      .sort((x, y) => Number(BigInt(y.oraclePrice) - BigInt(x.oraclePrice)))[0];
    if (m === undefined)
      throw new Error(`user ${u.id}: a loss beyond the deposit needs a market it does not trade`);
    const id = driftMarketId(m);
    const marketStep = BigInt(m.orderStepSize);
    const step = marketStep > BASE ? marketStep : BASE;
    const mark = BigInt(m.oraclePrice) * PX8_PER_PRICE;
    const buyPx8 = (mark / 2n / TICK_PX8) * TICK_PX8;
    const buyTicks = buyPx8 / TICK_PX8;
    const t = (roundTripLoss * 10n ** 11n) / (step * TICK_PX8);
    const k = (t + buyTicks / 2n - 1n) / (buyTicks / 2n) + 1n;
    const d1 = t / k;
    const d2 = t - (k - 1n) * d1;
    if (d2 >= buyTicks || (roundTripLoss * 10n ** 11n) % (step * TICK_PX8) !== 0n)
      throw new Error(`user ${u.id}: loss ${roundTripLoss} too large for a round trip in ${id}`);
    const fill = (buy: boolean, size: bigint, pricePx8: bigint): CommandInput => ({
      type: 'fill',
      market: id,
      buyer: buy ? ref : HOUSE,
      seller: buy ? HOUSE : ref,
      size: qty(size),
      price: px(pricePx8),
      taker: buy ? 'seller' : 'buyer',
      timeMs: clock(),
    });
    commands.push(
      { type: 'prices', timeMs: clock(), marks: { [id]: px(mark) } },
      fill(true, k * step, buyPx8),
      fill(false, (k - 1n) * step, buyPx8 - d1 * TICK_PX8),
      fill(false, step, buyPx8 - d2 * TICK_PX8),
    );
  }
  return { commands, approximations };
}
