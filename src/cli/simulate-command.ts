/**
 * `plimsoll simulate`: run the margin-policy comparison over a real crash
 * (src/sim/lab/compare.ts), print the summary table, and write a self-contained
 * report for a risk committee.
 *
 *   plimsoll simulate [--crash 2025-10-10 | --path gbm|jump|regime [--minutes 1440]]
 *                     [--accounts 1000] [--seed 42] [--dynamic | --policies LIST] [--out DIR]
 *
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
import { CRASH_WINDOWS } from '../sim/data/crashes.ts';
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
import { historyOf, SYNTHETIC_MODEL_IDS } from '../sim/lab/histories.ts';
import { DEFAULT_POLICIES } from '../sim/lab/policies.ts';
import { POLICY_NAMES, policiesByName } from '../sim/lab/policy-registry.ts';
import { type ResponseSpec, responseOptions } from '../sim/lab/responders.ts';
import { hasOracleFeed } from '../sim/oracle-feed.ts';
import { writeReport } from '../sim/report/report.ts';
import { intInRange } from './args.ts';
import { EXIT_FAILURE, EXIT_OK, UsageError } from './errors.ts';

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
  accounts: number;
  seed: number;
  dynamic: boolean;
  out: string;
  prices?: 'oracle' | 'klines';
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
      new Option('--crash <id>', 'crash window to replay (default 2025-10-10)')
        .choices(CRASH_WINDOWS.map((w) => w.id))
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
    .option('--accounts <n>', 'number of traders', intInRange('--accounts', 1, 100_000), 1000)
    .option('--seed <n>', 'seed of the population', intInRange('--seed', 0, 2 ** 32 - 1), 42)
    .addOption(
      new Option(
        '--prices <source>',
        "where the marks come from: 'oracle' (the day's multi-source observations, displaced by the book, through the engine's oracle; 2025-10-10) or 'klines' (the one kline series, displaced by the book, as prices commands); default: klines",
      ).choices(['oracle', 'klines']),
    )
    .option('--dynamic', 'also run the dynamic and predictive policies', false)
    .option('--out <dir>', 'directory for report.html and metrics.json', 'simulate-report')
    .action((o: SimulateFlags) => {
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
          accounts: o.accounts,
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
          process.stderr.write(
            `plimsoll: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
          );
          process.exitCode = EXIT_FAILURE;
        },
      );
    });
}
