/**
 * Out-of-sample comparison of variance forecasters on real BTC histories.
 *
 * Run `npx tsx src/sim/volatility/compare.ts` (options: `--window N` for a rolling window of N
 * periods instead of an expanding one, `--refit-every K`, `--min-train N`) to print the
 * markdown tables; `compareForecasters` and `formatComparisonTables` are the library API.
 *
 * Protocol. For every forecast origin o (from `minTrain` to the end) each model sees only the
 * data before o (periods [o - window, o) when rolling, [0, o) when expanding) and forecasts
 * the variance of the next h returns, Σ_{k<h} σ²_{o+k}. Parametric models (GARCH, HAR) are
 * re-estimated every `refitEvery` origins (warm-started from the previous estimate) and, in
 * between, keep their parameters while their filter is updated with the new data — the way a
 * risk system runs them. The target is the realised-variance proxy summed over the same h
 * periods: squared returns for daily-only data, the sum of squared hourly returns (daily RV)
 * when hourly data exist. Losses are QLIKE and MSE (src/analytics/volatility/losses.ts,
 * Patton 2011); origins whose target is exactly 0 (no price change) are dropped for all
 * models, since QLIKE is infinite there. Each model is compared with a reference (EWMA by
 * default) by the Diebold–Mariano test with the HLN correction (./diebold-mariano.ts).
 *
 * Models:
 * - EWMA: RiskMetrics λ = 0.94 per day (0.94^(1/24) per hour), on returns.
 * - GARCH(1,1): Gaussian QMLE, zero mean, on returns.
 * - HAR-RV: Corsi (2009) on the RV proxy, lags 1/5/22 days (1/24/168 hours for hourly data).
 * - Mean-RV: the mean RV proxy over the longest HAR lag (22 days / 168 hours), a naive benchmark.
 */
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ewmaLambdaForInterval, fitEwma, RISKMETRICS_DAILY_LAMBDA } from '../../analytics/volatility/ewma.ts';
import { fitGarch, type GarchParams, garchWithParams } from '../../analytics/volatility/garch.ts';
import { fitHar, type HarCoefficients, harWithCoefficients } from '../../analytics/volatility/har.ts';
import { mseLoss, qlike } from '../../analytics/volatility/losses.ts';
import type { VarianceForecast } from '../../analytics/volatility/types.ts';
import { dailyFromIntraday, logReturns, readCddCloses, readDailyCandles, VOL_DATA_DIR } from './data.ts';
import { type DieboldMarianoResult, dieboldMariano } from './diebold-mariano.ts';

/** A series to forecast: returns and a realised-variance proxy, aligned period by period. */
export interface VolDataset {
  readonly name: string;
  /** Sampling period, for labels. */
  readonly period: 'day' | 'hour';
  /** Log returns per period. */
  readonly returns: Float64Array;
  /** Realised-variance proxy of each period (same length as returns). */
  readonly rv: Float64Array;
  /** How `rv` was measured, for the table (e.g. "r²", "RV from 24 × 1h"). */
  readonly proxy: string;
  /** HAR component lengths in periods. */
  readonly harLags: readonly number[];
  /** EWMA λ per period. */
  readonly ewmaLambda: number;
  /** First and last period, for the table (e.g. "2015-07-22 → 2025-09-24"). */
  readonly range: string;
}

/**
 * A forecasting method run over successive origins. `forecast` sees the data of periods
 * [start, end) and returns a variance term structure for periods end, end+1, ...;
 * `refit` says whether parameters should be re-estimated now.
 */
export interface ForecastMethod {
  readonly name: string;
  forecast(ds: VolDataset, start: number, end: number, refit: boolean): VarianceForecast;
}

/** EWMA on returns with the dataset's λ. */
export function ewmaMethod(name = 'EWMA'): ForecastMethod {
  return {
    name,
    forecast: (ds, start, end) => fitEwma(ds.returns.subarray(start, end), { lambda: ds.ewmaLambda }),
  };
}

/** GARCH(1,1) on returns; re-estimated on `refit`, warm-started from the last estimate. */
export function garchMethod(name = 'GARCH(1,1)'): ForecastMethod {
  let params: GarchParams | undefined;
  return {
    name,
    forecast(ds, start, end, refit) {
      const window = ds.returns.subarray(start, end);
      if (refit || params === undefined) {
        const fit = fitGarch(window, params ? { start: params, onlyStart: true } : {});
        params = fit.params;
        return fit;
      }
      return garchWithParams(params, window);
    },
  };
}

