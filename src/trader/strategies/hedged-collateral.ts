/**
 * Hedged collateral: keep the delta of coin collateral neutralised with a short perpetual,
 * rebalanced when the hedge drifts outside a band around its target, and the carry of the
 * hedge (funding, margin held).
 *
 * Target (exact, rounded to the nearest unit of the hedge):
 *   - linear (USD-margined) perp, collateral c coins counted at (1 − h) by the venue: the
 *     margin value moves (1 − h)·c USD per USD of price, so short q = (1 − h)·c coins;
 *   - inverse perp of face F USD per contract, coin-margined (collateral c coins, the settlement
 *     asset, counted in full), value in USD: V(P) = c·P + n·F·(1 − P/P₀) for n short contracts
 *     opened at P₀; dV/dP = c − n·F/P₀ = 0 at n = c·P/F contracts (the classic synthetic USD: with
 *     the short's PnL credited to c, c·P stays n·F, so the target holds as the price moves and
 *     only deposits, withdrawals and other PnL make it drift).
 * Rebalance when |held − target| > band·target (ppm), back to the target exactly.
 *
 * Through the one strategy interface the hedger reads a perpetuals observation's `collateral`
 * block: the holding of the hedged asset (amount, price, haircut) and the short on the hedge
 * market among the other positions (none: 0), and answers with one `hedge` action. Sizes of an
 * inverse market are contracts ×1e9 (qty9 of contracts), so the action's `deltaQty9` is always
 * qty9 of the market's own unit.
 *
 * Carry over `hours` of a short of notional N at funding rate r per 8 hours (positive: longs pay
 * shorts): funding paid = −N·r·hours/8 (a short receives positive funding); margin held idle =
 * N·mmr (the hedge's own maintenance margin, at the venue's rate).
 */
import { divRound, PPM } from '../../core/num/index.ts';
import { type Decision, type Observation, QTY_SCALE, type Strategy, StrategyError } from './strategy.ts';

export type HedgeContract =
  | { readonly kind: 'linear' }
  /** Face value of one contract in USD ×1e8 (px8 scale), e.g. 100 USD = 10_000_000_000n. */
  | { readonly kind: 'inverse'; readonly faceUsd8: bigint };

export interface HedgeObservation {
  /** Coin collateral, qty9. */
  readonly collateralQty9: bigint;
  /** Haircut the venue applies to the coin, ppm (inverse: 0, the settlement coin). */
  readonly haircutPpm: bigint;
  readonly markPx8: bigint;
  /** The short held now: linear qty9, inverse contracts. */
  readonly heldShort: bigint;
}

export interface HedgeDecision {
  readonly target: bigint;
  /** Change of the short (positive: sell more; negative: buy back); 0 inside the band. */
  readonly change: bigint;
  readonly reason: string;
}

/** The short that neutralises the collateral's delta (module header): qty9 or contracts. */
export function hedgeTarget(contract: HedgeContract, o: HedgeObservation): bigint {
  if (o.collateralQty9 < 0n || o.markPx8 <= 0n || o.haircutPpm < 0n || o.haircutPpm >= PPM)
    throw new StrategyError(
      'BAD_PARAMETER',
      'hedge: collateral ≥ 0, mark > 0 and haircut in [0, 100%) required',
    );
  if (contract.kind === 'linear') return divRound(o.collateralQty9 * (PPM - o.haircutPpm), PPM, 'halfEven');
  if (contract.faceUsd8 <= 0n) throw new StrategyError('BAD_PARAMETER', 'hedge: contract face must be > 0');
  // contracts = c·(1 − h)·P / F, with c in qty9 and P, F in px8.
  return divRound(
    o.collateralQty9 * (PPM - o.haircutPpm) * o.markPx8,
    QTY_SCALE * PPM * contract.faceUsd8,
    'halfEven',
  );
}

/** Which collateral asset is hedged, and on which perpetual market. */
export interface HedgeMarket {
  readonly asset: string;
  readonly market: string;
}

