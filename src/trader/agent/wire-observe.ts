/**
 * What a live agent reads from a running `plimsoll serve`, and the strategy's observation built
 * from it.
 *
 * The shapes are the service's public JSON (docs/server.md: GET /v1/accounts/{account}/subaccounts/
 * {sub}, /v1/markets, /v1/assets), written out here structurally — the trader side talks to the
 * service only through its API, never by importing it. Every figure is a decimal string; they are
 * parsed exactly at the settlement asset's decimals (money), 9 places (sizes), 8 (prices) and 6
 * (fees as ppm), so the observation is the engine's own numbers, never floats.
 *
 * The observation is the subaccount's cross scope (equity, maintenance margin) and the one cross
 * position the agent manages; its reserve is what the reserve subaccount can move: its settlement
 * balance, no more than its free collateral.
 */
import { max, min, PPM_DECIMALS, PRICE_DECIMALS, parseDecimal, QTY_DECIMALS } from '../../core/num/index.ts';
import { type PerpObservation, StrategyError } from '../strategies/strategy.ts';

export interface WirePosition {
  readonly symbol: string;
  readonly side: 'long' | 'short';
  readonly contracts: string;
  readonly markPrice: string;
  readonly liquidationPrice: string | null;
  readonly marginMode: 'cross' | 'isolated';
}
export interface WireScope {
  readonly equity: string;
  readonly maintenanceMargin: string;
  readonly freeCollateral: string;
  readonly marginRatio: string | null;
  /** Below maintenance: the venue may liquidate it now. */
  readonly liquidatable?: boolean;
  readonly positions: readonly WirePosition[];
}
export interface WireSubaccount {
  readonly account: string;
  readonly sub: string;
  readonly balances: Readonly<Record<string, string>>;
  readonly cross: WireScope;
}
export interface WireMarket {
  readonly symbol: string;
  readonly takerFee: string;
  /** Order sizes are multiples of these (base units); prices of tickSize. Absent: no grid. */
  readonly stepSize?: string;
  readonly contractSize?: string;
  readonly tickSize?: string;
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

/**
 * A reduce-only order the market accepts: the size rounded up to the market's lot (the least
 * common multiple of step and contract size; acting a little more is on the safe side) but never
 * above the position, the price to the tick on the side that fills sooner (a sell rounds down, a
 * buy up).
 */
export function onMarketGrid(
  market: WireMarket | undefined,
  side: 'buy' | 'sell',
  sizeQty9: bigint,
  positionQty9: bigint,
  pricePx8: bigint,
): { sizeQty9: bigint; pricePx8: bigint } {
  const step = market?.stepSize === undefined ? 1n : dec(market.stepSize, QTY_DECIMALS, 'step size');
  const contract =
    market?.contractSize === undefined ? 1n : dec(market.contractSize, QTY_DECIMALS, 'contract size');
  const tick = market?.tickSize === undefined ? 1n : dec(market.tickSize, PRICE_DECIMALS, 'tick size');
  const lot = step > 0n && contract > 0n ? (step / gcd(step, contract)) * contract : 1n;
  const up = ((sizeQty9 + lot - 1n) / lot) * lot;
  const size = up <= positionQty9 ? up : positionQty9;
  const t = tick > 0n ? tick : 1n;
  const floor = (pricePx8 / t) * t;
  const price = side === 'sell' || floor === pricePx8 ? floor : floor + t;
  return { sizeQty9: size, pricePx8: price > 0n ? price : t };
}

/** One read of the account for a decision. */
export interface AccountSnapshot {
  /** The engine's time (ms) and journal head when read. */
  readonly timeMs: number;
  readonly seq: number;
  readonly settlementAsset: string;
  readonly decimals: number;
  readonly sub: WireSubaccount;
  /** The reserve subaccount (undefined: no reserve). */
  readonly reserve: WireSubaccount | undefined;
  readonly markets: readonly WireMarket[];
}

/** The service answered with a figure this agent cannot read. */
export class WireFormatError extends Error {
  override name = 'WireFormatError';
}

function dec(text: string | null | undefined, decimals: number, what: string): bigint {
  const r = parseDecimal(text, decimals);
  if (!r.ok) throw new WireFormatError(`${what}: ${String(text)} is not a decimal at ${decimals} places`);
  return r.value;
}

/** The cross position the agent manages: `market`, or the only one. Undefined when flat. */
export function managedPosition(sub: WireSubaccount, market: string | undefined): WirePosition | undefined {
  const cross = sub.cross.positions.filter((p) => p.marginMode === 'cross');
  if (market !== undefined) return cross.find((p) => p.symbol === market);
  if (cross.length > 1)
    throw new StrategyError(
      'BAD_PARAMETER',
      `${sub.account}/${sub.sub} has cross positions in ${cross.map((p) => p.symbol).join(', ')}: name the one to manage (--market)`,
    );
  return cross[0];
}

/** What the reserve subaccount can move into the managed one (settlement units). */
export function reserveOf(s: AccountSnapshot): bigint {
  if (!s.reserve) return 0n;
  const balance = dec(s.reserve.balances[s.settlementAsset] ?? '0', s.decimals, 'reserve balance');
  const free = dec(s.reserve.cross.freeCollateral, s.decimals, 'reserve free collateral');
  return max(0n, min(balance, free));
}

/** The perps observation of the managed position, or undefined when the subaccount is flat there. */
export function observeSnapshot(s: AccountSnapshot, market: string | undefined): PerpObservation | undefined {
  const p = managedPosition(s.sub, market);
  if (!p) return undefined;
  const fee = s.markets.find((m) => m.symbol === p.symbol)?.takerFee ?? '0';
  return {
    kind: 'perp',
    timeMs: s.timeMs,
    decimals: s.decimals,
    equity: dec(s.sub.cross.equity, s.decimals, 'equity'),
    maintenanceMargin: dec(s.sub.cross.maintenanceMargin, s.decimals, 'maintenance margin'),
    reserve: reserveOf(s),
    position: {
      side: p.side,
      sizeQty9: dec(p.contracts, QTY_DECIMALS, 'position size'),
      markPx8: dec(p.markPrice, PRICE_DECIMALS, 'mark price'),
      liquidationPx8:
        p.liquidationPrice === null ? null : dec(p.liquidationPrice, PRICE_DECIMALS, 'liquidation price'),
      takerFeePpm: dec(fee, PPM_DECIMALS, 'taker fee'),
    },
  };
}