/** HAR-RV on the RV proxy with the dataset's lags. */
export function harMethod(name = 'HAR-RV'): ForecastMethod {
  let coefs: HarCoefficients | undefined;
  return {
    name,
    forecast(ds, start, end, refit) {
      const window = ds.rv.subarray(start, end);
      if (refit || coefs === undefined) {
        const fit = fitHar(window, { lags: ds.harLags });
        coefs = fit.coefficients;
        return fit;
      }
      return harWithCoefficients(coefs, window, { lags: ds.harLags });
    },
  };
}

/** Mean of the RV proxy over the last L periods (L = longest HAR lag), flat. */
export function meanRvMethod(name = 'Mean-RV'): ForecastMethod {
  return {
    name,
    forecast(ds, start, end) {
      const l = Math.min(ds.harLags[ds.harLags.length - 1]!, end - start);
      let s = 0;
      for (let i = end - l; i < end; i++) s += ds.rv[i]!;
      const v = Math.max(s / l, Number.MIN_VALUE);
      return { forecast: () => v, cumulativeVariance: (h) => h * v };
    },
  };
}

/** The default line-up: EWMA (reference), GARCH(1,1), HAR-RV, Mean-RV. */
export function defaultMethods(): ForecastMethod[] {
  return [ewmaMethod(), garchMethod(), harMethod(), meanRvMethod()];
}

/** Options of {@link compareForecasters}. */
export interface CompareOptions {
  /** Forecast horizons in periods (default [1]). */
  readonly horizons?: readonly number[];
  /** First forecast origin = number of periods in the first training sample. */
  readonly minTrain: number;
  /** Rolling window length; omit for an expanding window. */
  readonly window?: number;
  /** Re-estimate parametric models every K origins (default 20). */
  readonly refitEvery?: number;
  /** Name of the reference model for the DM test (default: the first method). */
  readonly reference?: string;
  /** Last origin is at most this many periods into the data (default: all). */
  readonly maxOrigins?: number;
}

/** One model's out-of-sample scores. */
export interface ModelScore {
  readonly model: string;
  /** Forecasts scored. */
  readonly n: number;
  /** Mean QLIKE. */
  readonly qlike: number;
  /** Mean squared error of the variance forecast. */
  readonly mse: number;
  /** DM test of this model's QLIKE against the reference (absent for the reference). */
  readonly dmQlike?: DieboldMarianoResult;
  /** DM test of this model's squared errors against the reference. */
  readonly dmMse?: DieboldMarianoResult;
}

/** Scores of all models on one dataset and horizon. */
export interface ComparisonResult {
  readonly dataset: string;
  readonly proxy: string;
  readonly range: string;
  readonly period: 'day' | 'hour';
  readonly horizon: number;
  /** 'expanding' or 'rolling N'. */
  readonly scheme: string;
  readonly minTrain: number;
  readonly refitEvery: number;
  readonly reference: string;
  /** Origins dropped because the target was 0. */
  readonly dropped: number;
  readonly scores: readonly ModelScore[];
}

/**
 * Runs every method over every origin of a dataset and scores them for each horizon.
 *
 * @example
 * compareForecasters(dataset, defaultMethods(), { minTrain: 1000, horizons: [1, 5] });
 */
