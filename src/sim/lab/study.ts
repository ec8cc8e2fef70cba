/**
 * The risk lab's study: every policy comparison over many seeds, with intervals.
 *
 * A study runs, for each history and each keeper setting (the lab's default keeper, and each
 * latency of an optional sweep), every policy on the same `seeds` populations: seed s draws a
 * fresh trader population (and, on a synthetic path, the path too), and that population is run
 * under each policy — so policy differences are *paired* by seed. One run is one task
 * (`runStudyTask`, a pure function of the task); tasks run in order in this thread or spread
 * over worker threads (./study-pool.ts), and their outcomes are put back in task order, so the
 * study is identical for any number of workers.
 *
 * Per history × keeper × policy and metric (bad debt, liquidation steps, ADL notional, peak
 * cascade depth, time-averaged IM/OI) the report gives the mean with a 95 % Student-t interval
 * and a seeded percentile-bootstrap interval, and the paired difference against the baseline
 * policy (the first one, static-low by default) with both intervals; a difference whose interval
 * covers 0 is reported as "not distinguishable" from the baseline (../../analytics/stats.ts).
 *
 * The latency sweep adds, per history and policy, the latency at which mean bad debt first
 * reaches twice its value at the smallest fixed latency (linear interpolation between the two
 * latencies that bracket it), or "not reached" within the sweep. Block schedules (`block:12`)
 * are reported beside the fixed latencies but not used for the doubling.
 *
 * @example
 * const s = await runStudy({ histories: ['2021-05-19'], seeds: 3, accounts: 50, workers: 2 });
 * console.log(formatStudy(s));
 */
import {
  type BootstrapOptions,
  bootstrapInterval,
  type Interval,
  type PairedDifference,
  pairedDifference,
  tInterval,
} from '../../analytics/stats.ts';
import { DEFAULT_BEHAVIOUR, drawTraders, LAB_POPULATION_SPEC } from '../population.ts';
import { runComparison } from './compare.ts';
import type { HistorySpec } from './histories.ts';
import { mechanismByName, NO_MECHANISM } from './mechanisms.ts';
import { explainPopulation } from './personal-policy.ts';
import { policiesByName, REPORT_POLICY_NAMES } from './policy-registry.ts';
import { scaledPolicy } from './scaled-policy.ts';
import { matchUniform, type UniformMatch } from './uniform-match.ts';

export const STUDY_METRICS = [
  'badDebt',
  'liquidations',
  'adl',
  'cascadeDepth',
  'displacement',
  'imOi',
] as const;
export type StudyMetric = (typeof STUDY_METRICS)[number];

export const METRIC_LABELS: Readonly<Record<StudyMetric, string>> = {
  badDebt: 'bad debt USDC',
  liquidations: 'liquidation steps',
  adl: 'ADL notional USDC',
  cascadeDepth: 'peak cascade depth',
  displacement: 'peak mark displacement',
  imOi: 'IM/OI (time mean)',
};

/** One keeper setting of the latency sweep. */
export interface LatencySpec {
  /** `0 s`, `60 s`, `block 12 s`. */
  readonly label: string;
  readonly latencyMs: number;
  /** A block schedule: the step lands on the next block boundary. */
  readonly blockMs?: number;
}

/** The sweep the issue of keeper latency calls for: fixed latencies and three block times. */
export const DEFAULT_LATENCIES = '0,1,5,15,60,300,block:0.4,block:2,block:12';

/** A typed error for a bad study option (the CLI turns it into a usage error). */
export class StudyOptionError extends RangeError {
  override readonly name = 'StudyOptionError';
}

/** Parses `0,1,5,block:12` (seconds; `block:B` a block schedule of B seconds). */
export function parseLatencies(list: string): LatencySpec[] {
  const out: LatencySpec[] = [];
  const seen = new Set<string>();
  for (const raw of list.split(',').map((s) => s.trim())) {
    if (raw === '') continue;
    const block = /^block:(.+)$/.exec(raw);
    const text = block ? block[1]! : raw;
    const sec = Number(text);
    if (!/^[0-9]*\.?[0-9]+$/.test(text) || !Number.isFinite(sec) || sec > 86_400 || (block && sec === 0))
      throw new StudyOptionError(
        `latencies are seconds (0..86400) or block:SECONDS (> 0), comma-separated; got ${JSON.stringify(raw)}`,
      );
    const ms = Math.round(sec * 1000);
    const spec: LatencySpec = block
      ? { label: `block ${sec} s`, latencyMs: 0, blockMs: ms }
      : { label: `${sec} s`, latencyMs: ms };
    if (seen.has(spec.label)) throw new StudyOptionError(`latency ${raw} is listed twice`);
    seen.add(spec.label);
    out.push(spec);
  }
  if (out.length === 0) throw new StudyOptionError('no latency given');
  return out;
}

