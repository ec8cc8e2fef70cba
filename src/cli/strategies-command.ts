/**
 * `plimsoll strategies`: the strategy lab (strategy-lab.ts) from the command line — every margin
 * strategy against doing nothing on the crash windows and synthetic days, many seeds, as a text
 * table, JSON, or a self-contained HTML report.
 *
 *   plimsoll strategies [--crash 2025-10-10|2020-03-12|2021-05-19|synthetic|all] [--seeds 30]
 *                       [--quick] [--json] [--html FILE]
 */
import { writeFileSync } from 'node:fs';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { intInRange } from './args.ts';
import { EXIT_OK, reportFailure, UsageError } from './errors.ts';
import { formatLabTable, labReportHtml } from './strategies-report.ts';
import { btcEthCoMovement, LAB_SCENARIOS, runScenario, type SummaryRow, summarize } from './strategy-lab.ts';

export const DEFAULT_SEEDS = 30;
export const QUICK_SEEDS = 5;

export interface StrategiesOptions {
  readonly crash: string;
  readonly seeds?: number;
  readonly quick?: boolean;
  readonly json?: boolean;
  readonly html?: string;
}

export interface StrategiesIo {
  readonly out: (text: string) => void;
  readonly err: { readonly isTTY?: boolean; write(text: string): unknown };
}

/** The command line that reproduces a run. */
export function commandLine(o: StrategiesOptions, seeds: number): string {
  return `plimsoll strategies --crash ${o.crash} --seeds ${seeds}`;
}

/** Runs the lab; returns the summary rows (printed as text or JSON; the HTML written if asked). */
export async function runStrategies(o: StrategiesOptions, io: StrategiesIo): Promise<SummaryRow[]> {
  const scenarios = o.crash === 'all' ? [...LAB_SCENARIOS] : [o.crash];
  for (const s of scenarios)
    if (!(LAB_SCENARIOS as readonly string[]).includes(s))
      throw new UsageError(`--crash ${s}: expected one of ${[...LAB_SCENARIOS, 'all'].join(', ')}`);
  const seeds = o.seeds ?? (o.quick ? QUICK_SEEDS : DEFAULT_SEEDS);
  const bar =
    io.err.isTTY === true
      ? new SingleBar({
          stream: io.err as NodeJS.WriteStream,
          format: 'strategies |{bar}| {value}/{total} seeds · {scenario}',
          hideCursor: true,
          clearOnComplete: true,
        })
      : undefined;
  bar?.start(seeds * scenarios.length, 0, { scenario: scenarios[0] });
  const runs = [];
  try {
    for (const s of scenarios) {
      bar?.update({ scenario: s });
      runs.push(runScenario(s, seeds, undefined, () => bar?.increment()));
    }
  } finally {
    bar?.stop();
  }
  const rows = runs.flatMap(summarize);
  const command = commandLine(o, seeds);
  if (o.html !== undefined) {
    const html = await labReportHtml({
      command,
      seeds,
      scenarios: runs.map((r) => ({ id: r.scenario, description: r.description })),
      covarianceSource: btcEthCoMovement().source,
      rows,
    });
    try {
      writeFileSync(o.html, html);
    } catch (e) {
      throw new UsageError(
        `cannot write ${o.html}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  if (o.json) io.out(`${JSON.stringify({ command, seeds, rows }, null, 2)}\n`);
  else {
    io.out(`Margin strategies against doing nothing (${seeds} seeds; USD, means over the seeds)\n\n`);
    io.out(`${formatLabTable(rows)}\n\n`);
    const liquidatedAll = rows.filter((r) => r.policy === 'nothing' && r.liquidated === r.seeds);
    for (const r of liquidatedAll)
      io.out(`${r.scenario}: doing nothing, the account is liquidated on every seed.\n`);
    io.out(
      'net = liquidation loss avoided − cost (fees, slippage, hedge funding, idle reserve), 95% CI paired over the seeds.\n',
    );
    if (o.html !== undefined) io.out(`HTML report: ${o.html}\n`);
  }
  return rows;
}

export function registerStrategiesCommand(program: Command): void {
  program
    .command('strategies')
    .description(
      'Measure each margin strategy (band rebalancer, probability guard, collateral diversification, hedged collateral) against doing nothing on real crashes and synthetic days.',
    )
    .addOption(
      new Option('--crash <id>', 'scenario to run').choices([...LAB_SCENARIOS, 'all']).default('all'),
    )
    .option('--seeds <n>', `seeds per scenario (default ${DEFAULT_SEEDS})`, intInRange('--seeds', 2, 10_000))
    .option('--quick', `${QUICK_SEEDS} seeds (a smoke run)`, false)
    .option('--json', 'print the summary as JSON', false)
    .option('--html <file>', 'write a self-contained HTML report (table and charts)')
    .action((o: StrategiesOptions) => {
      // The charts render asynchronously; the exit code is set when the run is over.
      runStrategies(o, { out: (t) => process.stdout.write(t), err: process.stderr }).then(
        () => {
          process.exitCode = EXIT_OK;
        },
        (e: unknown) => {
          process.exitCode = reportFailure(e);
        },
      );
    });
}
