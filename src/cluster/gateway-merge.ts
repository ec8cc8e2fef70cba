/**
 * Exact merges of the partitions' answers to the single-process views the gateway answers by
 * asking every partition (gateway-api.ts, disposition `merge` and `gather`). Each function takes
 * the partitions' bodies in partition order — every one produced by the single process's own
 * handler over that partition's engine — and returns the single process's shape:
 *
 * - money and sizes are decimal strings summed exactly as bigint at the widest scale (`sumDecimals`);
 * - counts are summed, journal positions (`seq`) summed (a progress counter: the cluster has one
 *   journal per partition), times are the latest;
 * - orders are the single process's own: the ADL queue by score (larger first), the largest
 *   liquidations by notional, and so on. Where the single process breaks a tie by the order its
 *   state happens to hold (insertion order), the cluster breaks it by partition, then that
 *   partition's order — the one difference a merge cannot avoid (docs/cluster.md).
 *
 * The cascade's later rounds are not additive (each round moves the one price every partition's
 * positions see): `cascadeAcross` runs the single process's own model over the union of the
 * partitions' positions in that market. Everything here is pure (tested without NATS).
 */
import { createHash } from 'node:crypto';
import { formatDecimal, PRICE_DECIMALS, QTY_DECIMALS } from '../core/num/index.ts';
import { cascadeDepth, cascadeRounds } from '../server/dashboard/cascade-rounds.ts';

/** A body that is not what the view's handler returns (a partition of another version). */
export class MergeError extends Error {
  override name = 'MergeError';
}

const DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;

/** `v` ("-12.5") as an integer count of 10^-scale units; `scale` at least `v`'s own. */
export function decimalUnits(v: string, scale: number): bigint {
  if (!DECIMAL.test(v)) throw new MergeError(`not a decimal: ${v}`);
  const neg = v.startsWith('-');
  const [int, frac = ''] = (neg ? v.slice(1) : v).split('.');
  if (frac.length > scale) throw new MergeError(`${v} has more than ${scale} decimals`);
  const units = BigInt(int! + frac.padEnd(scale, '0'));
  return neg ? -units : units;
}

const scaleOf = (v: string) => (v.includes('.') ? v.length - v.indexOf('.') - 1 : 0);

/** Exact sum of decimal strings ("-12.5", "3"): bigint at the widest scale, formatted as the API formats. */
export function sumDecimals(values: readonly string[]): string {
  const scale = Math.max(0, ...values.map(scaleOf));
  let total = 0n;
  for (const v of values) total += decimalUnits(v, scale);
  return formatDecimal(total, scale);
}