export interface StudyOptions {
  /** Crash ids (bundled windows). */
  readonly histories: readonly string[];
  /** Populations per history (seeds firstSeed .. firstSeed + seeds − 1). */
  readonly seeds: number;
  readonly firstSeed?: number;
  readonly accounts: number;
  /** Policy names; the first is the baseline of the paired differences (default: the report set). */
  readonly policies?: readonly string[];
  /** A latency sweep (absent: only the lab's default keeper). */
  readonly latencies?: readonly LatencySpec[];
  /** Worker threads (1: in this thread). */
  readonly workers?: number;
  /** Bootstrap resamples (default 2,000). */
  readonly resamples?: number;
  /**
   * Also compare at equal capital efficiency: each other policy's ratios are scaled so that its
   * opening-book IM/OI (time mean, `imOiBook`) over the first `calibrationSeeds` seeds (default 3) matches the baseline's
   * within `tolerance` (relative, default 2 %), by bisection on the log of the scale in
   * [1/8, 8]; then it runs on every seed at that scale.
   */
  readonly equalImOi?: { readonly calibrationSeeds?: number; readonly tolerance?: number };
  /**
   * Anti-cascade mechanisms (./mechanisms.ts) to measure: each runs with every policy on the same
   * seeds (default keeper), compared, paired by seed, with the same policy without it.
   */
  readonly mechanisms?: readonly string[];
  /**
   * Pareto frontier: every scalable policy at each of these scales of its margin ratios
   * (./scaled-policy.ts), on every seed: bad debt against the opening book's IM/OI (time mean).
   */
  readonly frontier?: readonly number[];
  /**
   * Populations with behaviours (sim/population.ts `DEFAULT_BEHAVIOUR`: rampers who pyramid, late
   * payers) and margin-call responders (lab/responders.ts defaults), and the personalized-margin
   * comparison of every policy with the baseline (`personal` in the result).
   */
  readonly behaviours?: boolean;
  /** Called after each run: done, total (calibration runs raise the total as they are added). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One run: a history, a seed, a policy, a keeper setting (undefined: the lab's default keeper). */
export interface StudyTask {
  readonly history: string;
  readonly seed: number;
  readonly policy: string;
  readonly accounts: number;
  readonly latency?: LatencySpec;
  /** Every margin ratio of the policy × scale (./scaled-policy.ts; the equal-IM/OI comparison). */
  readonly scale?: number;
  /** The scaled run is a point of the frontier (not the equal-IM/OI comparison). */
  readonly frontier?: boolean;
  /** An anti-cascade mechanism (./mechanisms.ts). */
  readonly mechanism?: string;
  /** Populations with behaviours and responders (`StudyOptions.behaviours`). */
  readonly behaviours?: boolean;
  /** The scaled run is the uniform alternative to personalized margin (./uniform-match.ts). */
  readonly uniform?: boolean;
}

/** What a run contributes to the study (plain numbers: it crosses thread boundaries). */
export interface StudyOutcome {
  readonly badDebt: number;
  readonly liquidations: number;
  readonly adl: number;
  readonly cascadeDepth: number;
  /** Largest |mark − exogenous| / exogenous over the run (below or above). */
  readonly displacement: number;
  readonly imOi: number;
  /** IM/OI at the start (before any liquidation thins out the most leveraged accounts). */
  readonly imOiStart: number;
  /**
   * IM/OI of the opening book under the requirement of each sample, time mean (the frontier's x
   * and the equal-IM/OI target: it is not re-weighted toward the accounts that survive).
   */
  readonly imOiBook: number;
  /** Well-behaved traders (no add-on on any part): Σ notional, USDC, and IM/OI at the start. */
  readonly wellNotional: number;
  readonly wellImOi: number;
  /** Σ (IM + per-account add-on) / Σ notional over every trader at the start. */
  readonly requiredImOi: number;
  /** Traders charged an add-on. */
  readonly charged: number;
  readonly conservationOk: boolean;
}

/** Runs one task (the lab's comparison with one policy; pure function of the task). */
export function runStudyTask(task: StudyTask): StudyOutcome {
  const history: HistorySpec = { kind: 'crash', id: task.history };
  const mechanism = task.mechanism !== undefined ? mechanismByName(task.mechanism) : undefined;
  const cmp = runComparison({
    ...(mechanism ? { mechanism } : {}),
    ...(task.behaviours ? { spec: { behaviour: DEFAULT_BEHAVIOUR }, responses: {} } : {}),
    crash: task.history,
    history,
    accounts: task.accounts,
    seed: task.seed,
    policies: policiesByName(task.policy).map((p) =>
      task.scale !== undefined ? scaledPolicy(p, task.scale) : p,
    ),
    ...(task.latency
      ? {
          keeper: {
            latencyMs: task.latency.latencyMs,
            ...(task.latency.blockMs !== undefined ? { blockMs: task.latency.blockMs } : {}),
          },
        }
      : {}),
  });
  const m = cmp.rows[0]!;
  return {
    badDebt: Number(m.badDebt.total),
    liquidations: m.liquidations.count,
    adl: Number(m.adl.notional),
    cascadeDepth: m.cascade.peakDepth,
    displacement: Math.max(Math.abs(m.cascade.maxDisplacement), m.cascade.maxDisplacementUp),
    imOi: m.capitalEfficiency.mean,
    imOiStart: m.capitalEfficiency.start.ratio,
    imOiBook: m.capitalEfficiency.bookMean,
    wellNotional: m.capitalEfficiency.personal?.wellBehaved.notional ?? 0,
    wellImOi: m.capitalEfficiency.personal?.wellBehaved.ratio ?? 0,
    requiredImOi: m.capitalEfficiency.personal?.requiredRatio ?? 0,
    charged: m.capitalEfficiency.personal?.charged ?? 0,
    conservationOk: m.conservation.ok,
  };
}

export interface MetricSummary {
  readonly t: Interval;
  readonly bootstrap: Interval;
  /** Paired difference policy − baseline (absent on the baseline itself). */
  readonly vsBaseline?: PairedDifference;
}

export interface PolicySummary {
  readonly policy: string;
  readonly metrics: Readonly<Record<StudyMetric, MetricSummary>>;
  readonly conservationOk: boolean;
}

export interface StudyCell {
  readonly history: string;
  /** 'default keeper' or the sweep's label. */
  readonly keeper: string;
  readonly latency?: LatencySpec;
  /** A mechanism cell: its name (each row's difference is against the same policy without it). */
  readonly mechanism?: string;
  readonly policies: readonly PolicySummary[];
}

/** One point of a policy's Pareto frontier: its ratios × scale, over every seed. */
export interface FrontierPoint {
  readonly history: string;
  readonly policy: string;
  readonly scale: number;
  /** Time mean of the traders' IM/OI over the run (survivors only: not monotone in the scale). */
  readonly imOi: Interval;
  /** Time mean of the opening book's IM/OI under the requirement of each sample: the x of the frontier. */
  readonly imOiBook: Interval;
  /**
   * IM/OI at the start. The time mean is not monotone in the scale: liquidations remove the most
   * leveraged (lowest IM/OI) accounts first, more of them at a low scale; the start is.
   */
  readonly imOiStart: Interval;
  readonly badDebt: Interval;
}

/** The default scales of `--frontier`. */
export const DEFAULT_FRONTIER = [0.5, 0.75, 1, 1.5, 2] as const;

/** Parses `0.5,1,2` (scales in [1/8, 8]); a RangeError-typed StudyOptionError otherwise. */
export function parseScales(list: string): number[] {
  const out: number[] = [];
  for (const raw of list.split(',').map((x) => x.trim())) {
    if (raw === '') continue;
    const k = Number(raw);
    if (!/^[0-9]*\.?[0-9]+$/.test(raw) || !(k >= 0.125 && k <= 8))
      throw new StudyOptionError(
        `frontier scales are numbers in [0.125, 8], comma-separated; got ${JSON.stringify(raw)}`,
      );
    if (out.includes(k)) throw new StudyOptionError(`scale ${raw} is listed twice`);
    out.push(k);
  }
  if (out.length < 2) throw new StudyOptionError('a frontier needs at least two scales');
  return out.sort((a, b) => a - b);
}

export interface Doubling {
  readonly history: string;
  readonly policy: string;
  /** Mean bad debt at the smallest fixed latency. */
  readonly reference: number;
  readonly referenceLatencySeconds: number;
  /** Interpolated latency (s) at which mean bad debt reaches 2 × reference; null if not reached. */
  readonly seconds: number | null;
  readonly note: string;
}

/** The scale found for a policy at equal IM/OI. */
export interface Calibration {
  readonly history: string;
  readonly policy: string;
  /** The baseline's opening-book IM/OI (time mean) over the calibration seeds. */
  readonly target: number;
  /** null: the policy cannot be scaled (portfolio scenarios) or no scale in [1/8, 8] matched. */
  readonly scale: number | null;
  readonly achieved: number;
  readonly iterations: number;
  readonly note: string;
}

export const EQUAL_IM_OI = 'equal IM/OI';

export interface StudyResult {
  readonly histories: readonly string[];
  readonly seeds: readonly number[];
  readonly accounts: number;
  readonly policies: readonly string[];
  readonly baseline: string;
  readonly latencies: readonly LatencySpec[];
  readonly cells: readonly StudyCell[];
  readonly doubling: readonly Doubling[];
  /** With `equalImOi`: the scale of each policy per history. */
  readonly calibrations: readonly Calibration[];
  /** Mechanisms measured (without `none`). */
  readonly mechanisms: readonly string[];
  /** With `frontier`: bad debt against IM/OI per history, policy and scale (means with t intervals). */
  readonly frontier: readonly FrontierPoint[];
  /** With `behaviours`: each policy against the baseline on the personalized-margin figures. */
  readonly personal: readonly PersonalComparison[];
  /** With `behaviours` and `personalized`: the baseline's scale asking the same total margin, per history. */
  readonly uniform: readonly (UniformMatch & { readonly history: string })[];
  /** Every run's outcome, in task order. */
  readonly runs: readonly (StudyTask & { readonly outcome: StudyOutcome })[];
}

/** One policy against the baseline on the figures personalized margin is judged by (paired by seed). */
export interface PersonalComparison {
  readonly history: string;
  readonly policy: string;
  /** What the differences are against (the baseline, or the uniform alternative). */
  readonly against: string;
  readonly badDebt: PairedDifference;
  /** Well-behaved traders' Σ notional at the start (USDC): the leverage they get. */
  readonly wellNotional: PairedDifference;
  readonly wellImOi: PairedDifference;
  /** Required IM/OI with the add-ons, every trader, at the start. */
  readonly requiredImOi: PairedDifference;
  readonly baselineWellImOi: number;
  readonly baselineRequiredImOi: number;
  readonly charged: number;
  /** The first seed's charged traders, largest add-on first, with their parts (at most 10). */
  readonly explanation: {
    readonly seed: number;
    readonly charged: number;
    readonly lines: readonly string[];
  };
}

/** The study's tasks, in a fixed order: history, keeper setting, seed, policy. */
export function studyTasks(opts: StudyOptions): StudyTask[] {
  validate(opts);
  const policies = opts.policies ?? REPORT_POLICY_NAMES;
  const first = opts.firstSeed ?? 1;
  const keepers: (LatencySpec | undefined)[] = [undefined, ...(opts.latencies ?? [])];
  const beh = opts.behaviours ? { behaviours: true } : {};
  const tasks: StudyTask[] = [];
  for (const history of opts.histories)
    for (const latency of keepers)
      for (let s = 0; s < opts.seeds; s++)
        for (const policy of policies)
          tasks.push({
            history,
            seed: first + s,
            policy,
            accounts: opts.accounts,
            ...(latency ? { latency } : {}),
            ...(opts.behaviours ? { behaviours: true } : {}),
          });
  for (const history of opts.histories)
    for (const mechanism of opts.mechanisms ?? [])
      for (let s = 0; s < opts.seeds; s++)
        for (const policy of policies)
          tasks.push({ history, seed: first + s, policy, accounts: opts.accounts, mechanism, ...beh });
  for (const history of opts.histories)
    for (const scale of opts.frontier ?? [])
      for (let s = 0; s < opts.seeds; s++)
        for (const policy of policies.filter(scalable))
          tasks.push({
            history,
            seed: first + s,
            policy,
            accounts: opts.accounts,
            scale,
            frontier: true,
            ...beh,
          });
  return tasks;
}

function validate(opts: StudyOptions): void {
  if (opts.histories.length === 0) throw new StudyOptionError('no history to study');
  if (!Number.isInteger(opts.seeds) || opts.seeds < 2)
    throw new StudyOptionError(`a study needs at least 2 seeds for an interval, got ${opts.seeds}`);
  if (!Number.isInteger(opts.accounts) || opts.accounts < 1)
    throw new StudyOptionError(`accounts must be a whole number ≥ 1, got ${opts.accounts}`);
  const w = opts.workers ?? 1;
  if (!Number.isInteger(w) || w < 1)
    throw new StudyOptionError(`workers must be a whole number ≥ 1, got ${w}`);
  policiesByName((opts.policies ?? REPORT_POLICY_NAMES).join(','));
  const seen = new Set<string>();
  for (const m of opts.mechanisms ?? []) {
    if (m === NO_MECHANISM)
      throw new StudyOptionError('`none` is the reference of every mechanism: list the others');
    try {
      mechanismByName(m);
    } catch (e) {
      throw new StudyOptionError((e as Error).message);
    }
    if (seen.has(m)) throw new StudyOptionError(`mechanism ${m} is listed twice`);
    seen.add(m);
  }
  if (opts.frontier) parseScales(opts.frontier.join(','));
}

/** Runs the study (workers > 1: worker threads) and summarizes it. */
export async function runStudy(opts: StudyOptions): Promise<StudyResult> {
  const tasks = studyTasks(opts);
  const workers = opts.workers ?? 1;
  let done = 0;
  let total = tasks.length;
  const execute = async (batch: readonly StudyTask[]): Promise<StudyOutcome[]> => {
    const base = done;
    const progress = (d: number) => {
      done = base + d;
      opts.onProgress?.(done, total);
    };
    if (workers === 1) {
      const out: StudyOutcome[] = [];
      for (const t of batch) {
        out.push(runStudyTask(t));
        progress(out.length);
        // Let a progress bar draw between runs.
        await new Promise<void>((r) => setImmediate(r));
      }
      return out;
    }
    const { runPool } = await import('./study-pool.ts');
    return runPool<StudyTask, StudyOutcome>(batch, workers, progress);
  };
  const outcomes = await execute(tasks);
  const allTasks = [...tasks];
  const calibrations: Calibration[] = [];
  const uniform: (UniformMatch & { history: string })[] = [];
  {
    const policies = opts.policies ?? REPORT_POLICY_NAMES;
    const baseline = policies[0]!;
    const first = opts.firstSeed ?? 1;
    if (
      opts.behaviours &&
      policies.includes(PERSONALIZED) &&
      baseline !== PERSONALIZED &&
      scalable(baseline)
    ) {
      const seeds = Array.from({ length: opts.seeds }, (_, i) => first + i);
      const uniTasks: StudyTask[] = [];
      for (const history of opts.histories) {
        const runs = plainRuns(tasks, outcomes, history, PERSONALIZED);
        const target = runs.reduce((a, r) => a + r.o.requiredImOi, 0) / runs.length;
        const m = matchUniform(history, seeds, opts.accounts, policiesByName(baseline)[0]!, target, true);
        uniform.push({ history, ...m });
        if (m.scale !== null)
          for (const seed of seeds)
            uniTasks.push({
              history,
              seed,
              policy: baseline,
              accounts: opts.accounts,
              scale: m.scale,
              uniform: true,
              behaviours: true,
            });
      }
      total += uniTasks.length;
      const uniOut = await execute(uniTasks);
      allTasks.push(...uniTasks);
      outcomes.push(...uniOut);
    }
  }
  if (opts.equalImOi) {
    const policies = opts.policies ?? REPORT_POLICY_NAMES;
    const baseline = policies[0]!;
    const calSeeds = Math.min(opts.equalImOi.calibrationSeeds ?? 3, opts.seeds);
    const tol = opts.equalImOi.tolerance ?? 0.02;
    const first = opts.firstSeed ?? 1;
    for (const history of opts.histories) {
      const baseRuns = plainRuns(tasks, outcomes, history, baseline).filter(
        ({ t }) => t.seed < first + calSeeds,
      );
      // The opening book's IM/OI, not the survivors' (which falls or rises with who is liquidated).
      const target = baseRuns.reduce((a, r) => a + r.o.imOiBook, 0) / baseRuns.length;
      const others = policies.slice(1).filter((p) => scalable(p));
      for (const p of policies.slice(1))
        if (!others.includes(p))
          calibrations.push({
            history,
            policy: p,
            target,
            scale: null,
            achieved: Number.NaN,
            iterations: 0,
            note: 'not scaled: its portfolio scenarios have no single ratio to scale',
          });
      // Bisection on log k, all policies of an iteration in one batch of runs.
      const state = new Map(
        others.map((p) => [
          p,
          { lo: Math.log(1 / 8), hi: Math.log(8), k: 1, achieved: Number.NaN, it: 0, done: false },
        ]),
      );
      for (let it = 0; it < 12 && [...state.values()].some((x) => !x.done); it++) {
        const active = others.filter((p) => !state.get(p)!.done);
        const batch: StudyTask[] = [];
        for (const p of active) {
          const st = state.get(p)!;
          st.k = it === 0 ? 1 : Math.exp((st.lo + st.hi) / 2);
          for (let s = 0; s < calSeeds; s++)
            batch.push({
              history,
              seed: first + s,
              policy: p,
              accounts: opts.accounts,
              scale: st.k,
              ...(opts.behaviours ? { behaviours: true } : {}),
            });
        }
        total += batch.length;
        const res = await execute(batch);
        active.forEach((p, j) => {
          const st = state.get(p)!;
          const got =
            res.slice(j * calSeeds, (j + 1) * calSeeds).reduce((a, o) => a + o.imOiBook, 0) / calSeeds;
          st.achieved = got;
          st.it = it + 1;
          if (Math.abs(got - target) <= tol * target) st.done = true;
          else if (got < target) st.lo = Math.log(st.k);
          else st.hi = Math.log(st.k);
          if (st.hi - st.lo < 1e-3) st.done = true;
        });
      }
      const eqTasks: StudyTask[] = [];
      for (const p of others) {
        const st = state.get(p)!;
        const ok = Math.abs(st.achieved - target) <= tol * target;
        calibrations.push({
          history,
          policy: p,
          target,
          scale: ok ? st.k : null,
          achieved: st.achieved,
          iterations: st.it,
          note: ok
            ? `ratios × ${st.k.toPrecision(3)}: IM/OI ${(st.achieved * 100).toFixed(2)}% vs ${(target * 100).toFixed(2)}%`
            : `no scale in [1/8, 8] reached the baseline's IM/OI (last ${(st.achieved * 100).toFixed(2)}%)`,
        });
        if (ok)
          for (let s = 0; s < opts.seeds; s++)
            eqTasks.push({
              history,
              seed: first + s,
              policy: p,
              accounts: opts.accounts,
              scale: st.k,
              ...(opts.behaviours ? { behaviours: true } : {}),
            });
      }
      total += eqTasks.length;
      const eqOut = await execute(eqTasks);
      allTasks.push(...eqTasks);
      outcomes.push(...eqOut);
    }
  }
  return { ...summarizeStudy(opts, allTasks, outcomes, opts.resamples, calibrations), uniform };
}

/** The lab's personalized-margin policy (./personal-policy.ts). */
export const PERSONALIZED = 'personalized';

/** Whether a policy's margin can be scaled (no engine portfolio model). */
function scalable(name: string): boolean {
  const p = policiesByName(name)[0]!;
  try {
    scaledPolicy(p, 2).configFor({
      marketId: 'BTC-PERP',
      baseMarket: { margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } } },
      openPrice: '60000',
      startMs: 0,
    } as never);
    return true;
  } catch {
    return false;
  }
}

