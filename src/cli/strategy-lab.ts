/**
 * The strategy lab: each margin-management strategy against doing nothing, on real crash windows
 * and seeded synthetic paths, many seeds, paired over the same seeds.
 *
 * It lives under cli because it needs the crash windows and the random source of the simulator
 * and the strategies of the trader, two peer layers that may not import each other.
 *
 * The account (one per policy and seed, money exact: USD at 6 decimals, sizes qty9, prices px8).
 * A USD-margined multi-asset account holds coin collateral — ETH worth N/L, L the leverage drawn
 * per seed — and a long BTC perpetual of notional N opened at the window's first price. The venue
 * counts BTC and ETH collateral at (1 − haircut), charges maintenance margin mmr × Σ|notional| and
 * liquidates when the margin value (USD balance + haircut coins + unrealised PnL) falls below it:
 * every perpetual is closed through the order-book depth model (analytics/liquidity: the day's
 * real BTCUSDT depth snapshots on 2025-10-10, the parametric book elsewhere), and a
 * liquidation penalty of `liqPenalty` × notional is charged. The BTC marks are the window's
 * 1-minute klines (four points a bar) or a seeded synthetic path; the ETH price follows the BTC
 * log return with the β and residual variance of the bundled Binance daily closes (BTC and ETH,
 * 2017-08-17 → 2020-12-30), the residual drawn from the seed (no intraday ETH series is bundled).
 *
 * Policies, each on its own copy of the account and its own books:
 *   nothing      — never acts;
 *   band         — band rebalancer: top up from a reserve when MM/equity ≥ 10 %, back to 4 %
 *                  (reduce the position if the reserve falls short), cool-down 5 min;
 *   guard        — probability guard: act when P(liquidated within 1 day) > 1 % (σ 80 %/year);
 *   diversify    — collateral diversification: every hour re-choose the BTC/ETH/USD mix that
 *                  minimises P(liquidated within 1 day) (covariance of the daily closes, haircuts,
 *                  switching cost), USD at most `maxStable` of the collateral;
 *   hedge        — hedged collateral: a short ETH perpetual of (1 − haircut) × the ETH held, kept
 *                  within a 10 % band, paying fees, slippage and funding.
 * The band and guard hold a reserve of `reserveShare` × the collateral value outside the account,
 * charged at `idleRate` a year for the window's length (capital held idle). Every policy is a
 * `Strategy` driven through `decide`: it sees the account as one perpetuals observation (the BTC
 * long, plus the collateral block: BTC, ETH and positive USD holdings, and the ETH hedge), and its
 * actions are carried out on the account (`execute`).
 *
 * Measured per policy and seed: liquidated or not, penalty, slippage of the liquidation, the
 * liquidation loss (penalty + slippage), and the cost of the technique (trading fees, slippage
 * of its own trades through the depth model, hedge funding, idle capital). The net result is
 * (liquidation loss of doing nothing − liquidation loss of the policy) − cost, paired over the
 * same seed. Directional P&L (what the market did to the position) is not part of it: a strategy
 * is credited for losses it avoided, not for a view on the price.
 */
import {
  BookModel,
  bandedDepthSource,
  type DepthSnapshot,
  NO_GAP,
  NO_THINNING,
  parametricDepthSource,
  readBookDepthSnapshots,
  repairPhantomBids,
} from '../analytics/liquidity/depth-model.ts';
import { divRound, min, PPM } from '../core/num/index.ts';
import { crashWindow, DATA_DIR, loadCrashKlines } from '../sim/data/crashes.ts';
import { klinePoints, px8Of } from '../sim/lab/cascade/path.ts';
import { BOOK_DEPTH_FILE, PARAMETRIC_DEPTH } from '../sim/lab/compare.ts';
import { Rng } from '../sim/rng.ts';
import { readCddCloses, VOL_DATA_DIR } from '../sim/volatility/data.ts';
import { BandRebalancer } from '../trader/strategies/band-rebalancer.ts';
import { CollateralDiversifier, covarianceFromCloses } from '../trader/strategies/diversification.ts';
import { CollateralHedger } from '../trader/strategies/hedged-collateral.ts';
import { ProbabilityGuard } from '../trader/strategies/probability-guard.ts';
import type { Action, PerpObservation, Strategy } from '../trader/strategies/strategy.ts';

