/**
 * Replay of the 10 October 2025 crash as a multi-source oracle feed, from the real files
 * in data/ (provenance in data/SOURCE.md):
 *
 * | source id             | series                                              | one observation per |
 * |-----------------------|-----------------------------------------------------|---------------------|
 * | `binance-coinm-mark`  | Binance COIN-M BTCUSD_PERP mark price, 1m klines    | bar, close at close time |
 * | `binance-usdm-mark`   | Binance USDⓈ-M BTCUSDT mark/index price, 5m klines  | bar, close at close time |
 * | `gemini-spot`         | Gemini BTCUSD spot trades                           | trade               |
 * | (book input)          | Binance USDⓈ-M BTCUSDT book depth, ±1 % bands       | snapshot (~30 s)    |
 *
 * A kline's close is the price at its close time (open + interval − 1 ms), so that is when
 * the observation is stamped; nothing is interpolated. The USDⓈ-M series is quoted in USDT,
 * the others in USD: their gap is real (a USDT basis) and shows in the deviations.
 * Observations are merged by timestamp; ties keep the table's order, then file order.
 */
import { divRound, formatDecimal, PRICE_DECIMALS, parseDecimalUnsafe } from '../../core/num/index.ts';
import {
  initialOracleState,
  type OracleConfig,
  type OracleConfigInput,
  type OracleInputRaw,
  type OracleOutputs,
  type OracleRejection,
  type OracleState,
  step,
} from '../../core/oracle/index.ts';
import { DATA_DIR, loadCrashKlines } from '../data/crashes.ts';
import { readKlinesCsv } from '../data/klines.ts';
import { bookToInputs, readBookDepthProxies } from './book-depth.ts';
import { readGeminiTrades, tradesToObservations } from './gemini-trades.ts';

/** Days with a multi-source replay. */
export const ORACLE_REPLAY_DAYS = ['2025-10-10'] as const;
export type OracleReplayDay = (typeof ORACLE_REPLAY_DAYS)[number];

export const REPLAY_SOURCES = ['binance-coinm-mark', 'binance-usdm-mark', 'gemini-spot'] as const;
export type ReplaySource = (typeof REPLAY_SOURCES)[number];

const FILES = {
  '2025-10-10': {
    dayStartMs: Date.UTC(2025, 9, 10),
    usdm5m: 'BTCUSDT-5m-2025-10-01_2025-12-30.csv',
    gemini: 'gemini_trades_2025-10-10_BTCUSD.csv.gz',
    book: 'BTCUSDT-bookDepth-2025-10-10.csv',
  },
} as const;

export interface CrashReplayOptions {
  /** Which index sources to include (default: all three). */
  readonly sources?: readonly ReplaySource[];
  /** Include the book snapshots as the mark's `book` input (default true). */
  readonly book?: boolean;
}

/** Every observation of the day, merged in time order. */
export function loadCrashObservations(day: OracleReplayDay, opts: CrashReplayOptions = {}): OracleInputRaw[] {
  const f = FILES[day];
  const wanted = new Set(opts.sources ?? REPLAY_SOURCES);
  const dayEndMs = f.dayStartMs + 86_400_000;
  const groups: OracleInputRaw[][] = [];
  if (wanted.has('binance-coinm-mark')) {
    groups.push(
      loadCrashKlines(day).map((k) => ({
        source: 'binance-coinm-mark',
        price: k.close,
        timestampMs: k.openTimeMs + 59_999,
      })),
    );
  }
  if (wanted.has('binance-usdm-mark')) {
    groups.push(
      readKlinesCsv(DATA_DIR + f.usdm5m)
        .filter((k) => k.openTimeMs >= f.dayStartMs && k.openTimeMs < dayEndMs)
        .map((k) => ({ source: 'binance-usdm-mark', price: k.close, timestampMs: k.openTimeMs + 299_999 })),
    );
  }
  if (wanted.has('gemini-spot')) {
    groups.push(
      tradesToObservations('gemini-spot', readGeminiTrades(DATA_DIR + f.gemini)).filter(
        (o) => o.timestampMs >= f.dayStartMs && o.timestampMs < dayEndMs,
      ),
    );
  }
  if (opts.book ?? true) groups.push(bookToInputs(readBookDepthProxies(DATA_DIR + f.book)));
  // Stable merge: by time, then group order, then file order.
  const tagged = groups.flatMap((g, gi) => g.map((o, i) => ({ o, gi, i })));
  tagged.sort((a, b) => a.o.timestampMs - b.o.timestampMs || a.gi - b.gi || a.i - b.i);
  return tagged.map((t) => t.o);
}

/**
 * The oracle config used for the crash replay. Ages fit each series' cadence (a 1m bar,
 * a 5m bar, Gemini's quiet spells); two sources required, 2.5 % deviation, a
 * 10 %-per-minute breaker, a minute of health before safe mode ends. Weights are equal:
 * halving the slow 5m series' weight looks tempting, but then each full-weight source's
 * "median of the others" is the other full-weight source alone, and on this day Binance
 * and Gemini would drop each other 681 times instead of 4 (docs/oracle.md, "weights").
 */
