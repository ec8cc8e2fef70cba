/**
 * `predictive-learned`: dynamic margin whose volatility term is the learned next-hour
 * forecaster (../forecast/walk-forward.ts, a seeded random forest on real-time features):
 *
 *   MM = clamp(z · σ_h + L, floor, ceiling),  IM = imOverMm · MM,  σ_h = √(σ²_1h · h / 60)
 *
 * with z, h, floor, ceiling, IM/MM, the liquidity add-on L and the 5-minute re-evaluation of
 * `dynamicPolicy` (DEFAULT_DYNAMIC), so it differs from dynamic-ewma/-har only in σ.
 *
 * No look-ahead: at `configFor` the forest is trained on the Bitstamp BTC/USD hourly bars that
 * closed at or before the run's start (the last 500 with their 168-hour lookback; funding
 * published before the start). During the run, the newest "bar" of the features is the last
 * 60 minutes of the exogenous minute prices seen so far (rolling; earlier run minutes form
 * 60-minute bars backwards from now), appended to the pre-run hourly bars. Bitstamp is a USD
 * spot series and the lab's windows are Binance USDT perpetuals: only returns and ranges enter
 * the features, not price levels.
 *
 * Where no hourly history runs up to the window's start (2022-11-09 and 2025-10-10 lie after the bundled
 * Bitstamp file; synthetic paths), the policy has no model and uses an EWMA of the run's minute
 * returns (as dynamic-ewma) — `model` in the trace says which was used.
 */
import { fitEwma } from '../../analytics/volatility/index.ts';
import type { MarginModelConfigInput } from '../../core/model/config.ts';
import type { Bar, FundingPoint } from '../forecast/bars.ts';
import { forecastTrainingBars } from '../forecast/datasets.ts';
import { FEATURE_LOOKBACK, featuresAt, parkinsonVariance } from '../forecast/features.ts';
import { DEFAULT_FOREST, trainForest } from '../forecast/walk-forward.ts';
import { DEFAULT_DYNAMIC, unwindCostFraction } from './dynamic-policy.ts';
import type { MarginPolicy, PolicyTick, PolicyUpdate } from './policies.ts';

const PPM = 1_000_000;
const BP_PPM = 100;
const toPpm = (ratio: number) => Math.ceil(Math.round(ratio * PPM) / BP_PPM) * BP_PPM;
const fmtPpm = (ppm: number) => (ppm / PPM).toFixed(6);
const marginOf = (mmPpm: number, imPpm: number): MarginModelConfigInput => ({
  kind: 'fixed',
  initialRatio: fmtPpm(imPpm),
  maintenance: { ratio: fmtPpm(mmPpm) },
});

export const LEARNED_TRAIN_BARS = 500;

export interface LearnedDecision {
  readonly minute: number;
  readonly model: 'forest' | 'ewma-fallback' | 'prior';
  /** Forecast variance of the next hour's log return. */
  readonly var1h: number;
  readonly sigmaH: number;
  readonly liquidity: number;
  readonly mmPpm: number;
  readonly imPpm: number;
}

export interface LearnedMarginPolicy extends MarginPolicy {
  readonly trace: readonly LearnedDecision[];
}

type Model = { readonly predict: (rows: readonly (readonly number[])[]) => number[] };
/** Trained forests by run start (deterministic: same start, same seed, same forest). */
const CACHE = new Map<
  number,
  { model: Model | undefined; context: readonly Bar[]; funding: readonly FundingPoint[] }
>();

function modelAt(startMs: number, seed: number) {
  const startSec = Math.floor(startMs / 1000);
  const key = startSec * 1000 + seed;
  let m = CACHE.get(key);
  if (m === undefined) {
    const { bars, funding } = forecastTrainingBars(startSec);
    const need = FEATURE_LOOKBACK + LEARNED_TRAIN_BARS;
    // The features' lookback must end at the run's start: a history that stops earlier (the
    // bundled Bitstamp file ends 2022-08-20) cannot describe the hours before the window.
    const fresh = bars.length > 0 && bars[bars.length - 1]!.openSec + 2 * 3600 >= startSec;
    if (bars.length < need || !fresh) m = { model: undefined, context: [], funding };
    else {
      const from = bars.length - LEARNED_TRAIN_BARS;
      const idx = Array.from({ length: LEARNED_TRAIN_BARS }, (_, k) => from + k);
      const model = trainForest(
        idx.map((i) => featuresAt(bars, i, funding).values),
        idx.map((i) => Math.log(parkinsonVariance(bars[i]!))),
        { ...DEFAULT_FOREST, seed },
      );
      m = { model, context: bars.slice(-FEATURE_LOOKBACK - 1), funding };
    }
    CACHE.set(key, m);
  }
  return m;
}

