/**
 * The histories the risk lab can run: the bundled real crash windows and seeded synthetic
 * paths, behind one description (`HistorySpec`) so the comparison, `plimsoll simulate` and
 * `plimsoll calibrate` treat them alike.
 *
 * - Real: `{ kind: 'crash', id }` — the 1-minute BTC klines of data/ (src/sim/data/crashes.ts),
 *   four points per bar (`klinePoints`), or an ETH day (`2021-05-19-eth`: 10-minute bars, four
 *   points per bar spread over its ten minutes). The ETH days run the same one-market venue
 *   with the ETH price as its price (the market keeps its id; collateral posted in the base
 *   asset follows the same path, i.e. ETH margining ETH); the book is the parametric one scaled
 *   to the population's open interest in base units, so it is as deep relative to the venue's
 *   open interest as on the BTC histories — an assumption, no ETH depth data is bundled. Only 2025-10-10 has real depth snapshots
 *   (data/BTCUSDT-bookDepth-2025-10-10.csv); the others default to the parametric book.
 * - Synthetic: `{ kind: 'synthetic', model, seed, minutes }` — a path of the seeded
 *   generators in src/sim/paths/, one price every 15 s (the same density as four points a
 *   minute), starting at `SYNTHETIC_START_MS` and `SYNTHETIC_S0`. Models and their
 *   parameters (`SYNTHETIC_MODELS`) were fixed before any run, as plausible BTC figures, not
 *   fitted or tuned to any outcome:
 *   - `gbm`: σ 60 %/yr, μ 0 (BTC's long-run annualised volatility is of that order);
 *   - `jump`: Merton jump-diffusion, σ 50 %/yr plus on average 4 jumps a day of
 *     log size N(−1 %, 3 %) — fat tails and sudden gaps a GBM lacks;
 *   - `regime`: two-state regime-switching GBM, calm (σ 40 %/yr, stays 6 h on average)
 *     and stressed (σ 250 %/yr, μ −500 %/yr, stays 1 h), starting calm.
 *   The path's stream is seeded with `pathSeed(seed)`, not `seed` itself, so that a
 *   population drawn with the same `--seed` does not share its random numbers.
 *   Prices are float64 (a model of the market) written with 2 decimals; they become exact
 *   px8 marks at the engine's boundary.
 *
 * @example
 * const h = loadHistory({ kind: 'synthetic', model: 'jump', seed: 7, minutes: 240 });
 * h.points.length; // 960 (4 per minute)
 */
import { LAB_WINDOWS, labWindow, loadWindowKlines } from '../data/crashes.ts';
import { simulateGbm } from '../paths/gbm.ts';
import { simulateMerton } from '../paths/merton.ts';
import { simulateRegimeSwitching } from '../paths/regime.ts';
import { Rng } from '../rng.ts';
import { arrayPoints, klinePoints, type PricePoint } from './cascade-sim.ts';

export type SyntheticModel = 'gbm' | 'jump' | 'regime';
export const SYNTHETIC_MODEL_IDS: readonly SyntheticModel[] = ['gbm', 'jump', 'regime'];

export type HistorySpec =
  | { readonly kind: 'crash'; readonly id: string }
  | {
      readonly kind: 'synthetic';
      readonly model: SyntheticModel;
      readonly seed: number;
      readonly minutes: number;
    };

export interface History {
  /** `2025-10-10`, or `gbm-seed42-1440m`. */
  readonly id: string;
  readonly description: string;
  readonly points: PricePoint[];
  /** Whether real banded depth snapshots cover the window ('auto' depth uses them). */
  readonly realDepth: boolean;
  /** The underlying whose prices the path is (synthetic paths: BTC-like). */
  readonly asset: 'BTC' | 'ETH';
}

/**
 * The crash ids the lab runs: the BTC windows, then the ETH days (`2020-03-12-eth`: the asset is
 * part of the id, so one `--crash` list chooses both the history and the asset).
 */
export const LAB_CRASH_IDS: readonly string[] = LAB_WINDOWS.map((w) => w.id);

/** 2025-01-01 00:00 UTC: an arbitrary, fixed start (funding ticks fall on 8-hour boundaries). */
export const SYNTHETIC_START_MS = Date.UTC(2025, 0, 1);
export const SYNTHETIC_S0 = 60_000;
export const SYNTHETIC_STEP_MS = 15_000;
export const DEFAULT_SYNTHETIC_MINUTES = 1440;
const STEP_YEARS = SYNTHETIC_STEP_MS / (365 * 86_400_000);
const YEAR_DAYS = 365;

