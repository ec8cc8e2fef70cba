/**
 * `plimsoll simulate`: run the margin-policy comparison over a real crash
 * (src/sim/lab/compare.ts), print the summary table, and write a self-contained
 * report for a risk committee.
 *
 *   plimsoll simulate [--crash 2025-10-10 | --path gbm|jump|regime [--minutes 1440]]
 *                     [--accounts 1000] [--seed 42] [--dynamic | --policies LIST] [--out DIR]
 *
 *   plimsoll simulate --study [--crash 2025-10-10,2020-03-12] [--seeds 30] [--seed 42] [--accounts 200]
 *                     [--workers N] [--latency [0,1,5,...]] [--quick] [--json] [--policies LIST] [--out DIR]
 *
 * `--study` runs every policy over many trader populations per crash (./simulate-study.ts).
 * `--path` runs a seeded synthetic path (src/sim/lab/histories.ts) instead of a real crash;
 * `--seed` seeds both the population and the path (the path from a derived stream).
 *
 * DIR/report.html: inline SVG charts (rendered server-side with vega-lite → vega), the
 * metrics table and how to read it; no scripts, no network. DIR/metrics.json: every
 * metric of every run, money and bigints as decimal strings. A progress bar goes to
 * stderr only when stderr is a terminal.
 */
import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type Comparison,
  formatAccountLevel,
  formatModesTable,
  formatOracle,
  formatTable,
  runComparison,
  shareOf,
} from '../sim/lab/compare.ts';
import { dynamicPolicies } from '../sim/lab/dynamic-policy.ts';
import { historyOf, LAB_CRASH_IDS, SYNTHETIC_MODEL_IDS } from '../sim/lab/histories.ts';
import { MECHANISM_NAMES, parseMechanisms } from '../sim/lab/mechanisms.ts';
import { DEFAULT_POLICIES } from '../sim/lab/policies.ts';
import { POLICY_NAMES, policiesByName } from '../sim/lab/policy-registry.ts';
import { type ResponseSpec, responseOptions } from '../sim/lab/responders.ts';
import {
  DEFAULT_FRONTIER,
  DEFAULT_LATENCIES,
  type LatencySpec,
  parseLatencies,
  parseScales,
} from '../sim/lab/study.ts';
import { hasOracleFeed } from '../sim/oracle-feed.ts';
import { writeReport } from '../sim/report/report.ts';
import { intInRange } from './args.ts';
import { EXIT_FAILURE, EXIT_OK, reportFailure, UsageError } from './errors.ts';
import { runStudyCommand } from './simulate-study.ts';

export interface SimulateOptions {
  /** A bundled crash id (ignored when `path` is given). */
  readonly crash: string;
  /** A synthetic path model instead of the crash, and its length in minutes. */
  readonly path?: string;
  readonly minutes?: number;
  /** Comma-separated policy names (overrides `dynamic`). */
  readonly policies?: string;
  /** Share of cash-and-carry traders (sim/population.ts `hedgedShare`; default 0). */
  readonly hedged?: number;
  /** Traders who respond to margin calls (lab/responders.ts); none if absent. */
  readonly responses?: Partial<Omit<ResponseSpec, 'seed'>>;
  readonly accounts: number;
  readonly seed: number;
  readonly dynamic: boolean;
  readonly out: string;
  /**
   * 'oracle' | 'klines' (see CompareOptions.prices); default 'klines'. 'oracle' only where the
   * crash has a multi-source feed (2025-10-10).
   */
  readonly prices?: 'oracle' | 'klines';
}

export interface SimulateIo {
  readonly out: (text: string) => void;
  readonly err: NodeJS.WriteStream | { readonly isTTY?: boolean; write(text: string): unknown };
}

export interface SimulateResult {
  readonly code: number;
  readonly comparison: Comparison;
  readonly files: { readonly html: string; readonly metrics: string };
  readonly wallSeconds: number;
}

