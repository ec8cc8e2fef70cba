/**
 * Netting across venues: what one cross-margined clearing house would require for the same
 * positions, against what the venues require separately.
 *
 * Three requirements, each IM and MM in micro-USD (each venue's figure rounded up):
 *   1. venues — the sum of every venue's own requirement on its own preset (what the trader
 *      posts today);
 *   2. separate — the same books, one account per venue, all on one netting preset (so the
 *      venues' different rate tables drop out of the comparison);
 *   3. netted — one account on the netting preset holding the net position per base asset
 *      (a BTC long on one venue and a BTC short on another cancel).
 * Capital freed by netting = separate − netted (the netting effect alone); against the venues,
 * venues − netted (netting plus the preset difference). Requirements are taken at the marks
 * (each position re-entered at its venue's mark; a base asset held on several venues is valued
 * at the size-weighted mark), so unrealized PnL does not enter; a base asset the netting preset
 * does not list is refused with its name.
 */
import { crossView, evaluate } from '../core/account/figures.ts';
import type { CalculatorPosition } from '../core/calculator/liquidation-price.ts';
import { liquidationPriceDetailed } from '../core/calculator/liquidation-price.ts';
import {
  abs,
  divRound,
  formatDecimal,
  PRICE_DECIMALS,
  parseDecimalUnsafe,
  QTY_DECIMALS,
  rescale,
} from '../core/num/index.ts';
import { portfolioMargin, portfolioPreset } from '../core/portfolio/index.ts';
import { getPreset, type VenuePreset } from '../core/presets/index.ts';
import { USD_DECIMALS } from './transfer-plan.ts';
import { ClearingInputError, type VenueBook } from './venue-export.ts';
import type { VenueRisk } from './venue-risk.ts';

export interface Requirement {
  /** usd6 */
  readonly initialMargin: bigint;
  readonly maintenanceMargin: bigint;
}

export interface NettingResult {
  readonly netPreset: string;
  readonly venues: Requirement;
  readonly separate: Requirement;
  readonly netted: Requirement;
  /** Net size per base asset (signed, base units). */
  readonly netPositions: Readonly<Record<string, string>>;
  /** separate − netted (usd6). */
  readonly freedByNetting: Requirement;
  /** venues − netted (usd6). */
  readonly freedVersusVenues: Requirement;
  /**
   * Every position in one portfolio-margin account on the scenario grid of the portfolio library
   * (crypto-pm: Deribit's ±16 % grid with its extended moves), which nets across the venues by
   * itself; a float64 screening figure from the library, rounded up to the micro-dollar.
   */
  readonly portfolioGrid: Requirement & { readonly grid: string };
}

interface Leg {
  readonly base: string;
  /** Signed size, qty9. */
  readonly size: bigint;
  readonly markPx8: bigint;
}

function requirementOf(preset: VenuePreset, legs: readonly Leg[]): Requirement {
  const live = legs.filter((l) => l.size !== 0n);
  if (live.length === 0) return { initialMargin: 0n, maintenanceMargin: 0n };
  const cfg = preset.config();
  const byBase = new Map((cfg.markets ?? []).map((m) => [m.base, m.id]));
  const qd = cfg.assets?.find((a) => a.id === cfg.settlementAsset)?.decimals ?? 6;
  const marks: Record<string, string> = {};
  let notional = 0n;
  const positions: CalculatorPosition[] = live.map((l) => {
    const market = byBase.get(l.base);
    if (market === undefined)
      throw new ClearingInputError(
        'UNKNOWN_MARKET',
        `netting: preset ${preset.id} has no ${l.base} perpetual; choose another netting preset`,
      );
    const px = formatDecimal(l.markPx8, PRICE_DECIMALS);
    marks[market] = px;
    notional += (abs(l.size) * l.markPx8) / 10n ** BigInt(QTY_DECIMALS + PRICE_DECIMALS);
    return { market, size: formatDecimal(l.size, QTY_DECIMALS), entryPrice: px };
  });
  // Requirements do not depend on the balance; a generous one lets the scenario open the book.
  const d = liquidationPriceDetailed({
    preset,
    walletBalance: String(notional * 2n + 1n),
    positions,
    marks,
  });
  const f = evaluate(d.state, crossView(d.view!.sub));
  return {
    initialMargin: rescale(f.initialMarginQuote, qd, USD_DECIMALS, 'ceil'),
    maintenanceMargin: rescale(f.maintenanceMarginQuote, qd, USD_DECIMALS, 'ceil'),
  };
}