/** The summary of a study from its tasks and their outcomes (pure). */
export function summarizeStudy(
  opts: StudyOptions,
  tasks: readonly StudyTask[],
  outcomes: readonly StudyOutcome[],
  resamples?: number,
  calibrations: readonly Calibration[] = [],
): StudyResult {
  const policies = [...(opts.policies ?? REPORT_POLICY_NAMES)];
  const baseline = policies[0]!;
  const first = opts.firstSeed ?? 1;
  const seeds = Array.from({ length: opts.seeds }, (_, i) => first + i);
  const latencies = [...(opts.latencies ?? [])];
  const keyOf = (t: StudyTask) =>
    `${t.history}|${
      t.mechanism !== undefined
        ? `mechanism ${t.mechanism}`
        : t.uniform
          ? 'uniform'
          : t.frontier
            ? `frontier ${t.scale}`
            : t.scale !== undefined
              ? EQUAL_IM_OI
              : (t.latency?.label ?? '')
    }|${t.policy}`;
  const byKey = new Map<string, StudyOutcome[]>();
  tasks.forEach((t, i) => {
    const k = keyOf(t);
    const list = byKey.get(k) ?? [];
    list.push(outcomes[i]!);
    byKey.set(k, list);
  });
  const cells: StudyCell[] = [];
  let cellNo = 0;
  for (const history of opts.histories)
    for (const latency of [undefined, ...latencies, ...(calibrations.length > 0 ? ['equal' as const] : [])]) {
      const equal = latency === 'equal';
      const cellPolicies = equal
        ? [
            baseline,
            ...calibrations.filter((c) => c.history === history && c.scale !== null).map((c) => c.policy),
          ]
        : policies;
      const series = (p: string) =>
        equal && p === baseline
          ? byKey.get(keyOf({ history, seed: 0, policy: p, accounts: 0 }))!
          : byKey.get(
              keyOf({
                history,
                seed: 0,
                policy: p,
                accounts: 0,
                ...(equal ? { scale: 1 } : latency ? { latency } : {}),
              }),
            )!;
      const base = series(baseline);
      const boot = (m: number): BootstrapOptions => ({
        seed: 1 + cellNo * 101 + m,
        ...(resamples !== undefined ? { resamples } : {}),
      });
      const rows: PolicySummary[] = cellPolicies.map((p) => {
        const runs = series(p);
        const metrics = {} as Record<StudyMetric, MetricSummary>;
        STUDY_METRICS.forEach((m, mi) => {
          const xs = runs.map((o) => o[m]);
          metrics[m] = {
            t: tInterval(xs),
            bootstrap: bootstrapInterval(xs, boot(mi)),
            ...(p === baseline
              ? {}
              : {
                  vsBaseline: pairedDifference(
                    xs,
                    base.map((o) => o[m]),
                    boot(50 + mi),
                  ),
                }),
          };
        });
        return { policy: p, metrics, conservationOk: runs.every((o) => o.conservationOk) };
      });
      cells.push({
        history,
        keeper: equal ? EQUAL_IM_OI : (latency?.label ?? 'default keeper'),
        ...(latency && !equal ? { latency } : {}),
        policies: rows,
      });
      cellNo++;
    }
  // Mechanism cells: every policy with the mechanism, each against itself without it (paired by seed).
  const mechanisms = [...(opts.mechanisms ?? [])];
  for (const history of opts.histories)
    for (const mechanism of mechanisms) {
      const boot = (m: number): BootstrapOptions => ({
        seed: 1 + cellNo * 101 + m,
        ...(resamples !== undefined ? { resamples } : {}),
      });
      const rows: PolicySummary[] = policies.map((p) => {
        const runs = byKey.get(`${history}|mechanism ${mechanism}|${p}`)!;
        const base = byKey.get(`${history}||${p}`)!;
        const metrics = {} as Record<StudyMetric, MetricSummary>;
        STUDY_METRICS.forEach((m, mi) => {
          const xs = runs.map((o) => o[m]);
          metrics[m] = {
            t: tInterval(xs),
            bootstrap: bootstrapInterval(xs, boot(mi)),
            vsBaseline: pairedDifference(
              xs,
              base.map((o) => o[m]),
              boot(50 + mi),
            ),
          };
        });
        return { policy: p, metrics, conservationOk: runs.every((o) => o.conservationOk) };
      });
      cells.push({ history, keeper: `mechanism: ${mechanism}`, mechanism, policies: rows });
      cellNo++;
    }
  const frontier: FrontierPoint[] = [];
  for (const history of opts.histories)
    for (const policy of policies)
      for (const scale of opts.frontier ?? []) {
        const runs = byKey.get(`${history}|frontier ${scale}|${policy}`);
        if (!runs) continue;
        frontier.push({
          history,
          policy,
          scale,
          imOi: tInterval(runs.map((o) => o.imOi)),
          imOiBook: tInterval(runs.map((o) => o.imOiBook)),
          imOiStart: tInterval(runs.map((o) => o.imOiStart)),
          badDebt: tInterval(runs.map((o) => o.badDebt)),
        });
      }
  return {
    histories: [...opts.histories],
    seeds,
    accounts: opts.accounts,
    policies,
    baseline,
    latencies,
    cells,
    doubling: doublings(cells),
    calibrations: [...calibrations],
    mechanisms,
    frontier,
    personal: opts.behaviours ? personalComparisons(opts, byKey, baseline, policies, seeds, resamples) : [],
    uniform: [],
    runs: tasks.map((t, i) => ({ ...t, outcome: outcomes[i]! })),
  };
}