export const LAB_POLICIES = ['nothing', 'band', 'guard', 'diversify', 'hedge'] as const;
export type LabPolicy = (typeof LAB_POLICIES)[number];
export const LAB_SCENARIOS = ['2025-10-10', '2020-03-12', '2021-05-19', 'synthetic'] as const;

export interface LabOptions {
  /** Notional of the long BTC perpetual, USD. */
  readonly notionalUsd: number;
  /** Leverage N / collateral value, drawn uniformly per seed. */
  readonly leverage: readonly [number, number];
  readonly mmrPpm: bigint;
  readonly liqPenaltyPpm: bigint;
  readonly takerFeePpm: bigint;
  readonly spotFeePpm: bigint;
  readonly haircutPpm: bigint;
  /** Funding per 8 h, ppm (positive: longs pay shorts). */
  readonly fundingPpmPer8h: bigint;
  readonly reserveShare: number;
  readonly idleRatePerYear: number;
  readonly maxStable: number;
  /** ETH price at the start, as a fraction of BTC's (only ratios matter). */
  readonly ethPerBtc: number;
}

export const DEFAULT_LAB: LabOptions = {
  notionalUsd: 1_000_000,
  leverage: [2, 6],
  mmrPpm: 5_000n,
  liqPenaltyPpm: 10_000n,
  takerFeePpm: 500n,
  spotFeePpm: 1_000n,
  haircutPpm: 50_000n,
  fundingPpmPer8h: 100n,
  reserveShare: 0.5,
  idleRatePerYear: 0.05,
  maxStable: 0.5,
  ethPerBtc: 1 / 30,
};

const U = 1_000_000n; // 1 USD
const P8 = 100_000_000n;
/** qty9 × px8 ÷ 1e11 = USD at 6 decimals. */
const USD_PER_QP = 1_000n * P8;
const MIN_PER_YEAR = 525_600;

const usd = (q: bigint, px: bigint, r: 'floor' | 'ceil' = 'floor') => divRound(q * px, USD_PER_QP, r);
const toNum = (x: bigint) => Number(x) / 1e6;
const px8 = (x: number) => BigInt(Math.round(x * 1e8));

/** β of ETH on BTC and the residual variance (per year) from the bundled daily closes. */
export interface CoMovement {
  readonly covariance: number[][];
  readonly beta: number;
  readonly residualVarPerYear: number;
  readonly source: string;
}

let cachedCo: CoMovement | undefined;
export function btcEthCoMovement(): CoMovement {
  if (cachedCo) return cachedCo;
  const btc = readCddCloses(`${VOL_DATA_DIR}Binance_BTCUSDT_d.csv`, 86_400);
  const eth = readCddCloses(`${VOL_DATA_DIR}Binance_ETHUSDT_d.csv`, 86_400);
  const from = Math.max(btc.timeSec[0]!, eth.timeSec[0]!);
  const to = Math.min(btc.timeSec[btc.timeSec.length - 1]!, eth.timeSec[eth.timeSec.length - 1]!);
  const slice = (s: typeof btc) => {
    const i0 = (from - s.timeSec[0]!) / 86_400;
    return Array.from(s.close.subarray(i0, i0 + (to - from) / 86_400 + 1));
  };
  const cov = covarianceFromCloses([slice(btc), slice(eth)], 365);
  const beta = cov[0]![1]! / cov[0]![0]!;
  const day = (s: number) => new Date(s * 1000).toISOString().slice(0, 10);
  cachedCo = {
    covariance: cov,
    beta,
    residualVarPerYear: cov[1]![1]! - beta * beta * cov[0]![0]!,
    source: `data/Binance_BTCUSDT_d.csv + data/Binance_ETHUSDT_d.csv, daily closes ${day(from)} → ${day(to)}`,
  };
  return cachedCo;
}