/** 60-minute bars backwards from the newest minute price (the oldest partial chunk dropped). */
export function rollingHourBars(prices: readonly number[], nowSec: number): Bar[] {
  const out: Bar[] = [];
  for (let end = prices.length; end - 60 >= 0; end -= 60) {
    const chunk = prices.slice(Math.max(0, end - 61), end); // the previous close opens the bar
    out.unshift({
      openSec: nowSec - 3600 * (out.length + 1),
      open: chunk[0]!,
      high: Math.max(...chunk),
      low: Math.min(...chunk),
      close: chunk[chunk.length - 1]!,
      volume: 0,
    });
  }
  return out;
}

export function learnedPolicy(
  opts: { readonly name?: string; readonly seed?: number } = {},
): LearnedMarginPolicy {
  const o = DEFAULT_DYNAMIC;
  const seed = opts.seed ?? DEFAULT_FOREST.seed;
  const floorPpm = toPpm(o.floorMm);
  const ceilPpm = Math.floor(Math.round(o.ceilingMm * PPM) / BP_PPM) * BP_PPM;
  const clampPpm = (p: number) => Math.max(floorPpm, Math.min(ceilPpm, p));
  const imFor = (mm: number) => Math.min(PPM, Math.round(mm * o.imOverMm));
  let prices: number[] = [];
  let returns: number[] = [];
  let lastEval = Number.NEGATIVE_INFINITY;
  let mmPpm = 0;
  let trace: LearnedDecision[] = [];
  let state: ReturnType<typeof modelAt> | undefined;
  const prior = () => o.priorVolPerMin ** 2 * 60;
  const initialPpm = () => clampPpm(toPpm(o.z * Math.sqrt((prior() * o.horizonMinutes) / 60)));

  return {
    name: opts.name ?? 'predictive-learned',
    description: `MM = clamp(${o.z}·σ${o.horizonMinutes}m[learned forest, next-hour] + unwind ${o.liquidityAddOn.oiShare * 100}% OI / ${o.liquidityAddOn.horizonMinutes}m, ${o.floorMm * 100}%, ${o.ceilingMm * 100}%), IM = ${o.imOverMm}×MM`,
    get trace() {
      return trace;
    },
    configFor(ctx) {
      prices = [];
      returns = [];
      lastEval = Number.NEGATIVE_INFINITY;
      trace = [];
      state = modelAt(ctx.startMs, seed);
      mmPpm = initialPpm();
      return { margin: marginOf(mmPpm, imFor(mmPpm)) };
    },
    onTick(tick: PolicyTick): PolicyUpdate | undefined {
      if (mmPpm === 0) mmPpm = initialPpm();
      const px = tick.exogenousPx;
      if (px > 0 && Number.isFinite(px)) {
        const prev = prices[prices.length - 1];
        if (prev !== undefined) returns.push(Math.log(px / prev));
        prices.push(px);
      }
      if (tick.minute - lastEval < o.updateEveryMinutes) return undefined;
      lastEval = tick.minute;
      let model: LearnedDecision['model'] = 'prior';
      let var1h = prior();
      const nowSec = Math.floor(tick.timeMs / 1000);
      if (state?.model !== undefined) {
        const recent = rollingHourBars(prices, nowSec);
        const ctxBars = state.context.slice(-(FEATURE_LOOKBACK + 1 - recent.length));
        const bars = [...ctxBars, ...recent].map((b, i, all) => ({
          ...b,
          openSec: nowSec - 3600 * (all.length - i),
        }));
        var1h = state.model.predict([
          featuresAt(
            bars,
            bars.length,
            state.funding.filter((f) => f.timeSec <= nowSec),
          ).values,
        ])[0]!;
        model = 'forest';
      } else if (returns.length >= o.warmupMinutes) {
        const f = fitEwma(returns, {
          lambda: 1 - 1 / o.ewmaMemoryMinutes,
          initWindow: Math.min(returns.length, 30),
        });
        var1h = f.cumulativeVariance(60);
        model = 'ewma-fallback';
      }
      const sigmaH = Math.sqrt((var1h * o.horizonMinutes) / 60);
      const liq = o.liquidityAddOn;
      const liquidity = liq.enabled
        ? unwindCostFraction(tick.book, liq.oiShare * tick.openInterestBase, liq.horizonMinutes)
        : 0;
      const next = clampPpm(toPpm(Math.max(o.floorMm, Math.min(o.ceilingMm, o.z * sigmaH + liquidity))));
      const emitted = next !== mmPpm;
      mmPpm = next;
      const imPpm = imFor(mmPpm);
      trace.push({ minute: tick.minute, model, var1h, sigmaH, liquidity, mmPpm, imPpm });
      return emitted ? { market: { margin: marginOf(mmPpm, imPpm) } } : undefined;
    },
  };
}