/** Keeps the hedge within `bandPpm` of its target (module header). */
export class CollateralHedger implements Strategy {
  readonly name = 'hedged-collateral';
  constructor(
    readonly contract: HedgeContract,
    readonly bandPpm: bigint,
    readonly on: HedgeMarket,
  ) {
    if (bandPpm < 0n || bandPpm >= PPM)
      throw new StrategyError('BAD_PARAMETER', 'hedge: band must be in [0, 100%)');
  }

  decide(obs: Observation): Decision {
    if (obs.kind !== 'perp' || obs.collateral === undefined)
      throw new StrategyError(
        'WRONG_ACCOUNT_KIND',
        'hedged collateral needs a perpetuals account with its collateral holdings',
      );
    const { asset, market } = this.on;
    const held = obs.collateral.holdings.filter((h) => h.asset === asset);
    const shorts = obs.collateral.otherPositions.filter((p) => p.market === market && p.sizeQty9 !== 0n);
    if (held.length > 1 || shorts.length > 1)
      throw new StrategyError('BAD_PARAMETER', `hedge: ${asset} or ${market} observed twice`);
    if (shorts[0]?.side === 'long')
      throw new StrategyError('BAD_PARAMETER', `hedge: ${market} holds a long, not a hedge`);
    if (held[0] === undefined && shorts[0] === undefined)
      return { actions: [], reason: `no ${asset} collateral and no hedge` };
    const unit = this.contract.kind === 'inverse' ? QTY_SCALE : 1n;
    const h = held[0];
    const heldShort = shorts[0]?.sizeQty9 ?? 0n;
    if (heldShort % unit !== 0n)
      throw new StrategyError('BAD_PARAMETER', `hedge: ${market} holds a fraction of a contract`);
    const d = this.rebalance({
      collateralQty9: h?.qty9 ?? 0n,
      haircutPpm: h?.haircutPpm ?? 0n,
      markPx8: h?.markPx8 ?? shorts[0]!.markPx8,
      heldShort: heldShort / unit,
    });
    return {
      actions: d.change === 0n ? [] : [{ kind: 'hedge', market, deltaQty9: d.change * unit }],
      reason: d.reason,
    };
  }

  /** The band decision on the hedger's own input (module header). */
  rebalance(o: HedgeObservation): HedgeDecision {
    if (o.heldShort < 0n) throw new StrategyError('BAD_PARAMETER', 'hedge: the held short is a size ≥ 0');
    const target = hedgeTarget(this.contract, o);
    const gap = target - o.heldShort;
    const abs = gap < 0n ? -gap : gap;
    if (abs * PPM <= this.bandPpm * target && !(target === 0n && o.heldShort > 0n))
      return { target, change: 0n, reason: `hedge within ${Number(this.bandPpm) / 1e4}% of its target` };
    return {
      target,
      change: gap,
      reason: `hedge ${o.heldShort} off its target ${target} by more than ${Number(this.bandPpm) / 1e4}%: ${gap > 0n ? 'sell' : 'buy back'} ${abs}`,
    };
  }
}

/** Carry of a short hedge (module header); money in USD at `decimals`, exact. */
export function hedgeCarry(
  notional: bigint,
  fundingPpmPer8h: bigint,
  hours: bigint,
  mmrPpm: bigint,
): { fundingPaid: bigint; marginHeld: bigint } {
  if (notional < 0n || hours < 0n || mmrPpm < 0n)
    throw new StrategyError('BAD_PARAMETER', 'hedge carry: notional, hours and rate must be ≥ 0');
  // Paid by the short: −N·r·hours/8, rounded against the trader (up).
  const fundingPaid = divRound(-(notional * fundingPpmPer8h * hours), PPM * 8n, 'ceil');
  return { fundingPaid, marginHeld: divRound(notional * mmrPpm, PPM, 'ceil') };
}