/** A BTC mark path: times and px8. */
export interface LabPath {
  readonly timesMs: number[];
  readonly btc: bigint[];
  /** Fill through the day's real order-book depth snapshots (2025-10-10) instead of the parametric book. */
  readonly realDepth?: boolean;
}

let cachedSnapshots: DepthSnapshot[] | undefined;
/** The bundled BTCUSDT depth snapshots of 2025-10-10, phantom bids repaired (as the risk lab reads them). */
function realSnapshots(): DepthSnapshot[] {
  cachedSnapshots ??= repairPhantomBids(readBookDepthSnapshots(DATA_DIR + BOOK_DEPTH_FILE)).snapshots;
  return cachedSnapshots;
}

/** The BTC and ETH books of a run (module header); the ETH book half as deep in USD. */
function books(path: LabPath, ethRatio: number): [BookModel, BookModel] {
  if (path.realDepth === true) {
    const src = bandedDepthSource(realSnapshots());
    // Real snapshots already show the thinning of the day: no modelled thinning or gap on top.
    const o = { thinning: NO_THINNING, gap: NO_GAP };
    return [new BookModel(src, o), new BookModel(src, { ...o, depthScale: ethRatio * DEPTH_ETH_SCALE })];
  }
  return [
    new BookModel(parametricDepthSource(PARAMETRIC_DEPTH)),
    new BookModel(parametricDepthSource(PARAMETRIC_DEPTH), { depthScale: ethRatio * DEPTH_ETH_SCALE }),
  ];
}

/** The window's 1-minute klines as four points a bar. */
export function crashPath(id: string): LabPath {
  const pts = klinePoints(loadCrashKlines(id));
  return {
    timesMs: pts.map((p) => p.timeMs),
    btc: pts.map((p) => px8Of(p.price)),
    realDepth: id === '2025-10-10',
  };
}

