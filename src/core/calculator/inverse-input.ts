/**
 * The calculator's view of an inverse (coin-margined) position for the venue's closed form: the
 * exact inputs of InversePositionInput (contracts, contract value, the harmonic entry price, the
 * scope's coin amounts) and the explanation that instantiates the formula with them. The linear
 * counterpart lives in liquidation-price.ts; this module keeps the inverse branch in one place.
 */
import type { ScopeFigures } from '../account/figures.ts';
import type { ReadonlyEngineState } from '../model/state.ts';
import { abs, formatDecimal, PRICE_DECIMALS, QTY_DECIMALS } from '../num/index.ts';
import { type Rational, rat, ratScaled, toScaled } from '../presets/rational.ts';
import type { InversePositionInput, LadderStep, VenuePreset } from '../presets/types.ts';

export interface InverseInput {
  readonly input: InversePositionInput;
  readonly onEntry: boolean;
}

/** The closed form's inputs for `target` in a scope (null when the scope holds no such position). */
export function inverseInput(
  state: ReadonlyEngineState,
  f: ScopeFigures,
  target: string,
  ladder: readonly LadderStep[],
): InverseInput | null {
  const qd = state.settlement.decimals;
  const pf = f.positions.find((p) => p.market === target);
  const cfg = state.markets.get(target)!.config;
  if (!pf || cfg.contractValue === undefined || pf.entryValue === 0n) return null;
  let otherMm = 0n;
  let otherPnl = 0n;
  for (const p of f.positions) {
    if (p.market === target) continue;
    otherMm += p.maintenanceQuote;
    otherPnl += p.unrealizedPnlQuote;
  }
  const contracts = abs(pf.size);
  const cv = cfg.contractValue;
  // harmonic entry = contracts·cv / |entry value|, exactly
  const entryPrice = rat(
    contracts * cv * 10n ** BigInt(qd),
    abs(pf.entryValue) * 10n ** BigInt(QTY_DECIMALS + PRICE_DECIMALS),
  );
  return {
    input: {
      side: pf.size > 0n ? 1 : -1,
      contracts: ratScaled(contracts, QTY_DECIMALS),
      contractValue: ratScaled(cv, PRICE_DECIMALS),
      entryPrice,
      markPrice: ratScaled(pf.markPx8, PRICE_DECIMALS),
      walletBalance: ratScaled(f.collateralMaintenanceQuote, qd),
      otherMaintenance: ratScaled(otherMm, qd),
      otherUnrealizedPnl: ratScaled(otherPnl, qd),
      ladder,
    },
    onEntry: cfg.requirementOn === 'entry',
  };
}

function fmt(r: Rational, places = 8): string {
  return formatDecimal(toScaled(r, places, 'halfEven'), places);
}

/** The venue's formula and the inverse root with this account's numbers. */
export function explainInverse(
  preset: VenuePreset,
  inv: InverseInput | null,
  lpPx8: bigint | null,
  closed: boolean,
): string {
  const lines = [preset.formula];
  if (closed) return [...lines, 'The position is closed: no liquidation price.'].join('\n');
  if (!inv || lpPx8 === null) {
    lines.push(
      'No price in (0, 1e12] makes equity fall below MM: no liquidation price (an inverse short covered by its coin collateral is never liquidated).',
    );
    return lines.join('\n');
  }
  const i = inv.input;
  const side = i.side === 1 ? '1' : '-1';
  const usd = `${fmt(i.contracts, 0)}·${fmt(i.contractValue, 2)}`;
  lines.push(
    inv.onEntry
      ? `Inverse root of equity = MM with MM on the entry value (requirementOn: entry; the engine's trigger): ` +
          `LP = n·cv / (side·(WB − TMM₁ + UPNL₁ − MM) + n·cv/EP), n·cv = ${usd} USD, EP = ${fmt(i.entryPrice)} (harmonic), ` +
          `WB = ${fmt(i.walletBalance)}, side = ${side} ≈ ${formatDecimal(lpPx8, PRICE_DECIMALS)} (engine, exact to 1e-8 on the conservative side).`
      : `Inverse root of equity = MM on the mark notional n·cv/P (the engine's trigger): ` +
          `LP = n·cv·(MMR + side) / (WB − TMM₁ + UPNL₁ + cum + side·n·cv/EP), n·cv = ${usd} USD, EP = ${fmt(i.entryPrice)} (harmonic), ` +
          `WB = ${fmt(i.walletBalance)}, side = ${side} ≈ ${formatDecimal(lpPx8, PRICE_DECIMALS)} (engine, exact to 1e-8 on the conservative side).`,
  );
  return lines.join('\n');
}