export function compareForecasters(
  ds: VolDataset,
  methods: readonly ForecastMethod[],
  options: CompareOptions,
): ComparisonResult[] {
  const horizons = options.horizons ?? [1];
  const refitEvery = options.refitEvery ?? 20;
  const n = ds.returns.length;
  if (ds.rv.length !== n) throw new RangeError(`${ds.name}: returns and rv differ in length`);
  if (!(options.minTrain >= 1 && options.minTrain < n))
    throw new RangeError(`${ds.name}: minTrain out of range`);
  if (methods.length === 0) throw new RangeError('compareForecasters: no methods');
  const reference = options.reference ?? methods[0]!.name;
  if (!methods.some((m) => m.name === reference))
    throw new RangeError(`reference ${reference} is not a method`);
  const lastOrigin = Math.min(
    n - 1,
    options.maxOrigins !== undefined ? options.minTrain + options.maxOrigins - 1 : n,
  );
  // forecasts[m][h index][origin index]
  const origins: number[] = [];
  for (let o = options.minTrain; o <= lastOrigin; o++) origins.push(o);
  const fc = methods.map(() => horizons.map(() => new Float64Array(origins.length)));
  origins.forEach((o, i) => {
    const start = options.window !== undefined ? Math.max(0, o - options.window) : 0;
    const refit = i % refitEvery === 0;
    methods.forEach((m, mi) => {
      const f = m.forecast(ds, start, o, refit);
      horizons.forEach((h, hi) => {
        fc[mi]![hi]![i] = o + h <= n ? f.cumulativeVariance(h) : Number.NaN;
      });
    });
  });
  return horizons.map((h, hi) => {
    const keep: number[] = [];
    const targets: number[] = [];
    let dropped = 0;
    origins.forEach((o, i) => {
      if (o + h > n) return;
      let y = 0;
      for (let k = 0; k < h; k++) y += ds.rv[o + k]!;
      if (y === 0) {
        dropped++;
        return;
      }
      keep.push(i);
      targets.push(y);
    });
    const losses = methods.map((_, mi) => {
      const q = new Float64Array(keep.length);
      const e = new Float64Array(keep.length);
      keep.forEach((i, j) => {
        const f = fc[mi]![hi]![i]!;
        q[j] = qlike(f, targets[j]!);
        e[j] = mseLoss(f, targets[j]!);
      });
      return { q, e };
    });
    const ri = methods.findIndex((m) => m.name === reference);
    const mean = (a: Float64Array): number => a.reduce((s, x) => s + x, 0) / a.length;
    const scores = methods.map((m, mi): ModelScore => {
      const base = { model: m.name, n: keep.length, qlike: mean(losses[mi]!.q), mse: mean(losses[mi]!.e) };
      if (mi === ri) return base;
      return {
        ...base,
        dmQlike: dieboldMariano(losses[mi]!.q, losses[ri]!.q, h),
        dmMse: dieboldMariano(losses[mi]!.e, losses[ri]!.e, h),
      };
    });
    return {
      dataset: ds.name,
      proxy: ds.proxy,
      range: ds.range,
      period: ds.period,
      horizon: h,
      scheme: options.window !== undefined ? `rolling ${options.window}` : 'expanding',
      minTrain: options.minTrain,
      refitEvery,
      reference,
      dropped,
      scores,
    };
  });
}

function fmtDm(dm: DieboldMarianoResult | undefined): string {
  if (dm === undefined) return '(reference)';
  if (Number.isNaN(dm.statistic)) return 'n/a';
  const p = dm.pValue < 0.001 ? '<0.001' : dm.pValue.toFixed(3);
  return `${dm.statistic >= 0 ? '+' : ''}${dm.statistic.toFixed(2)} (${p})`;
}

/**
 * Markdown tables, one per dataset and horizon; the lowest loss of each column in bold.
 * DM < 0 means the model's loss is lower than the reference's; p is two-sided.
 */