/** Runs the comparison one policy at a time (same inputs as one call) so progress can be shown. */
export async function runSimulate(opts: SimulateOptions, io: SimulateIo): Promise<SimulateResult> {
  const feed = opts.path === undefined && hasOracleFeed(opts.crash);
  if (opts.prices === 'oracle' && !feed)
    throw new UsageError(
      `--prices oracle needs several price sources; ${opts.path === undefined ? opts.crash : `the ${opts.path} path`} has one series (use --prices klines)`,
    );
  const prices = opts.prices ?? 'klines';
  const history = historyOf({
    ...(opts.path === undefined ? { crash: opts.crash } : { path: opts.path }),
    ...(opts.minutes !== undefined ? { minutes: opts.minutes } : {}),
    seed: opts.seed,
  });
  const policies =
    opts.policies !== undefined
      ? policiesByName(opts.policies)
      : opts.dynamic
        ? [...DEFAULT_POLICIES, ...dynamicPolicies()]
        : [...DEFAULT_POLICIES];
  const t0 = performance.now();
  const bar =
    io.err.isTTY === true
      ? new SingleBar({
          stream: io.err as NodeJS.WriteStream,
          format: 'simulate |{bar}| {value}/{total} policies · {policy}',
          hideCursor: true,
          clearOnComplete: true,
        })
      : undefined;
  bar?.start(policies.length, 0, { policy: policies[0]!.name });
  const parts: Comparison[] = [];
  try {
    for (const policy of policies) {
      bar?.update({ policy: policy.name });
      bar?.render();
      parts.push(
        runComparison({
          crash: opts.crash,
          history,
          accounts: opts.accounts,
          seed: opts.seed,
          policies: [policy],
          prices,
          ...(opts.responses ? { responses: opts.responses } : {}),
          ...(opts.hedged !== undefined ? { spec: { hedgedShare: opts.hedged } } : {}),
        }),
      );
      bar?.increment();
    }
  } finally {
    bar?.stop();
  }
  const first = parts[0]!;
  const comparison: Comparison = {
    ...first,
    rows: parts.flatMap((p) => p.rows),
    results: parts.flatMap((p) => p.results),
  };
  const files = await writeReport(opts.out, comparison, {
    crash: comparison.history.id,
    accounts: opts.accounts,
    seed: opts.seed,
    dynamic: opts.dynamic,
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const ok = comparison.rows.every((m) => m.conservation.ok);
  io.out(`${formatTable(comparison.rows)}\n\n`);
  io.out(`${formatModesTable(comparison.rows)}\n\n`);
  const accountLevel = formatAccountLevel(comparison.rows);
  if (accountLevel) io.out(`${accountLevel}\n\n`);
  const oracle = formatOracle(comparison.rows);
  if (oracle) io.out(`${oracle}\n\n`);
  io.out(
    `Conservation (INV-01) ${ok ? '✓' : '✗'} in every run · wall time ${wallSeconds.toFixed(1)} s\n` +
      `Report  ${files.html}\nMetrics ${files.metrics}\n`,
  );
  return { code: ok ? EXIT_OK : EXIT_FAILURE, comparison, files, wallSeconds };
}

interface SimulateFlags {
  crash?: string;
  path?: string;
  minutes?: number;
  policies?: string;
  responders?: string;
  hedged?: number;
  responseDelay?: string;
  responseDeposit?: string;
  accounts?: number;
  seed: number;
  dynamic: boolean;
  out: string;
  prices?: 'oracle' | 'klines';
  study: boolean;
  seeds?: number;
  workers?: number;
  latency?: string | true;
  equalIm: boolean;
  mechanisms?: string;
  frontier?: string | true;
  behaviours: boolean;
  quick: boolean;
  json: boolean;
}

/** `--crash`: one crash id, or (with --study) a comma-separated list of them. */
function crashList(text: string): string {
  const known = LAB_CRASH_IDS;
  const ids = text.split(',').map((s) => s.trim());
  for (const id of ids)
    if (!known.includes(id))
      throw new InvalidArgumentError(`unknown crash ${JSON.stringify(id)}; known: ${known.join(', ')}`);
  if (new Set(ids).size !== ids.length) throw new InvalidArgumentError('a crash is listed twice');
  return ids.join(',');
}

/** The study flags, checked: a usage error names what does not apply. */
function studyAction(o: SimulateFlags): void {
  for (const [flag, set] of [
    ['--path', o.path !== undefined],
    ['--minutes', o.minutes !== undefined],
    ['--prices', o.prices !== undefined],
    ['--responders', o.responders !== undefined],
    ['--hedged', o.hedged !== undefined],
    ['--dynamic', o.dynamic],
  ] as const)
    if (set)
      throw new UsageError(`${flag} does not apply to --study (it runs the bundled crashes with klines)`);
  let latencies: LatencySpec[] | undefined;
  let mechanisms: string[] | undefined;
  let frontier: number[] | undefined;
  try {
    latencies =
      o.latency === undefined
        ? undefined
        : parseLatencies(o.latency === true ? DEFAULT_LATENCIES : o.latency);
    mechanisms = o.mechanisms === undefined ? undefined : parseMechanisms(o.mechanisms);
    frontier =
      o.frontier === undefined
        ? undefined
        : parseScales(o.frontier === true ? DEFAULT_FRONTIER.join(',') : o.frontier);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  runStudyCommand(
    {
      ...(o.crash !== undefined ? { histories: o.crash.split(',') } : {}),
      ...(o.seeds !== undefined ? { seeds: o.seeds } : {}),
      firstSeed: o.seed,
      ...(o.accounts !== undefined ? { accounts: o.accounts } : {}),
      ...(o.policies !== undefined ? { policies: o.policies.split(',').map((s) => s.trim()) } : {}),
      ...(latencies ? { latencies } : {}),
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      // The frontier's headline is the comparison at equal IM/OI.
      equalImOi: o.equalIm || frontier !== undefined,
      ...(mechanisms ? { mechanisms } : {}),
      ...(frontier ? { frontier } : {}),
      ...(o.behaviours ? { behaviours: true } : {}),
      quick: o.quick,
      json: o.json,
      out: resolve(o.out),
    },
    { out: (t) => process.stdout.write(t), err: process.stderr },
  ).then(
    (r) => {
      process.exitCode = r.code;
    },
    (e: unknown) => {
      process.exitCode = reportFailure(e);
    },
  );
}

/** A share in [0, 1] (commander argParser). */
function share(flag: string) {
  return (text: string): number => {
    try {
      return shareOf(text, flag);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

/** Validates a policy list at parse time (a usage error names the known policies). */
function policyList(text: string): string {
  try {
    policiesByName(text);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  return text;
}

/** Adds the `simulate` command to `program`. */
export function registerSimulateCommand(program: Command): Command {
  return program
    .command('simulate')
    .description(
      'Compare margin policies over a real crash or a seeded synthetic path (same traders, same book) and write an HTML report and metrics.json.',
    )
    .addOption(
      new Option(
        '--crash <id>',
        `crash window to replay (default 2025-10-10; ids ending in -eth are ETH days; with --study a comma-separated list, default all: ${LAB_CRASH_IDS.join(', ')})`,
      )
        .argParser(crashList)
        .conflicts('path'),
    )
    .addOption(
      new Option('--path <model>', 'a seeded synthetic path instead of a crash (seeded by --seed)').choices(
        SYNTHETIC_MODEL_IDS,
      ),
    )
    .option('--minutes <n>', 'length of the synthetic path', intInRange('--minutes', 1, 14_400))
    .option(
      '--hedged <share>',
      'share of cash-and-carry traders: BTC collateral, short perpetual (default 0)',
      share('--hedged'),
    )
    .option('--responders <share>', 'share of traders who respond to margin calls (default: none)')
    .option(
      '--response-delay <min>',
      'median minutes from a margin call to the response (default 5; 0: at once)',
    )
    .option(
      '--response-deposit <p>',
      'probability that a response is a deposit, else a reduction (default 0.5)',
    )
    .option(
      '--policies <list>',
      `comma-separated policies, instead of the default set (${POLICY_NAMES.join(', ')})`,
      policyList,
    )
    .option(
      '--accounts <n>',
      'number of traders (default 1000; per population with --study: 200, 50 with --quick)',
      intInRange('--accounts', 1, 100_000),
    )
    .option(
      '--seed <n>',
      'seed of the population (with --study: the first of the seeds)',
      intInRange('--seed', 0, 2 ** 32 - 1),
      42,
    )
    .option(
      '--study',
      'run every policy over many trader populations per crash, with 95 % intervals and paired differences against the first policy (writes study.html and study.json)',
      false,
    )
    .option(
      '--seeds <n>',
      'with --study: populations per crash (default 30; 3 with --quick)',
      intInRange('--seeds', 2, 10_000),
    )
    .option(
      '--workers <n>',
      'with --study: worker threads (default: the number of cores)',
      intInRange('--workers', 1, 256),
    )
    .option(
      '--latency [list]',
      `with --study: also sweep the keeper's latency, seconds or block:SECONDS, comma-separated (no list: ${DEFAULT_LATENCIES})`,
    )
    .option(
      '--equal-im',
      "with --study: also compare at equal capital efficiency (each policy's ratios scaled until its opening book's IM/OI matches the first policy's)",
      false,
    )
    .option(
      '--mechanisms <list>',
      `with --study: anti-cascade mechanisms to measure, each against the same policy without it (${MECHANISM_NAMES.join(', ')}, or all)`,
    )
    .option(
      '--frontier [scales]',
      `with --study: each policy's Pareto frontier of bad debt against IM/OI, its margin ratios × each scale (no list: ${DEFAULT_FRONTIER.join(',')}); implies --equal-im`,
    )
    .option(
      '--behaviours',
      'with --study: populations with trader behaviours (15 % who ramp their leverage up and pyramid, 15 % who top up late or never) and margin-call responders; adds the personalized-margin comparison against the first policy',
      false,
    )
    .option('--quick', 'with --study: a small study for CI (3 seeds × 50 traders unless given)', false)
    .option('--json', 'with --study: print the whole study as JSON instead of the tables', false)
    .addOption(
      new Option(
        '--prices <source>',
        "where the marks come from: 'oracle' (the day's multi-source observations, displaced by the book, through the engine's oracle; 2025-10-10) or 'klines' (the one kline series, displaced by the book, as prices commands); default: klines",
      ).choices(['oracle', 'klines']),
    )
    .option('--dynamic', 'also run the dynamic and predictive policies', false)
    .option('--out <dir>', 'directory for report.html and metrics.json', 'simulate-report')
    .action((o: SimulateFlags) => {
      if (o.study) {
        studyAction(o);
        return;
      }
      for (const [flag, set] of [
        ['--seeds', o.seeds !== undefined],
        ['--workers', o.workers !== undefined],
        ['--latency', o.latency !== undefined],
        ['--equal-im', o.equalIm],
        ['--mechanisms', o.mechanisms !== undefined],
        ['--frontier', o.frontier !== undefined],
        ['--behaviours', o.behaviours],
        ['--quick', o.quick],
        ['--json', o.json],
      ] as const)
        if (set) throw new UsageError(`${flag} applies to --study only`);
      if (o.crash?.includes(',')) throw new UsageError('several crashes need --study');
      if (o.minutes !== undefined && o.path === undefined)
        throw new UsageError('--minutes applies to synthetic paths (--path) only');
      if (o.prices === 'oracle' && (o.path !== undefined || !hasOracleFeed(o.crash ?? '2025-10-10')))
        throw new UsageError(
          `--prices oracle needs several price sources; ${o.path ?? o.crash} has one series (use --prices klines)`,
        );
      let responses: Partial<Omit<ResponseSpec, 'seed'>> | undefined;
      try {
        responses = responseOptions({
          responders: o.responders,
          delay: o.responseDelay,
          deposit: o.responseDeposit,
        });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      // The charts render asynchronously; the exit code is set when the report is written.
      runSimulate(
        {
          crash: o.crash ?? '2025-10-10',
          ...(o.path !== undefined ? { path: o.path } : {}),
          ...(o.minutes !== undefined ? { minutes: o.minutes } : {}),
          ...(o.policies !== undefined ? { policies: o.policies } : {}),
          ...(responses ? { responses } : {}),
          ...(o.hedged !== undefined ? { hedged: o.hedged } : {}),
          accounts: o.accounts ?? 1000,
          seed: o.seed,
          dynamic: o.dynamic,
          out: resolve(o.out),
          ...(o.prices !== undefined ? { prices: o.prices } : {}),
        },
        { out: (t) => process.stdout.write(t), err: process.stderr },
      ).then(
        (r) => {
          process.exitCode = r.code;
        },
        (e: unknown) => {
          process.exitCode = reportFailure(e);
        },
      );
    });
}