/** Compares two decimal strings exactly (−1, 0, 1). */
export function compareDecimals(a: string, b: string): number {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  const x = decimalUnits(a, scale);
  const y = decimalUnits(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

const sum = (xs: readonly number[]) => xs.reduce((t, x) => t + x, 0);
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// ---- GET /v1/state --------------------------------------------------------------------------

export interface PartitionState {
  seq: number;
  timeMs: number;
  stateHash: string;
}

/**
 * The cluster's position and state: `seq` the sum of the partitions' journal positions, `timeMs`
 * the latest engine time, `stateHash` a SHA-256 over every partition's (seq, hash) in partition
 * order (equal hashes: every partition in the same state), and the per-partition list.
 */
export function mergeState(parts: readonly PartitionState[]) {
  const h = createHash('sha256');
  for (const [i, p] of parts.entries()) h.update(`${i}:${p.seq}:${p.stateHash}\n`);
  return {
    seq: sum(parts.map((p) => p.seq)),
    timeMs: Math.max(...parts.map((p) => p.timeMs)),
    stateHash: h.digest('hex'),
    partitions: parts.map((p, i) => ({ partition: i, seq: p.seq, timeMs: p.timeMs, stateHash: p.stateHash })),
  };
}

// ---- GET /v1/adl-queue ----------------------------------------------------------------------

interface AdlEntry {
  rank: number | null;
  indicator: number;
  account: string;
  sub: string;
  size: string;
  unrealizedPnl: string;
  score: string | null;
}
interface AdlMarket {
  market: string;
  ranking: string;
  long: AdlEntry[];
  short: AdlEntry[];
}

/**
 * One queue per market and side across the cluster: the queued positions of every partition by
 * score (larger first, as the engine's `adlQueue` orders them), ranked again 1…n with the
 * indicator of the single process (5 − ⌊(rank − 1) × 5 / n⌋ over the cluster's n), then the
 * positions ADL would not take (rank null). Equal scores: partition order, then the partition's.
 */
export function mergeAdlQueue(parts: readonly { markets: AdlMarket[] }[]) {
  const side = (lists: AdlEntry[][]): AdlEntry[] => {
    const all = lists.flat();
    const queued = all
      .filter((e) => e.rank !== null)
      // each partition's list is already in its order; a stable sort keeps it within equal scores
      .sort((a, b) => compareDecimals(b.score!, a.score!));
    const n = queued.length;
    return [
      ...queued.map((e, i) => ({ ...e, rank: i + 1, indicator: 5 - Math.floor((i * 5) / n) })),
      ...all.filter((e) => e.rank === null),
    ];
  };
  return {
    markets: parts[0]!.markets.map((m) => {
      const same = parts.map((p) => p.markets.find((x) => x.market === m.market));
      return {
        ...m,
        long: side(same.map((x) => x?.long ?? [])),
        short: side(same.map((x) => x?.short ?? [])),
      };
    }),
  };
}

// ---- GET /v1/socialized-losses --------------------------------------------------------------

interface LossEntry {
  seq: number;
  timeMs: number | null;
  [k: string]: unknown;
}
interface LossLedger {
  entries: LossEntry[];
  ledgerTotal: string;
  fundingIndexTotal: string;
  insurance: Record<string, { inflows: Record<string, string>; outflows: Record<string, string> }>;
}

/** The coordinator's figures, in settlement-asset units (coordinator.ts `readCoordinatorLedger`). */
export interface CoordinatorFigures {
  balance: bigint;
  funded: bigint;
  fundPaid: bigint;
  /** Cross-partition ADL's clearing positions (`done` once placed or closed). */
  clearings: readonly { readonly state: string }[];
}

/** The coordinator's fund and what it paid the partitions (decimals of the settlement asset), and its cross-partition ADL still open. */
export function coordinatorView(c: CoordinatorFigures, settlementDecimals: number) {
  const q = (v: bigint) => formatDecimal(v, settlementDecimals);
  return {
    fundBalance: q(c.balance),
    funded: q(c.funded),
    paidFromFund: q(c.fundPaid),
    adlClearingsOpen: c.clearings.filter((x) => x.state !== 'done').length,
  };
}

/**
 * Every partition's socialized losses (each entry names its `partition`; its `seq` is that
 * partition's journal position), in engine-time order (ties: partition, then seq); totals and
 * insurance flows summed per asset and reason. A partition's write-off is then covered by the
 * coordinator as far as its fund (and cross-partition ADL) reach: `coordinator`, when given.
 */
export function mergeLossLedgers(
  parts: readonly LossLedger[],
  coordinator?: ReturnType<typeof coordinatorView>,
) {
  const entries = parts
    .flatMap((p, partition) => p.entries.map((e) => ({ ...e, partition })))
    .sort((a, b) => (a.timeMs ?? 0) - (b.timeMs ?? 0) || a.partition - b.partition || a.seq - b.seq);
  const insurance: LossLedger['insurance'] = {};
  const assets = [...new Set(parts.flatMap((p) => Object.keys(p.insurance)))].sort(byText);
  for (const asset of assets) {
    const flows = (dir: 'inflows' | 'outflows') => {
      const reasons = [...new Set(parts.flatMap((p) => Object.keys(p.insurance[asset]?.[dir] ?? {})))].sort(
        byText,
      );
      return Object.fromEntries(
        reasons.map((r) => [r, sumDecimals(parts.map((p) => p.insurance[asset]?.[dir][r] ?? '0'))]),
      );
    };
    insurance[asset] = { inflows: flows('inflows'), outflows: flows('outflows') };
  }
  return {
    entries,
    ledgerTotal: sumDecimals(parts.map((p) => p.ledgerTotal)),
    fundingIndexTotal: sumDecimals(parts.map((p) => p.fundingIndexTotal)),
    insurance,
    ...(coordinator ? { coordinator } : {}),
  };
}

// ---- GET /v1/risk/liquidation-map -----------------------------------------------------------

interface MapLevel {
  k: number;
  from: string;
  to: string;
  positions: number;
  longNotional: string;
  shortNotional: string;
  longSize: string;
  shortSize: string;
  cumulativeNotional: string;
}
interface MapMarket {
  symbol: string;
  markPrice: string;
  liquidatableNow: { positions: number; notional: string };
  beyondRange: string;
  withoutLiquidationPrice: number;
  multiPositionScopes: number;
  levels: MapLevel[];
}
interface LiquidationMap {
  seq: number;
  timeMs: number;
  settlementAsset: string;
  stepPct: number;
  markets: MapMarket[];
}

/**
 * The bands are additive: the same mark and band edges in every partition (marks come from the
 * broadcast stream), each position in exactly one partition; so each band's notional, size and
 * count is the sum over partitions, and the cumulative notional (a running sum from the mark) the
 * sum of the partitions' running sums.
 */
export function mergeLiquidationMaps(parts: readonly LiquidationMap[]) {
  const first = parts[0]!;
  return {
    ...first,
    seq: sum(parts.map((p) => p.seq)),
    timeMs: Math.max(...parts.map((p) => p.timeMs)),
    markets: first.markets.map((m) => {
      const same = parts.map((p) => {
        const x = p.markets.find((y) => y.symbol === m.symbol);
        if (!x || x.markPrice !== m.markPrice || x.levels.length !== m.levels.length)
          throw new MergeError(`partitions disagree on ${m.symbol}'s mark or bands`);
        return x;
      });
      const total = (f: (x: MapMarket) => string) => sumDecimals(same.map(f));
      return {
        ...m,
        liquidatableNow: {
          positions: sum(same.map((x) => x.liquidatableNow.positions)),
          notional: total((x) => x.liquidatableNow.notional),
        },
        beyondRange: total((x) => x.beyondRange),
        withoutLiquidationPrice: sum(same.map((x) => x.withoutLiquidationPrice)),
        multiPositionScopes: sum(same.map((x) => x.multiPositionScopes)),
        levels: m.levels.map((l, i) => {
          const ls = same.map((x) => x.levels[i]!);
          const t = (f: (x: MapLevel) => string) => sumDecimals(ls.map(f));
          return {
            ...l,
            positions: sum(ls.map((x) => x.positions)),
            longNotional: t((x) => x.longNotional),
            shortNotional: t((x) => x.shortNotional),
            longSize: t((x) => x.longSize),
            shortSize: t((x) => x.shortSize),
            cumulativeNotional: t((x) => x.cumulativeNotional),
          };
        }),
      };
    }),
  };
}

// ---- GET /v1/risk/cascade -------------------------------------------------------------------

interface Largest {
  notional: string;
  [k: string]: unknown;
}
interface Cascade {
  seq: number;
  symbol: string;
  movePct: number;
  markPrice: string;
  targetPrice: string;
  settlementAsset: string;
  firstRound: {
    positions: number;
    scopes: number;
    alreadyLiquidatable: number;
    sellSize: string;
    buySize: string;
    notionalAtLiquidationPrices: string;
    largest: Largest[];
  };
  depthModel: { openInterest: string; basis: string; [k: string]: unknown };
}

/** One position of the market with a liquidation price, as the partitions' at-risk scopes list it. */
export interface CascadeRow {
  /** account/sub|scope: the margin scope (distinct across partitions: accounts are). */
  readonly scope: string;
  readonly side: 'long' | 'short';
  readonly sizeQty9: bigint;
  readonly liqPx8: bigint;
}

interface AtRiskScope {
  account: string;
  sub: string;
  scope: string;
  positions: { symbol: string; side: 'long' | 'short'; size: string; liquidationPrice: string | null }[];
}

/** The positions of `symbol` with a liquidation price, from a partition's at-risk scopes. */
export function cascadeRows(scopes: readonly AtRiskScope[], symbol: string): CascadeRow[] {
  return scopes.flatMap((s) =>
    s.positions
      .filter((p) => p.symbol === symbol && p.liquidationPrice !== null)
      .map((p) => ({
        scope: `${s.account}/${s.sub}|${s.scope}`,
        side: p.side,
        sizeQty9: decimalUnits(p.size, QTY_DECIMALS),
        liqPx8: decimalUnits(p.liquidationPrice!, PRICE_DECIMALS),
      })),
  );
}

/**
 * The cascade over the cluster: the first round is additive (every figure summed, the largest
 * twenty by notional taken from the partitions' own twenty); the rounds after it run the single
 * process's model (cascade-preview.ts) on the union of the partitions' positions in the market,
 * with the default depth from the cluster's open interest, and their exact figures are summed
 * here as the single process sums them.
 */
export function cascadeAcross(
  parts: readonly Cascade[],
  rows: readonly CascadeRow[],
  query: Record<string, string>,
  settlementDecimals: number,
) {
  const first = parts[0]!;
  for (const p of parts)
    if (p.markPrice !== first.markPrice || p.targetPrice !== first.targetPrice)
      throw new MergeError(`partitions disagree on ${first.symbol}'s mark`);
  const qd = settlementDecimals;
  const qty = (v: bigint) => formatDecimal(v, QTY_DECIMALS);
  const f = parts.map((p) => p.firstRound);
  const total = (g: (x: Cascade['firstRound']) => string) => sumDecimals(f.map(g));
  const largest = f
    .flatMap((x) => x.largest)
    .sort((a, b) => compareDecimals(b.notional, a.notional))
    .slice(0, 20);

  const oiQty9 = parts.reduce((t, p) => t + decimalUnits(p.depthModel.openInterest, QTY_DECIMALS), 0n);
  const depth = cascadeDepth(
    oiQty9,
    query.depthPerPct === undefined ? undefined : Number(query.depthPerPct),
    query.depthExponent === undefined ? undefined : Number(query.depthExponent),
  );
  const mark = decimalUnits(first.markPrice, PRICE_DECIMALS);
  const target = decimalUnits(first.targetPrice, PRICE_DECIMALS);
  return {
    ...first,
    seq: sum(parts.map((p) => p.seq)),
    firstRound: {
      positions: sum(f.map((x) => x.positions)),
      scopes: sum(f.map((x) => x.scopes)),
      alreadyLiquidatable: sum(f.map((x) => x.alreadyLiquidatable)),
      sellSize: total((x) => x.sellSize),
      buySize: total((x) => x.buySize),
      notionalAtLiquidationPrices: total((x) => x.notionalAtLiquidationPrices),
      largest,
    },
    afterCascade: cascadeRounds(rows, (r) => r.scope, mark, target, depth, qd),
    depthModel: { ...first.depthModel, ...depth, openInterest: qty(oiQty9) },
  };
}

// ---- GET /v1/dashboard/overview -------------------------------------------------------------

interface OverviewMarket {
  symbol: string;
  openInterest: string;
  positionsNotional: string;
  initialMargin: string;
  imOverNotional: number | null;
  [k: string]: unknown;
}
interface Sample {
  t: number;
  seq: number;
  insurance: Record<string, number>;
  insuranceValue: number;
  socializedLoss: number;
  markets: Record<string, { mark: number | null; index: number | null; openInterest: number }>;
}
interface Minute {
  t: number;
  counts: Record<string, number>;
  notional: number;
}
interface Overview {
  seq: number;
  timeMs: number;
  riskSeq: number;
  settlementAsset: string;
  insuranceFund: { balances: Record<string, string>; socializedLossTotal: string; settlementAsset: string };
  markets: OverviewMarket[];
  liquidationTotals: Record<string, number>;
  history: { samples: Sample[]; minutes: Minute[] };
}

/** The partitions' insurance funds: balances per asset and the written-off total, summed. */
export function mergeInsurance(parts: readonly Overview['insuranceFund'][]): Overview['insuranceFund'] {
  const assets = [...new Set(parts.flatMap((p) => Object.keys(p.balances)))].sort(byText);
  return {
    balances: Object.fromEntries(assets.map((a) => [a, sumDecimals(parts.map((p) => p.balances[a] ?? '0'))])),
    socializedLossTotal: sumDecimals(parts.map((p) => p.socializedLossTotal)),
    settlementAsset: parts[0]!.settlementAsset,
  };
}

/**
 * The history for charts (float64 whole units, sampled in each partition at its own moments):
 * one sample at every moment any partition sampled, each partition contributing its latest
 * sample at or before it (a partition that has not sampled yet contributes nothing); amounts and
 * open interest summed, marks and index from the latest sample (they come from the broadcast
 * stream). Liquidation counts and notional per minute summed.
 */
export function mergeHistory(parts: readonly Overview['history'][]): Overview['history'] {
  const times = [...new Set(parts.flatMap((p) => p.samples.map((s) => s.t)))].sort((a, b) => a - b);
  const at = parts.map(() => -1);
  const samples: Sample[] = times.map((t) => {
    const latest: Sample[] = [];
    parts.forEach((p, i) => {
      while (at[i]! + 1 < p.samples.length && p.samples[at[i]! + 1]!.t <= t) at[i]!++;
      if (at[i]! >= 0) latest.push(p.samples[at[i]!]!);
    });
    const newest = latest.reduce((a, b) => (b.t > a.t ? b : a));
    const insurance: Record<string, number> = {};
    for (const s of latest)
      for (const [a, v] of Object.entries(s.insurance)) insurance[a] = (insurance[a] ?? 0) + v;
    const markets: Sample['markets'] = {};
    for (const [m, x] of Object.entries(newest.markets))
      markets[m] = { ...x, openInterest: sum(latest.map((s) => s.markets[m]?.openInterest ?? 0)) };
    return {
      t,
      seq: sum(latest.map((s) => s.seq)),
      insurance,
      insuranceValue: sum(latest.map((s) => s.insuranceValue)),
      socializedLoss: sum(latest.map((s) => s.socializedLoss)),
      markets,
    };
  });
  const minutes = new Map<number, Minute>();
  for (const p of parts)
    for (const m of p.minutes) {
      const b = minutes.get(m.t);
      if (!b) {
        minutes.set(m.t, { t: m.t, counts: { ...m.counts }, notional: m.notional });
        continue;
      }
      for (const [k, v] of Object.entries(m.counts)) b.counts[k] = (b.counts[k] ?? 0) + v;
      b.notional += m.notional;
    }
  return { samples, minutes: [...minutes.values()].sort((a, b) => a.t - b.t) };
}

/**
 * The risk console's overview over the cluster: partition 0's market views (marks, index,
 * oracle, safe mode: the broadcast stream's, the same everywhere) with open interest, position
 * notional and initial margin summed exactly and IM over notional recomputed from the sums as the
 * single process computes it; the insurance funds summed; the coordinator's fund when given.
 */
export function mergeOverviews(
  parts: readonly Overview[],
  settlementDecimals: number,
  coordinator?: ReturnType<typeof coordinatorView>,
  /** Per market, the ADL clearing account's long size (qty9): out of open interest, reported beside it. */
  clearing: ReadonlyMap<string, bigint> = new Map(),
) {
  const first = parts[0]!;
  const qd = settlementDecimals;
  const totals: Record<string, number> = {};
  for (const p of parts)
    for (const [k, v] of Object.entries(p.liquidationTotals)) totals[k] = (totals[k] ?? 0) + v;
  return {
    ...first,
    seq: sum(parts.map((p) => p.seq)),
    timeMs: Math.max(...parts.map((p) => p.timeMs)),
    riskSeq: sum(parts.map((p) => p.riskSeq)),
    // where the merged event stream (/v1/events?since=) resumes from: one position per partition
    cursor: parts.map((p) => p.seq).join(','),
    insuranceFund: mergeInsurance(parts.map((p) => p.insuranceFund)),
    markets: first.markets.map((m) => {
      const same = parts.map((p) => p.markets.find((x) => x.symbol === m.symbol));
      const units = (f: (x: OverviewMarket) => string, scale: number) =>
        same.reduce((t, x) => t + (x ? decimalUnits(f(x), scale) : 0n), 0n);
      const notional = units((x) => x.positionsNotional, qd);
      const im = units((x) => x.initialMargin, qd);
      return {
        ...m,
        openInterest: formatDecimal(
          units((x) => x.openInterest, QTY_DECIMALS) - (clearing.get(m.symbol) ?? 0n),
          QTY_DECIMALS,
        ),
        // the single process has no clearing account: the field is there only when it holds some
        ...(clearing.has(m.symbol)
          ? { clearingOpenInterest: formatDecimal(clearing.get(m.symbol)!, QTY_DECIMALS) }
          : {}),
        positionsNotional: formatDecimal(notional, qd),
        initialMargin: formatDecimal(im, qd),
        imOverNotional: notional === 0n ? null : Number(im) / Number(notional),
      };
    }),
    liquidationTotals: totals,
    history: mergeHistory(parts.map((p) => p.history)),
    ...(coordinator ? { coordinator } : {}),
  };
}