/** Box–Muller standard normal from the seeded source. */
function normal(rng: Rng): number {
  const u = Math.max(rng.next(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * A synthetic day: 1,440 one-minute points from 60,000, a GBM at 80 % a year plus a crash of
 * 10–35 % spread over 30–120 minutes at a random time (all drawn from the seed).
 */
export function syntheticPath(seed: number): LabPath {
  const rng = new Rng(seed * 7919 + 1);
  const n = 1440;
  const sd = 0.8 / Math.sqrt(MIN_PER_YEAR);
  const depth = rng.uniform(0.1, 0.35);
  const len = Math.floor(rng.uniform(30, 120));
  const at = Math.floor(rng.uniform(60, n - len - 60));
  const perMin = Math.log(1 - depth) / len;
  let x = 60_000;
  const btc: bigint[] = [];
  const timesMs: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) x *= Math.exp(-0.5 * sd * sd + sd * normal(rng) + (i >= at && i < at + len ? perMin : 0));
    btc.push(px8(x));
    timesMs.push(i * 60_000);
  }
  return { timesMs, btc };
}

/** ETH marks following BTC with β and a seeded residual (module header). */
function ethPath(path: LabPath, co: CoMovement, seed: number, ethPerBtc: number): bigint[] {
  const rng = new Rng(seed * 104_729 + 17);
  const out: bigint[] = [];
  let x = (Number(path.btc[0]!) / 1e8) * ethPerBtc;
  for (let i = 0; i < path.btc.length; i++) {
    if (i > 0) {
      const dtYears = Math.max(1, path.timesMs[i]! - path.timesMs[i - 1]!) / 60_000 / MIN_PER_YEAR;
      const rB = Math.log(Number(path.btc[i]!) / Number(path.btc[i - 1]!));
      const sdE = Math.sqrt(co.residualVarPerYear * dtYears);
      x *= Math.exp(co.beta * rB - 0.5 * sdE * sdE + sdE * normal(rng));
    }
    out.push(px8(x));
  }
  return out;
}

/** What one policy did on one seed (USD floats from exact amounts). */
export interface RunResult {
  readonly liquidated: boolean;
  readonly penalty: number;
  readonly liqSlippage: number;
  readonly liquidationLoss: number;
  readonly fees: number;
  readonly slippage: number;
  readonly funding: number;
  readonly idle: number;
  readonly cost: number;
  readonly actions: number;
}

/** The simulated account (module header), exact. */
class Account {
  usdt = 0n;
  btc = 0n;
  eth = 0n;
  longQty = 0n;
  longEntry = 0n;
  hedgeQty = 0n;
  hedgeEntry = 0n;
  reserve = 0n;
  fees = 0n;
  slippage = 0n;
  funding = 0n;
  penalty = 0n;
  liqSlippage = 0n;
  liquidated = false;
  actions = 0;

  constructor(readonly o: LabOptions) {}

  marginValue(pB: bigint, pE: bigint): bigint {
    const h = PPM - this.o.haircutPpm;
    const coins = divRound((usd(this.btc, pB) + usd(this.eth, pE)) * h, PPM, 'floor');
    const upnl = usd(this.longQty, pB - this.longEntry) + usd(this.hedgeQty, this.hedgeEntry - pE);
    return this.usdt + coins + upnl;
  }

  mm(pB: bigint, pE: bigint): bigint {
    return divRound(
      (usd(this.longQty, pB, 'ceil') + usd(this.hedgeQty, pE, 'ceil')) * this.o.mmrPpm,
      PPM,
      'ceil',
    );
  }

  /** A perp trade through a book: fill px8, fee and slippage charged, PnL realised. */
  private fill(book: BookModel, side: 'sell' | 'buy', qty: bigint, mark: bigint): bigint {
    const m = Number(mark) / 1e8;
    const avg = book.impact(side, Number(qty) / 1e9, m).avgPrice;
    // Rounded against the trader.
    const f = side === 'sell' ? BigInt(Math.floor(avg * 1e8)) : BigInt(Math.ceil(avg * 1e8));
    const fillPx = side === 'sell' ? (f < mark ? f : mark) : f > mark ? f : mark;
    this.slippage += usd(qty, side === 'sell' ? mark - fillPx : fillPx - mark, 'ceil');
    return fillPx;
  }

  reduceLong(book: BookModel, qty: bigint, mark: bigint): void {
    const q = qty < this.longQty ? qty : this.longQty;
    if (q <= 0n) return;
    const f = this.fill(book, 'sell', q, mark);
    const fee = divRound(usd(q, f, 'ceil') * this.o.takerFeePpm, PPM, 'ceil');
    this.usdt += usd(q, f - this.longEntry) - fee;
    this.fees += fee;
    this.longQty -= q;
    this.actions++;
  }

  /** Changes the ETH short by `delta` (positive: sell more). */
  hedgeTrade(book: BookModel, delta: bigint, mark: bigint): void {
    if (delta === 0n) return;
    const side = delta > 0n ? 'sell' : 'buy';
    const q = delta > 0n ? delta : -delta;
    const f = this.fill(book, side, q, mark);
    const fee = divRound(usd(q, f, 'ceil') * this.o.takerFeePpm, PPM, 'ceil');
    this.usdt -= fee;
    this.fees += fee;
    if (delta > 0n) {
      // Weighted entry of the enlarged short.
      this.hedgeEntry =
        this.hedgeQty === 0n ? f : (this.hedgeEntry * this.hedgeQty + f * q) / (this.hedgeQty + q);
      this.hedgeQty += q;
    } else {
      this.usdt += usd(q, this.hedgeEntry - f);
      this.hedgeQty -= q;
    }
    this.actions++;
  }

  /** Spot swap of coin `qty` against USD through its book (sell: coin → USD). */
  spot(book: BookModel, side: 'sell' | 'buy', coin: 'btc' | 'eth', qty: bigint, mark: bigint): void {
    if (qty <= 0n) return;
    const m = Number(mark) / 1e8;
    const avg = book.impact(side, Number(qty) / 1e9, m).avgPrice;
    const f = side === 'sell' ? BigInt(Math.floor(avg * 1e8)) : BigInt(Math.ceil(avg * 1e8));
    const fillPx = side === 'sell' ? (f < mark ? f : mark) : f > mark ? f : mark;
    const value = usd(qty, fillPx, side === 'sell' ? 'floor' : 'ceil');
    const fee = divRound(value * this.o.spotFeePpm, PPM, 'ceil');
    this.slippage += usd(qty, side === 'sell' ? mark - fillPx : fillPx - mark, 'ceil');
    this.fees += fee;
    if (side === 'sell') {
      this[coin] -= qty;
      this.usdt += value - fee;
    } else {
      this[coin] += qty;
      this.usdt -= value + fee;
    }
    this.actions++;
  }

  /** Liquidation: every perp closed through the books, the penalty charged (module header). */
  liquidate(bookB: BookModel, bookE: BookModel, pB: bigint, pE: bigint): void {
    const notional = usd(this.longQty, pB, 'ceil') + usd(this.hedgeQty, pE, 'ceil');
    const before = this.slippage;
    const fees = this.fees;
    const acts = this.actions;
    if (this.longQty > 0n) {
      const f = this.fill(bookB, 'sell', this.longQty, pB);
      this.usdt += usd(this.longQty, f - this.longEntry);
      this.longQty = 0n;
    }
    if (this.hedgeQty > 0n) {
      const f = this.fill(bookE, 'buy', this.hedgeQty, pE);
      this.usdt += usd(this.hedgeQty, this.hedgeEntry - f);
      this.hedgeQty = 0n;
    }
    this.liqSlippage = this.slippage - before;
    this.slippage = before;
    this.fees = fees;
    this.actions = acts;
    this.penalty = divRound(notional * this.o.liqPenaltyPpm, PPM, 'ceil');
    this.usdt -= this.penalty;
    this.liquidated = true;
  }
}

/** P(liquidation) input: the BTC price at which the margin value meets MM, all coins moving with BTC. */
function liquidationPx(a: Account, pB: bigint, pE: bigint): bigint | null {
  // V(P) = c + b·P, MM(P) = m·P with every coin-denominated value scaled by P / pB.
  const p = Number(pB) / 1e8;
  const e = Number(pE) / 1e8;
  const h = 1 - Number(a.o.haircutPpm) / 1e6;
  const c =
    toNum(a.usdt) -
    (Number(a.longQty) / 1e9) * (Number(a.longEntry) / 1e8) +
    (Number(a.hedgeQty) / 1e9) * (Number(a.hedgeEntry) / 1e8);
  const b =
    Number(a.longQty) / 1e9 +
    ((Number(a.btc) / 1e9) * p * h + (Number(a.eth) / 1e9) * e * h - (Number(a.hedgeQty) / 1e9) * e) / p;
  const m = (Number(a.o.mmrPpm) / 1e6) * (Number(a.longQty) / 1e9 + ((Number(a.hedgeQty) / 1e9) * e) / p);
  // b > m: V − MM rises with the price (long-like), the liquidation price is below; else none below.
  if (b - m <= 0) return null;
  const x = c / (m - b);
  return x > 0 ? px8(x) : null;
}

/** The account as every strategy observes it: the BTC long managed, the coins and the ETH hedge. */
function observation(a: Account, t: number, pB: bigint, pE: bigint): PerpObservation {
  const h = a.o.haircutPpm;
  return {
    kind: 'perp',
    timeMs: t,
    decimals: 6,
    equity: a.marginValue(pB, pE),
    maintenanceMargin: a.mm(pB, pE),
    reserve: a.reserve,
    position: {
      side: 'long',
      sizeQty9: a.longQty,
      markPx8: pB,
      liquidationPx8: liquidationPx(a, pB, pE),
      takerFeePpm: a.o.takerFeePpm,
      asset: 'BTC',
    },
    collateral: {
      holdings: [
        { asset: 'BTC', qty9: a.btc, markPx8: pB, haircutPpm: h },
        { asset: 'ETH', qty9: a.eth, markPx8: pE, haircutPpm: h },
        // A negative USD balance is a debt, not a holding: it stays in the equity only.
        { asset: 'USD', qty9: a.usdt > 0n ? a.usdt * 1_000n : 0n, markPx8: P8, haircutPpm: 0n },
      ],
      otherPositions: [
        { market: HEDGE_MARKET, asset: 'ETH', side: 'short', sizeQty9: a.hedgeQty, markPx8: pE },
      ],
    },
  };
}

const HEDGE_MARKET = 'ETHUSDT';

const DEPTH_ETH_SCALE = 0.5; // ETH books: half of BTC's depth in USD terms (an assumption, docs/trader.md)

/** Runs one policy on one seed of one path. */
export function runPolicy(
  policy: LabPolicy,
  path: LabPath,
  eth: readonly bigint[],
  leverage: number,
  o: LabOptions,
  co: CoMovement,
): RunResult {
  const a = new Account(o);
  const pB0 = path.btc[0]!;
  const pE0 = eth[0]!;
  const notional = BigInt(Math.round(o.notionalUsd)) * U;
  a.longQty = divRound(notional * USD_PER_QP, pB0, 'floor');
  a.longEntry = pB0;
  const collateral = BigInt(Math.round(o.notionalUsd / leverage)) * U;
  a.eth = divRound(collateral * USD_PER_QP, pE0, 'floor');
  const ratio = Number(pB0) / Number(pE0);
  const [bookB, bookE] = books(path, ratio);
  const uses = policy === 'band' || policy === 'guard';
  const reserve0 = uses ? BigInt(Math.round((o.notionalUsd / leverage) * o.reserveShare)) * U : 0n;
  a.reserve = reserve0;
  const band =
    policy === 'band'
      ? new BandRebalancer({
          account: 'perp',
          triggerPpm: 100_000n,
          targetPpm: 40_000n,
          cooldownMs: 300_000,
          minAction: U,
        })
      : undefined;
  const guard =
    policy === 'guard'
      ? new ProbabilityGuard({
          threshold: 0.01,
          horizonYears: 1 / 365,
          sigmaPerYear: 0.8,
          cooldownMs: 60_000,
          minAction: U,
        })
      : undefined;
  const div = policy === 'diversify' ? diversifier(o, co) : undefined;
  const hedger =
    policy === 'hedge'
      ? new CollateralHedger({ kind: 'linear' }, 100_000n, { asset: 'ETH', market: HEDGE_MARKET })
      : undefined;
  let lastDiversify = Number.NEGATIVE_INFINITY;
  let lastFundingHour = Math.floor(path.timesMs[0]! / 3_600_000);
  for (let i = 0; i < path.btc.length; i++) {
    const t = path.timesMs[i]!;
    const pB = path.btc[i]!;
    const pE = eth[i]!;
    bookB.observe(t, Number(pB) / 1e8);
    bookE.observe(t, Number(pE) / 1e8);
    // Hourly funding on the hedge leg (the long leg pays the same under every policy: left out).
    const hour = Math.floor(t / 3_600_000);
    if (hour > lastFundingHour && a.hedgeQty > 0n) {
      const f = divRound(
        -(usd(a.hedgeQty, pE) * o.fundingPpmPer8h * BigInt(hour - lastFundingHour)),
        PPM * 8n,
        'ceil',
      );
      a.usdt -= f;
      a.funding += f;
    }
    lastFundingHour = hour;
    if (a.marginValue(pB, pE) < a.mm(pB, pE)) {
      a.liquidate(bookB, bookE, pB, pE);
      break;
    }
    const strategy: Strategy | undefined =
      band ?? guard ?? hedger ?? (div && t - lastDiversify >= 3_600_000 ? div : undefined);
    if (strategy === undefined) continue;
    if (strategy === div) {
      lastDiversify = t;
      // An account with no collateral left has nothing to re-allocate.
      if (usd(a.btc, pB) + usd(a.eth, pE) + (a.usdt > 0n ? a.usdt : 0n) <= 0n) continue;
    }
    execute(a, strategy.decide(observation(a, t, pB, pE)).actions, bookB, bookE, pB, pE);
  }
  const years = (path.timesMs[path.timesMs.length - 1]! - path.timesMs[0]! + 60_000) / 60_000 / MIN_PER_YEAR;
  const idle = toNum(reserve0) * o.idleRatePerYear * years;
  const fees = toNum(a.fees);
  const slippage = toNum(a.slippage);
  const funding = toNum(a.funding);
  return {
    liquidated: a.liquidated,
    penalty: toNum(a.penalty),
    liqSlippage: toNum(a.liqSlippage),
    liquidationLoss: toNum(a.penalty + a.liqSlippage),
    fees,
    slippage,
    funding,
    idle,
    cost: fees + slippage + funding + idle,
    actions: a.actions,
  };
}

/** The lab's diversifier: BTC/ETH/USD, the daily-closes covariance, USD capped (module header). */
function diversifier(o: LabOptions, co: CoMovement): CollateralDiversifier {
  const h = Number(o.haircutPpm) / 1e6;
  const cost = Number(o.spotFeePpm) / 1e6 + 0.0005; // fee + an allowance for slippage
  const c = co.covariance;
  return new CollateralDiversifier({
    assets: ['BTC', 'ETH', 'USD'],
    haircuts: [h, h, 0],
    covariance: [
      [c[0]![0]!, c[0]![1]!, 0],
      [c[1]![0]!, c[1]![1]!, 0],
      [0, 0, 0],
    ],
    switchCost: [cost, cost, 0],
    horizonYears: 1 / 365,
    maxWeights: [1, 1, o.maxStable],
    minTurnover: 0.01,
  });
}

/**
 * Carries a decision out on the simulated account. Swaps are netted per asset and traded through
 * USD — every sale first (into USD), then the purchases from the cash there is — so a chain of
 * swaps costs the same as the net trades.
 */
function execute(
  a: Account,
  actions: readonly Action[],
  bookB: BookModel,
  bookE: BookModel,
  pB: bigint,
  pE: bigint,
): void {
  const net = { BTC: 0n, ETH: 0n, USD: 0n } as Record<string, bigint>;
  let swaps = false;
  for (const act of actions) {
    switch (act.kind) {
      case 'top_up': {
        const amt = min(act.amount, a.reserve);
        a.reserve -= amt;
        a.usdt += amt;
        a.actions++;
        break;
      }
      case 'reduce':
        a.reduceLong(bookB, act.sizeQty9, pB);
        break;
      case 'hedge':
        a.hedgeTrade(bookE, act.deltaQty9, pE);
        break;
      case 'swap':
        swaps = true;
        net[act.fromAsset] = (net[act.fromAsset] ?? 0n) - act.amount;
        net[act.toAsset] = (net[act.toAsset] ?? 0n) + act.amount;
        break;
      case 'repay':
      case 'delever':
        break; // lending actions: the lab's account is a perpetuals account
    }
  }
  if (!swaps) return;
  const tB = net.BTC!;
  const tE = net.ETH!;
  const qty = (value: bigint, px: bigint) => divRound(value * USD_PER_QP, px, 'floor');
  if (tB < 0n) a.spot(bookB, 'sell', 'btc', min(qty(-tB, pB), a.btc), pB);
  if (tE < 0n) a.spot(bookE, 'sell', 'eth', min(qty(-tE, pE), a.eth), pE);
  const cash = () => (a.usdt > 0n ? a.usdt : 0n);
  if (tB > 0n) a.spot(bookB, 'buy', 'btc', qty(min(tB, cash()), pB), pB);
  if (tE > 0n) a.spot(bookE, 'buy', 'eth', qty(min(tE, cash()), pE), pE);
}

/** One scenario's runs: per policy, one result per seed (seeds 1..n). */
export interface ScenarioRuns {
  readonly scenario: string;
  readonly description: string;
  readonly seeds: number;
  readonly runs: Record<LabPolicy, RunResult[]>;
}

export function runScenario(
  scenario: string,
  seeds: number,
  o: LabOptions = DEFAULT_LAB,
  onSeed?: () => void,
): ScenarioRuns {
  const co = btcEthCoMovement();
  const real = scenario === 'synthetic' ? undefined : crashPath(scenario);
  const description =
    real === undefined
      ? 'Synthetic day: GBM at 80 %/year from 60,000 plus a seeded 10–35 % crash over 30–120 minutes'
      : crashWindow(scenario).description;
  const runs = Object.fromEntries(LAB_POLICIES.map((p) => [p, [] as RunResult[]])) as Record<
    LabPolicy,
    RunResult[]
  >;
  for (let s = 1; s <= seeds; s++) {
    const path = real ?? syntheticPath(s);
    const eth = ethPath(path, co, s, o.ethPerBtc);
    const lev = new Rng(s * 31 + 5).uniform(o.leverage[0], o.leverage[1]);
    for (const p of LAB_POLICIES) runs[p].push(runPolicy(p, path, eth, lev, o, co));
    onSeed?.();
  }
  return { scenario, description, seeds, runs };
}

/** Mean and 95 % confidence interval (paired t over the seeds). */
export interface Interval {
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
}

/** Student-t 97.5 % quantiles for 1..30 degrees of freedom (standard tables, 3 decimals). */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Student-t 97.5 % quantile: the table to 30, then the Cornish–Fisher expansion in 1/ν (within 0.05 %). */
export function t975(nu: number): number {
  if (nu <= 30) return T975[nu - 1]!;
  const z = 1.959963984540054;
  return z + (z ** 3 + z) / (4 * nu) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * nu * nu);
}