export function formatComparisonTables(results: readonly ComparisonResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const unit = r.period === 'day' ? (r.horizon === 1 ? 'day' : 'days') : r.horizon === 1 ? 'hour' : 'hours';
    out.push(
      `**${r.dataset}** (${r.range}), target ${r.proxy} summed over h = ${r.horizon} ${unit}; ` +
        `${r.scheme === 'expanding' ? `expanding window from ${r.minTrain} obs` : `${r.scheme.replace('rolling ', 'rolling window of ')} obs, first origin at ${r.minTrain}`}, re-fit every ${r.refitEvery}; ` +
        `${r.scores[0]?.n ?? 0} forecasts${r.dropped > 0 ? `, ${r.dropped} with zero target dropped` : ''}`,
    );
    out.push('');
    out.push(`| model | QLIKE | DM vs ${r.reference} (p) | MSE | DM vs ${r.reference} (p) |`);
    out.push('|---|---:|---:|---:|---:|');
    const bestQ = Math.min(...r.scores.map((s) => s.qlike));
    const bestM = Math.min(...r.scores.map((s) => s.mse));
    for (const s of r.scores) {
      const q = s.qlike.toFixed(4);
      const m = s.mse.toExponential(3);
      out.push(
        `| ${s.model} | ${s.qlike === bestQ ? `**${q}**` : q} | ${fmtDm(s.dmQlike)} | ${s.mse === bestM ? `**${m}**` : m} | ${fmtDm(s.dmMse)} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

function isoDay(sec: number): string {
  return new Date(sec * 1000).toISOString().slice(0, 10);
}

function isoHour(sec: number): string {
  return new Date(sec * 1000).toISOString().slice(0, 13).replace('T', ' ') + 'h';
}

/**
 * Coinbase BTC-USD daily closes from 2015-07-21 (the switch from Bitstamp), daily log
 * returns, proxy r².
 */
export function coinbaseDailyDataset(dataDir = VOL_DATA_DIR): VolDataset {
  const s = readDailyCandles(join(dataDir, 'BTCUSD_1d_candles_full.csv'), 1_437_436_800);
  const returns = logReturns(s.close);
  return {
    name: 'Coinbase BTC-USD daily',
    period: 'day',
    returns,
    rv: returns.map((r) => r * r),
    proxy: 'r² (daily close-to-close)',
    harLags: [1, 5, 22],
    ewmaLambda: RISKMETRICS_DAILY_LAMBDA,
    range: `${isoDay(s.timeSec[1]!)} → ${isoDay(s.timeSec[s.timeSec.length - 1]!)}`,
  };
}

/** Bitstamp BTC-USD hourly aggregated to UTC days: daily returns, proxy RV = Σ 24 r²_hour. */
export function bitstampDailyRvDataset(dataDir = VOL_DATA_DIR): VolDataset {
  const d = dailyFromIntraday(readCddCloses(join(dataDir, 'Bitstamp_BTCUSD_1h.csv'), 3600));
  return {
    name: 'Bitstamp BTC-USD daily, RV from hourly',
    period: 'day',
    returns: d.returns,
    rv: d.rv,
    proxy: 'RV = Σ 24 squared hourly returns',
    harLags: [1, 5, 22],
    ewmaLambda: RISKMETRICS_DAILY_LAMBDA,
    range: `${isoDay(d.daySec[0]!)} → ${isoDay(d.daySec[d.daySec.length - 1]!)}`,
  };
}

/** Binance USDⓈ-M BTCUSDT hourly closes: hourly returns, proxy r²_hour. */
export function binanceHourlyDataset(dataDir = VOL_DATA_DIR): VolDataset {
  const s = readCddCloses(join(dataDir, 'BTCUSDT_Binance_futures_data_hour.csv'), 3600);
  const returns = logReturns(s.close);
  return {
    name: 'Binance USDT-M BTCUSDT hourly',
    period: 'hour',
    returns,
    rv: returns.map((r) => r * r),
    proxy: 'r² (hourly)',
    harLags: [1, 24, 168],
    ewmaLambda: ewmaLambdaForInterval(RISKMETRICS_DAILY_LAMBDA, 24),
    range: `${isoHour(s.timeSec[1]!)} → ${isoHour(s.timeSec[s.timeSec.length - 1]!)}`,
  };
}

/** Settings of the script's standard run. */
export interface StandardRunOptions {
  readonly window?: number;
  readonly refitEvery?: number;
  /** Overrides the per-dataset first training size. */
  readonly minTrain?: number;
  readonly dataDir?: string;
}

/**
 * The standard comparison: three datasets, h = 1 and a multi-period horizon (5 days or
 * 24 hours), EWMA as the DM reference.
 */
export function runStandardComparison(options: StandardRunOptions = {}): ComparisonResult[] {
  const runs: { ds: VolDataset; minTrain: number; horizons: number[] }[] = [
    { ds: coinbaseDailyDataset(options.dataDir), minTrain: 1000, horizons: [1, 5] },
    { ds: bitstampDailyRvDataset(options.dataDir), minTrain: 500, horizons: [1, 5] },
    { ds: binanceHourlyDataset(options.dataDir), minTrain: 1000, horizons: [1, 24] },
  ];
  return runs.flatMap(({ ds, minTrain, horizons }) =>
    compareForecasters(ds, defaultMethods(), {
      minTrain: options.minTrain ?? minTrain,
      horizons,
      refitEvery: options.refitEvery ?? 20,
      ...(options.window !== undefined ? { window: options.window } : {}),
    }),
  );
}

function parseArgs(argv: readonly string[]): StandardRunOptions {
  const opts: { window?: number; refitEvery?: number; minTrain?: number } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = Number(argv[i + 1]);
    const need = (): number => {
      if (!(Number.isInteger(v) && v > 0)) throw new Error(`${a} needs a positive integer`);
      i++;
      return v;
    };
    if (a === '--window') opts.window = need();
    else if (a === '--refit-every') opts.refitEvery = need();
    else if (a === '--min-train') opts.minTrain = need();
    else throw new Error(`unknown argument ${a} (use --window N, --refit-every K, --min-train N)`);
  }
  return opts;
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const results = runStandardComparison(opts);
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  process.stdout.write(
    '## Out-of-sample variance forecasts\n\n' +
      'QLIKE = y/h - ln(y/h) - 1, MSE = (y - h)² (variance per period, squared), means over all origins. ' +
      'DM: Diebold–Mariano with HLN correction; negative = lower loss than the reference.\n\n' +
      formatComparisonTables(results) +
      `\n(${secs} s)\n`,
  );
}

const entry = process.argv[1];
if (entry !== undefined && realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))) main();