/** Each policy − the baseline, paired by seed, on the personalized-margin figures (default keeper). */
export function personalComparisons(
  opts: Pick<StudyOptions, 'histories' | 'accounts'>,
  byKey: ReadonlyMap<string, readonly StudyOutcome[]>,
  baseline: string,
  policies: readonly string[],
  seeds: readonly number[],
  resamples?: number,
): PersonalComparison[] {
  const out: PersonalComparison[] = [];
  opts.histories.forEach((history, h) => {
    const base = byKey.get(`${history}||${baseline}`);
    if (!base) return;
    const intents = drawTraders({
      ...LAB_POPULATION_SPEC,
      accounts: opts.accounts,
      seed: seeds[0]!,
      behaviour: DEFAULT_BEHAVIOUR,
    });
    const uni = byKey.get(`${history}|uniform|${baseline}`);
    const uniName = `${baseline} uniform`;
    const pairs: [string, readonly StudyOutcome[] | undefined, string, readonly StudyOutcome[]][] = [
      ...policies.slice(1).map((p) => [p, byKey.get(`${history}||${p}`), baseline, base] as const),
      ...(uni
        ? ([
            [uniName, uni, baseline, base],
            ...(byKey.get(`${history}||${PERSONALIZED}`)
              ? [[PERSONALIZED, byKey.get(`${history}||${PERSONALIZED}`), uniName, uni] as const]
              : []),
          ] as const)
        : []),
    ].map((x) => [...x] as [string, readonly StudyOutcome[] | undefined, string, readonly StudyOutcome[]]);
    pairs.forEach(([policy, runs, against, ref], j) => {
      if (!runs) return;
      const boot = (m: number): BootstrapOptions => ({
        seed: 9001 + h * 101 + j * 11 + m,
        ...(resamples !== undefined ? { resamples } : {}),
      });
      const diff = (f: (o: StudyOutcome) => number, m: number) =>
        pairedDifference(runs.map(f), ref.map(f), boot(m));
      const p = policy === uniName ? undefined : policiesByName(policy)[0]!;
      const explanation = p?.initialAddOnPpm
        ? explainPopulation(intents.filter((i) => p.initialAddOnPpm!(i) > 0))
        : { charged: 0, lines: [] };
      out.push({
        history,
        policy,
        against,
        badDebt: diff((o) => o.badDebt, 0),
        wellNotional: diff((o) => o.wellNotional, 1),
        wellImOi: diff((o) => o.wellImOi, 2),
        requiredImOi: diff((o) => o.requiredImOi, 3),
        baselineWellImOi: ref.reduce((a, o) => a + o.wellImOi, 0) / ref.length,
        baselineRequiredImOi: ref.reduce((a, o) => a + o.requiredImOi, 0) / ref.length,
        charged: runs.reduce((a, o) => a + o.charged, 0) / runs.length,
        explanation: { seed: seeds[0]!, ...explanation },
      });
    });
  });
  return out;
}