export function meanCi(xs: readonly number[]): Interval {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, lo: mean, hi: mean };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const half = t975(n - 1) * Math.sqrt(v / n);
  return { mean, lo: mean - half, hi: mean + half };
}

export interface SummaryRow {
  readonly scenario: string;
  readonly policy: LabPolicy;
  readonly liquidated: number;
  readonly seeds: number;
  readonly penalty: number;
  readonly liquidationLoss: number;
  readonly avoided: Interval;
  readonly cost: Interval;
  readonly fees: number;
  readonly slippage: number;
  readonly funding: number;
  readonly idle: number;
  readonly net: Interval;
}

const avg = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Per policy: liquidations, losses, costs and the paired net result against doing nothing. */
export function summarize(s: ScenarioRuns): SummaryRow[] {
  const base = s.runs.nothing;
  return LAB_POLICIES.map((policy) => {
    const r = s.runs[policy];
    const avoided = r.map((x, i) => base[i]!.liquidationLoss - x.liquidationLoss);
    return {
      scenario: s.scenario,
      policy,
      liquidated: r.filter((x) => x.liquidated).length,
      seeds: r.length,
      penalty: avg(r.map((x) => x.penalty)),
      liquidationLoss: avg(r.map((x) => x.liquidationLoss)),
      avoided: meanCi(avoided),
      cost: meanCi(r.map((x) => x.cost)),
      fees: avg(r.map((x) => x.fees)),
      slippage: avg(r.map((x) => x.slippage)),
      funding: avg(r.map((x) => x.funding)),
      idle: avg(r.map((x) => x.idle)),
      net: meanCi(avoided.map((x, i) => x - r[i]!.cost)),
    };
  });
}