/** The fixed parameters of each synthetic model (see the module header). */
export const SYNTHETIC_MODELS = {
  gbm: { muPerYear: 0, sigmaPerYear: 0.6 },
  jump: { muPerYear: 0, sigmaPerYear: 0.5, jumpsPerYear: 4 * YEAR_DAYS, jumpMean: -0.01, jumpStd: 0.03 },
  regime: {
    regimes: [
      { muPerYear: 0, sigmaPerYear: 0.4, meanDurationYears: 6 / (24 * YEAR_DAYS) },
      { muPerYear: -5, sigmaPerYear: 2.5, meanDurationYears: 1 / (24 * YEAR_DAYS) },
    ],
    initialState: 0,
  },
} as const;

/** The seed of a synthetic path's stream, derived from the run's seed (golden-ratio offset). */
export function pathSeed(seed: number): number {
  return (seed + 0x9e3779b9) >>> 0;
}

/** Parses `2025-10-10` or `gbm|jump|regime`; throws a message naming the valid values. */
export function syntheticModel(text: string): SyntheticModel {
  if ((SYNTHETIC_MODEL_IDS as readonly string[]).includes(text)) return text as SyntheticModel;
  throw new RangeError(
    `unknown path model ${JSON.stringify(text)}; known: ${SYNTHETIC_MODEL_IDS.join(', ')}`,
  );
}

/** The exogenous price points of a history, optionally cut to [fromMs, toMs]. */
export function loadHistory(spec: HistorySpec, fromMs?: number, toMs?: number): History {
  if (spec.kind === 'crash') {
    const w = labWindow(spec.id);
    const klines = loadWindowKlines(spec.id).filter(
      (k) => (fromMs === undefined || k.openTimeMs >= fromMs) && (toMs === undefined || k.openTimeMs <= toMs),
    );
    if (klines.length === 0) throw new RangeError('no bars in the requested part of the window');
    return {
      id: w.id,
      description: w.description,
      points: klinePoints(klines, w.intervalMs),
      realDepth: w.id === '2025-10-10',
      asset: w.asset,
    };
  }
  const { model, seed, minutes } = spec;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 10 * 1440)
    throw new RangeError(`synthetic path minutes must be a whole number in [1, 14400], got ${minutes}`);
  const steps = minutes * (60_000 / SYNTHETIC_STEP_MS) - 1;
  const rng = new Rng(pathSeed(seed));
  const s0 = SYNTHETIC_S0;
  let prices: Float64Array;
  if (model === 'gbm') prices = simulateGbm({ s0, ...SYNTHETIC_MODELS.gbm, dtYears: STEP_YEARS, steps }, rng);
  else if (model === 'jump')
    prices = simulateMerton({ s0, ...SYNTHETIC_MODELS.jump, dtYears: STEP_YEARS, steps }, rng).prices;
  else
    prices = simulateRegimeSwitching(
      {
        s0,
        regimes: SYNTHETIC_MODELS.regime.regimes,
        initialState: SYNTHETIC_MODELS.regime.initialState,
        dtYears: STEP_YEARS,
        steps,
      },
      rng,
    ).prices;
  // Cents: the path is a model; two decimals keep the marks readable and tick-aligned.
  const points = arrayPoints(
    Array.from(prices, (p) => Math.max(0.01, p).toFixed(2)),
    SYNTHETIC_START_MS,
    SYNTHETIC_STEP_MS,
  ).filter((p) => (fromMs === undefined || p.timeMs >= fromMs) && (toMs === undefined || p.timeMs <= toMs));
  if (points.length === 0) throw new RangeError('no points in the requested part of the path');
  return {
    id: `${model}-seed${seed}-${minutes}m`,
    description: `synthetic ${model} path, seed ${seed} (path stream ${pathSeed(seed)}), ${minutes} minutes from ${s0}`,
    points,
    realDepth: false,
    asset: 'BTC',
  };
}

/** Parses a history id as the CLI gives it: a crash id, or a model with seed and length. */
export function historyOf(opts: {
  crash?: string;
  path?: string;
  seed: number;
  minutes?: number;
}): HistorySpec {
  if (opts.crash !== undefined && opts.path !== undefined)
    throw new RangeError('give either --crash or --path, not both');
  if (opts.path !== undefined)
    return {
      kind: 'synthetic',
      model: syntheticModel(opts.path),
      seed: opts.seed,
      minutes: opts.minutes ?? DEFAULT_SYNTHETIC_MINUTES,
    };
  if (opts.minutes !== undefined) throw new RangeError('--minutes applies to synthetic paths (--path) only');
  return { kind: 'crash', id: opts.crash ?? '2025-10-10' };
}