/** Per history and policy: the latency at which mean bad debt doubles (fixed latencies only). */
export function doublings(cells: readonly StudyCell[]): Doubling[] {
  const out: Doubling[] = [];
  const histories = [...new Set(cells.map((c) => c.history))];
  for (const history of histories) {
    const fixed = cells
      .filter((c) => c.history === history && c.latency && c.latency.blockMs === undefined)
      .sort((a, b) => a.latency!.latencyMs - b.latency!.latencyMs);
    if (fixed.length < 2) continue;
    for (const p of fixed[0]!.policies.map((r) => r.policy)) {
      const pts = fixed.map((c) => ({
        s: c.latency!.latencyMs / 1000,
        y: c.policies.find((r) => r.policy === p)!.metrics.badDebt.t.mean,
      }));
      out.push(doublingOf(history, p, pts));
    }
  }
  return out;
}

/** The first crossing of 2 × y(first point), linearly interpolated; pure. */
export function doublingOf(
  history: string,
  policy: string,
  pts: readonly { s: number; y: number }[],
): Doubling {
  const ref = pts[0]!;
  const base = { history, policy, reference: ref.y, referenceLatencySeconds: ref.s };
  if (ref.y <= 0) {
    const firstDebt = pts.find((p) => p.y > 0);
    return {
      ...base,
      seconds: null,
      note: firstDebt
        ? `no bad debt at ${ref.s} s; first bad debt at ${firstDebt.s} s`
        : 'no bad debt at any latency',
    };
  }
  const target = 2 * ref.y;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    if (b.y >= target) {
      const s = b.y === a.y ? b.s : a.s + ((target - a.y) / (b.y - a.y)) * (b.s - a.s);
      return { ...base, seconds: s, note: `doubles at ≈ ${fmtSeconds(s)} s` };
    }
  }
  return { ...base, seconds: null, note: `not reached up to ${pts[pts.length - 1]!.s} s` };
}

