/**
 * `plimsoll risk FILE.json`: every figure of the engine for the accounts of a
 * scenario (docs/risk-scenario.md) — collateral value, unrealized PnL, equity,
 * IM, MM, free collateral, health, margin ratio, and each position's
 * liquidation and bankruptcy price — as JSON.
 *
 * The state is built through engine commands only, by the shared scenario
 * builder (src/core/calculator/scenario.ts: an opening engine with zero fees and
 * zero requirements, fills against a synthetic counterparty at the entry prices,
 * then the scenario's real markets, leverage, prices and policy), so the figures
 * are the engine's own. The liquidation-price calculator builds its state the
 * same way.
 */
import { readFileSync } from 'node:fs';
import { type SubaccountReport, subaccountReport } from '../core/account/report.ts';
import {
  buildScenario,
  COUNTERPARTY,
  parseScenario,
  type Scenario,
  ScenarioError,
  ScenarioSchema,
} from '../core/calculator/scenario.ts';
import { UsageError } from './errors.ts';
import { formatRiskText } from './risk-text.ts';

export { COUNTERPARTY };
/** The scenario file format (kept under its historical name). */
export const RiskScenarioSchema = ScenarioSchema;
export type RiskScenario = Scenario;

export interface RiskResult {
  readonly accounts: SubaccountReport[];
}

/** Runs `f`, turning a ScenarioError into the CLI's UsageError (exit code 2). */
function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(e.message);
    throw e;
  }
}

/** Parses scenario JSON text; every problem becomes a UsageError with a path. */
export function parseRiskScenario(text: string, source = 'scenario'): RiskScenario {
  return asUsage(() => parseScenario(text, source));
}

/** Builds the scenario's state through engine commands and reports every account. */
export function runRiskScenario(
  scenario: RiskScenario,
  opts: { account?: string; matrix?: boolean } = {},
): RiskResult {
  if (opts.account !== undefined && !scenario.accounts.some((a) => a.account === opts.account)) {
    throw new UsageError(
      `--account ${opts.account}: no such account in the scenario (accounts: ${scenario.accounts.map((a) => a.account).join(', ')})`,
    );
  }
  const built = asUsage(() => buildScenario(scenario));
  const accounts = built.subaccounts
    .filter((s) => opts.account === undefined || s.ref.account === opts.account)
    .map((s) => subaccountReport(built.state, s, { matrix: opts.matrix === true }));
  return { accounts };
}

/** The `risk` command: reads FILE, prints the reports as JSON (or as text with `text`). */
export function riskCommand(
  file: string,
  opts: { account?: string; matrix?: boolean; text?: boolean },
  out: (text: string) => void,
): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const scenario = parseRiskScenario(text, file);
  const result = runRiskScenario(scenario, opts);
  if (opts.text === true) {
    // the scenario's configuration was validated by building it
    const cfg = scenario.config as { settlementAsset: string; assets: { id: string; decimals: number }[] };
    const coin = cfg.settlementAsset;
    const decimals = cfg.assets.find((a) => a.id === coin)?.decimals ?? 8;
    out(formatRiskText(result.accounts, coin, decimals));
  } else out(`${JSON.stringify(result, null, 2)}\n`);
}
