/**
 * The `plimsoll` command line.
 *
 *   plimsoll demo [--crash 2025-10-10] [--accounts 3000] [--seed 42] [--journal FILE] [--json]
 *   plimsoll risk FILE.json [--account ID] [--matrix]
 *   plimsoll oracle FILE.json | --replay 2025-10-10 [--inject-bad-print]
 *   plimsoll portfolio FILE.json [--model crypto-pm|paradex|span-16|simm|var] [--matrix]
 *   plimsoll liq-price --preset binance-usdm --wallet 1000 --position BTCUSDT:long:0.5@60000 [...]
 *   plimsoll clearing VENUE.json… [--routes FILE] [--band 20%] [--json] [--html FILE]
 *   plimsoll strategies [--crash ID|synthetic|all] [--seeds 30] [--quick] [--json] [--html FILE]
 *   plimsoll serve [--store PATH] [--preset ID | --config FILE] [--keys FILE] [--host H] [--port N] [--json]
 *   plimsoll agent --strategy band|probability --account ID --server URL --key FILE [...] [--json]
 *
 * Exit codes: 0 success; 1 a failed check or an internal error; 2 a usage error
 * (bad arguments, unreadable or invalid input), with a message on stderr.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { CRASH_WINDOWS } from '../sim/data/crashes.ts';
import { registerAgentCommand } from './agent-command.ts';
import { intInRange } from './args.ts';
import { registerCalibrateCommand } from './calibrate-command.ts';
import { registerClearingCommand } from './clearing-command.ts';
import { registerClusterCommand } from './cluster-command.ts';
import { DEFAULT_ACCOUNTS, DEFAULT_CRASH, DEFAULT_SEED, MAX_ACCOUNTS, runDemo } from './demo.ts';
import { EXIT_OK, EXIT_USAGE, reportFailure } from './errors.ts';
import { registerForecastCommand } from './forecast-command.ts';
import { registerLiqPriceCommand } from './liq-price-command.ts';
import { registerOracleCommand } from './oracle-command.ts';
import { registerPortfolioCommand } from './portfolio-command.ts';
import { riskCommand } from './risk.ts';
import { registerServeCommand } from './serve-command.ts';
import { registerSimmCommand } from './simm-command.ts';
import { registerSimulateCommand } from './simulate-command.ts';
import { registerStrategiesCommand } from './strategies-command.ts';

/** The package's version, read from package.json two folders up (src/cli or dist/cli). */
function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg ? String(pkg.version) : 'unknown';
}

/** The program; `setExitCode` receives the exit code of a command that ran. */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('plimsoll')
    .description('Plimsoll: an exact margin and liquidation engine for crypto derivatives venues.')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('demo')
    .description(
      'Replay a real crash minute by minute against a seeded population of traders and report what happened.',
    )
    .addOption(
      new Option('--crash <id>', 'crash window to replay')
        .choices(CRASH_WINDOWS.map((w) => w.id))
        .default(DEFAULT_CRASH),
    )
    .option(
      '--accounts <n>',
      'number of traders',
      intInRange('--accounts', 1, MAX_ACCOUNTS),
      DEFAULT_ACCOUNTS,
    )
    .option('--seed <n>', 'seed of the population', intInRange('--seed', 0, 2 ** 32 - 1), DEFAULT_SEED)
    .option('--journal <file>', 'SQLite journal to write (a new file; default: a temporary directory)')
    .addOption(
      new Option(
        '--prices <source>',
        "where the marks come from: 'oracle' (the day's multi-source observations through the engine's oracle; 2025-10-10) or 'klines' (the one kline series as prices commands); default: oracle where the day has several sources",
      ).choices(['oracle', 'klines']),
    )
    .option('--json', 'print the metrics as JSON (money as decimal strings)', false)
    .action(
      (o: {
        crash: string;
        accounts: number;
        seed: number;
        journal?: string;
        json: boolean;
        prices?: 'oracle' | 'klines';
      }) => {
        setExitCode(
          runDemo(
            {
              crash: o.crash,
              accounts: o.accounts,
              seed: o.seed,
              json: o.json,
              ...(o.prices === undefined ? {} : { prices: o.prices }),
              ...(o.journal === undefined ? {} : { journal: o.journal }),
            },
            { out: (t) => process.stdout.write(t), err: process.stderr },
          ),
        );
      },
    );

  program
    .command('risk')
    .description(
      'Print every margin figure, liquidation and bankruptcy price of the accounts in a scenario file (docs/risk-scenario.md).',
    )
    .argument('<file>', 'scenario JSON, e.g. examples/risk-scenario.json')
    .option('--account <id>', 'report only this account')
    .option('--matrix', 'portfolio-margin accounts: include the whole scenario × P&L matrix')
    .option('--text', 'print a readable summary instead of the JSON (default: JSON)', false)
    .action((file: string, o: { account?: string; matrix?: boolean; text?: boolean }) => {
      riskCommand(
        file,
        {
          ...(o.account === undefined ? {} : { account: o.account }),
          matrix: o.matrix === true,
          text: o.text === true,
        },
        (t) => process.stdout.write(t),
      );
      setExitCode(EXIT_OK);
    });

  registerOracleCommand(program, { setExitCode });
  registerLiqPriceCommand(program);
  registerClearingCommand(program);
  registerPortfolioCommand(program, { setExitCode });
  registerSimmCommand(program, { setExitCode });
  registerSimulateCommand(program);
  registerForecastCommand(program, { setExitCode });
  registerCalibrateCommand(program);
  registerServeCommand(program, { setExitCode });
  registerStrategiesCommand(program);
  registerAgentCommand(program, { setExitCode });
  registerClusterCommand(program);

  return program;
}

/** Runs the CLI on `argv` (process.argv layout); returns the exit code. */
export function main(argv: readonly string[]): number {
  let code = EXIT_OK;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    program.parse(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed its message; --help and --version exit 0, usage errors 2.
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    return reportFailure(e);
  }
  return code;
}

/** True when this module is the program being run (tsx src/cli/main.ts), not an import. */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = main(process.argv);