const fmtSeconds = (s: number) => (s < 10 ? s.toFixed(1) : s.toFixed(0));

// --- text -----------------------------------------------------------------------------------

const fmt = (m: StudyMetric, x: number) =>
  !Number.isFinite(x)
    ? '—'
    : m === 'imOi'
      ? `${(x * 100).toFixed(2)}%`
      : m === 'cascadeDepth'
        ? x.toFixed(1)
        : m === 'displacement'
          ? `${(x * 100).toFixed(2)}%`
          : Math.round(x).toLocaleString('en-US');

/** `mean [lo, hi]`. */
export function formatInterval(m: StudyMetric, i: Interval): string {
  return `${fmt(m, i.mean)} [${fmt(m, i.lo)}, ${fmt(m, i.hi)}]`;
}

/** `+1,234 [−50, +2,400] ~` : the paired difference and whether it is distinguishable. */
export function formatDifference(m: StudyMetric, d: PairedDifference | undefined): string {
  if (!d) return 'baseline';
  const sign = (x: number) => (x > 0 ? '+' : '') + fmt(m, x);
  return `${sign(d.t.mean)} [${sign(d.t.lo)}, ${sign(d.t.hi)}]${d.distinguishable ? '' : ' ~'}`;
}

function table(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** One table per history × keeper: means with 95 % t intervals, then paired differences. */
export function formatStudy(s: StudyResult): string {
  const out: string[] = [];
  out.push(
    `Study: ${s.histories.join(', ')} · ${s.seeds.length} seeds (${s.seeds[0]}..${s.seeds[s.seeds.length - 1]}) × ${s.accounts} traders · baseline ${s.baseline}`,
  );
  out.push(
    'Cells: mean [95 % percentile-bootstrap interval] over the seeds; Δ: paired difference policy − baseline, same seed, mean [95 % paired-t interval]; "~": not distinguishable from the baseline (the paired t or bootstrap interval covers 0).',
  );
  const cells = s.cells.filter((c) => !c.latency);
  for (const c of s.calibrations) out.push(`Equal IM/OI, ${c.history}: ${c.policy} ${c.note}`);
  for (const c of cells) {
    out.push(
      '',
      c.mechanism !== undefined
        ? `${c.history} · ${c.keeper} (Δ: each policy with the mechanism − the same policy without it)`
        : `${c.history} · ${c.keeper}`,
    );
    const deltas: readonly StudyMetric[] =
      c.mechanism !== undefined ? ['badDebt', 'cascadeDepth', 'displacement'] : ['badDebt', 'adl'];
    const short: Partial<Record<StudyMetric, string>> = {
      badDebt: 'Δ bad debt',
      adl: 'Δ ADL',
      cascadeDepth: 'Δ depth',
      displacement: 'Δ displacement',
    };
    const head = ['policy', ...STUDY_METRICS.map((m) => METRIC_LABELS[m]), ...deltas.map((m) => short[m]!)];
    const body = c.policies.map((p) => [
      p.policy + (p.conservationOk ? '' : ' ✗conservation'),
      ...STUDY_METRICS.map((m) => formatInterval(m, p.metrics[m].bootstrap)),
      ...deltas.map((m) => formatDifference(m, p.metrics[m].vsBaseline)),
    ]);
    out.push(table(head, body));
  }
  if (s.frontier.length > 0) {
    out.push(
      '',
      "Pareto frontier: bad debt USDC against the opening book's IM/OI (time mean), margin ratios × scale, mean [95 % t interval]",
    );
    for (const history of s.histories) {
      const pts = s.frontier.filter((f) => f.history === history);
      const scales = [...new Set(pts.map((f) => f.scale))];
      const pols = [...new Set(pts.map((f) => f.policy))];
      out.push(`${history}`);
      out.push(
        table(
          ['policy', ...scales.map((k) => `× ${k}`)],
          pols.map((p) => [
            p,
            ...scales.map((k) => {
              const f = pts.find((x) => x.policy === p && x.scale === k)!;
              return `${fmt('imOi', f.imOiBook.mean)} → ${formatInterval('badDebt', f.badDebt)}`;
            }),
          ]),
        ),
      );
    }
  }
  if (s.personal.length > 0) {
    out.push(
      '',
      `Personalized margin (populations with behaviours): policy − reference, same seed, mean [95 % paired-t interval]; well-behaved: traders with no add-on on any part; uniform: ${s.baseline}'s ratios × k asking the same total margin as personalized at the start`,
    );
    for (const u of s.uniform)
      out.push(
        `Uniform, ${u.history}: ${u.scale === null ? 'no scale in [1, 8] matched' : `ratios × ${u.scale.toPrecision(3)}`}: required IM/OI ${(u.achieved * 100).toFixed(2)}% vs personalized ${(u.target * 100).toFixed(2)}%`,
      );
    out.push(
      table(
        [
          'history',
          'policy − against',
          'charged',
          'Δ bad debt',
          'Δ well-behaved notional',
          'Δ well-behaved IM/OI',
          'required IM/OI (baseline → policy)',
        ],
        s.personal.map((c) => [
          c.history,
          `${c.policy} − ${c.against}`,
          c.charged.toFixed(1),
          formatDifference('badDebt', c.badDebt),
          formatDifference('adl', c.wellNotional),
          formatDifference('imOi', c.wellImOi),
          `${fmt('imOi', c.baselineRequiredImOi)} → ${fmt('imOi', c.baselineRequiredImOi + c.requiredImOi.t.mean)}`,
        ]),
      ),
    );
    const shown = new Set<string>();
    for (const c of s.personal) {
      if (c.explanation.lines.length === 0 || shown.has(c.policy)) continue;
      shown.add(c.policy);
      out.push(
        `${c.policy}: ${c.explanation.charged} of ${s.accounts} traders charged (seed ${c.explanation.seed}); the largest add-ons:`,
        ...c.explanation.lines.map((l) => `  ${l}`),
      );
    }
  }
  if (s.latencies.length > 0) {
    for (const history of s.histories) {
      out.push('', `${history} · keeper latency sweep: bad debt USDC, mean [95 % bootstrap interval]`);
      const rows = s.cells.filter((c) => c.history === history && c.latency);
      const head = ['latency', ...s.policies];
      out.push(
        table(
          head,
          rows.map((c) => [
            c.keeper,
            ...c.policies.map((p) => formatInterval('badDebt', p.metrics.badDebt.bootstrap)),
          ]),
        ),
      );
      out.push(`${history} · ADL notional USDC and peak cascade depth (means)`);
      out.push(
        table(
          head,
          rows.map((c) => [
            c.keeper,
            ...c.policies.map(
              (p) =>
                `${fmt('adl', p.metrics.adl.t.mean)} / ${fmt('cascadeDepth', p.metrics.cascadeDepth.t.mean)}`,
            ),
          ]),
        ),
      );
      const d = s.doubling.filter((x) => x.history === history);
      if (d.length > 0)
        out.push(
          `Bad debt doubles (vs ${d[0]!.referenceLatencySeconds} s): ${d.map((x) => `${x.policy} ${x.note}`).join(' · ')}`,
        );
    }
  }
  return out.join('\n');
}

/** The runs of `policy` on `history` with the default keeper: no latency, mechanism or scale. */
function plainRuns<O>(
  tasks: readonly StudyTask[],
  outcomes: readonly O[],
  history: string,
  policy: string,
): { t: StudyTask; o: O }[] {
  return tasks
    .map((t, i) => ({ t, o: outcomes[i]! }))
    .filter(
      ({ t }) =>
        t.history === history &&
        !t.latency &&
        t.mechanism === undefined &&
        t.scale === undefined &&
        t.policy === policy,
    );
}