export function crashOracleConfig(
  mark: 'index' | 'index_plus_basis' | 'median' = 'median',
  market = 'BTC-PERP',
): OracleConfigInput {
  return {
    market,
    sources: [
      { id: 'binance-coinm-mark', maxAgeMs: 90_000 },
      { id: 'binance-usdm-mark', maxAgeMs: 330_000 },
      { id: 'gemini-spot', maxAgeMs: 120_000 },
    ],
    minSources: 2,
    maxDeviation: '0.025',
    maxPrintDeviation: '0.5',
    maxFutureSkewMs: 1_000,
    mark:
      mark === 'index'
        ? { kind: 'index' }
        : { kind: mark, emaHalfLifeMs: 300_000, emaIntervalMs: 1_000, maxInputAgeMs: 90_000 },
    twap: { windowMs: 3_600_000, bucketMs: 60_000 },
    breaker: { maxMovePerInterval: '0.1', intervalMs: 60_000 },
    recovery: { minHealthyMs: 60_000, sourceProbationMs: 0 },
  };
}

/** A bad print to inject: `source` prints `factor` × its last price at `atMs`. */
export interface BadPrint {
  readonly atMs: number;
  readonly source: string;
  readonly factor: '10' | '0.1';
}

/** One 10x print during the fall and one 0.1x print at the low, both from Gemini. */
export const DEFAULT_BAD_PRINTS: readonly BadPrint[] = [
  { atMs: Date.UTC(2025, 9, 10, 21, 15, 0, 0), source: 'gemini-spot', factor: '10' },
  { atMs: Date.UTC(2025, 9, 10, 21, 20, 30, 0), source: 'gemini-spot', factor: '0.1' },
];

/**
 * Inserts each bad print after every observation stamped at or before its time; the price
 * is the source's last real price × 10 or ÷ 10 (half-even to 8 decimals).
 */
export function injectBadPrints(
  observations: readonly OracleInputRaw[],
  prints: readonly BadPrint[],
): OracleInputRaw[] {
  const out = [...observations];
  for (const p of [...prints].sort((a, b) => a.atMs - b.atMs)) {
    // The base is the source's last *real* price (never an earlier injected print).
    let last: string | undefined;
    for (const o of observations) {
      if (o.timestampMs > p.atMs) break;
      if ((o.kind ?? 'price') === 'price' && 'source' in o && o.source === p.source) last = o.price;
    }
    if (last === undefined)
      throw new RangeError(`no ${p.source} price before ${new Date(p.atMs).toISOString()}`);
    const px8 = parseDecimalUnsafe(last, PRICE_DECIMALS);
    const bad = p.factor === '10' ? px8 * 10n : divRound(px8, 10n, 'halfEven');
    let at = out.findIndex((o) => o.timestampMs > p.atMs);
    if (at < 0) at = out.length;
    out.splice(at, 0, { source: p.source, price: formatDecimal(bad, PRICE_DECIMALS), timestampMs: p.atMs });
  }
  return out;
}

/** One oracle step of a replay: the inputs stamped at nowMs (possibly none: a tick). */
export interface ReplayStep {
  readonly nowMs: number;
  readonly inputs: readonly OracleInputRaw[];
  /** True when nowMs is a multiple of the tick interval (a reporting point). */
  readonly tick: boolean;
}

/**
 * Groups time-ordered observations into steps (one per distinct timestamp, now = that
 * timestamp) and adds a tick at every multiple of tickEveryMs in [fromMs, toMs].
 */
export function replaySteps(
  observations: readonly OracleInputRaw[],
  tickEveryMs = 60_000,
  range: { fromMs?: number; toMs?: number } = {},
): ReplayStep[] {
  const steps: ReplayStep[] = [];
  const first = observations[0]?.timestampMs ?? 0;
  const lastT = observations[observations.length - 1]?.timestampMs ?? 0;
  const fromMs = range.fromMs ?? first;
  const toMs = range.toMs ?? lastT;
  let nextTick = Math.ceil(first / tickEveryMs) * tickEveryMs;
  const pushTicksUpTo = (t: number) => {
    while (nextTick <= t && nextTick <= toMs) {
      steps.push({ nowMs: nextTick, inputs: [], tick: nextTick >= fromMs });
      nextTick += tickEveryMs;
    }
  };
  for (let i = 0; i < observations.length; ) {
    const t = observations[i]!.timestampMs;
    if (t > toMs) break;
    pushTicksUpTo(t - 1);
    let j = i;
    while (j < observations.length && observations[j]!.timestampMs === t) j++;
    const isTick = t === nextTick && t >= fromMs;
    if (t === nextTick) nextTick += tickEveryMs;
    steps.push({ nowMs: t, inputs: observations.slice(i, j), tick: isTick });
    i = j;
  }
  pushTicksUpTo(toMs);
  return steps;
}

export interface ReplayResult {
  readonly step: ReplayStep;
  readonly outputs: OracleOutputs;
  readonly rejections: readonly OracleRejection[];
}

/** Runs the oracle over the steps; `onStep` sees every result (return value unused). */
export function runOracleSteps(
  config: OracleConfig,
  steps: readonly ReplayStep[],
  onStep: (r: ReplayResult) => void,
  state: OracleState = initialOracleState(config),
): OracleState {
  let st = state;
  for (const s of steps) {
    const r = step(config, st, { nowMs: s.nowMs, inputs: s.inputs });
    st = r.state;
    if (r.outputs !== null) onStep({ step: s, outputs: r.outputs, rejections: r.rejections });
  }
  return st;
}