const sum = (rs: readonly Requirement[]): Requirement => ({
  initialMargin: rs.reduce((s, r) => s + r.initialMargin, 0n),
  maintenanceMargin: rs.reduce((s, r) => s + r.maintenanceMargin, 0n),
});
const minus = (a: Requirement, b: Requirement): Requirement => ({
  initialMargin: a.initialMargin - b.initialMargin,
  maintenanceMargin: a.maintenanceMargin - b.maintenanceMargin,
});

/** The three requirements and the capital netting frees (module header). */
export function netting(
  books: readonly VenueBook[],
  risks: readonly VenueRisk[],
  netPresetId: string,
): NettingResult {
  const preset = getPreset(netPresetId);
  if (preset?.kind !== 'perpetuals')
    throw new ClearingInputError(
      'UNKNOWN_VENUE',
      `netting preset ${JSON.stringify(netPresetId)}: not a perpetuals preset`,
    );
  const legsOf = (b: VenueBook): Leg[] =>
    b.positions.map((p) => {
      const size = parseDecimalUnsafe(p.size, QTY_DECIMALS);
      return {
        base: b.baseOf[p.market] ?? p.market,
        size: p.side === 'short' ? -size : size,
        markPx8: parseDecimalUnsafe(b.marks[p.market] ?? p.entryPrice, PRICE_DECIMALS),
      };
    });
  const venues = sum(
    risks.map((r) => ({
      initialMargin: r.positions.reduce(
        (s, p) =>
          s +
          rescale(
            parseDecimalUnsafe(p.initialMargin, r.settlementDecimals),
            r.settlementDecimals,
            USD_DECIMALS,
            'ceil',
          ),
        0n,
      ),
      maintenanceMargin: r.positions.reduce(
        (s, p) =>
          s +
          rescale(
            parseDecimalUnsafe(p.maintenanceMargin, r.settlementDecimals),
            r.settlementDecimals,
            USD_DECIMALS,
            'ceil',
          ),
        0n,
      ),
    })),
  );
  const separate = sum(books.map((b) => requirementOf(preset, legsOf(b))));
  const net = new Map<string, { size: bigint; weight: bigint; value: bigint }>();
  for (const leg of books.flatMap(legsOf)) {
    const cur = net.get(leg.base) ?? { size: 0n, weight: 0n, value: 0n };
    net.set(leg.base, {
      size: cur.size + leg.size,
      weight: cur.weight + abs(leg.size),
      value: cur.value + abs(leg.size) * leg.markPx8,
    });
  }
  const netLegs: Leg[] = [...net].map(([base, v]) => ({
    base,
    size: v.size,
    markPx8: v.weight === 0n ? 0n : divRound(v.value, v.weight, 'halfEven'),
  }));
  const netted = requirementOf(preset, netLegs);
  const portfolioGrid = gridRequirement(books.flatMap(legsOf));
  return {
    netPreset: preset.id,
    venues,
    separate,
    netted,
    netPositions: Object.fromEntries(netLegs.map((l) => [l.base, formatDecimal(l.size, QTY_DECIMALS)])),
    freedByNetting: minus(separate, netted),
    freedVersusVenues: minus(venues, netted),
    portfolioGrid,
  };
}

/** The portfolio library's crypto-pm grid over every leg (NettingResult.portfolioGrid). */
function gridRequirement(legs: readonly Leg[]): Requirement & { grid: string } {
  const grid = 'crypto-pm';
  const live = legs.filter((l) => l.size !== 0n);
  if (live.length === 0) return { grid, initialMargin: 0n, maintenanceMargin: 0n };
  const spot = new Map<string, number>();
  for (const l of live) if (!spot.has(l.base)) spot.set(l.base, Number(l.markPx8) / 1e8);
  const r = portfolioMargin(
    {
      collateral: 0,
      positions: live.map((l) => ({
        type: 'perpetual' as const,
        underlying: l.base,
        size: Number(l.size) / 1e9,
        entryPrice: Number(l.markPx8) / 1e8,
      })),
    },
    {
      nowMs: 1,
      rate: 0,
      // Perpetuals carry no vega: the grid's volatility does not change their scenario losses.
      underlyings: Object.fromEntries(
        [...spot].map(([b, s]) => [b, { spot: s, basisRate: 0, vol: { kind: 'flat' as const, vol: 0.8 } }]),
      ),
    },
    portfolioPreset(grid),
  );
  const up = (x: number) => BigInt(Math.ceil(x * 10 ** USD_DECIMALS));
  return { grid, initialMargin: up(r.initialMargin), maintenanceMargin: up(r.maintenanceMargin) };
}
