/**
 * `plimsoll portfolio`: examples/portfolio-hedged.json through the command as registered on a
 * commander program (main.ts registers it the same way), checked against the library.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  parsePortfolioFile,
  portfolioMargin,
  portfolioPreset,
  scenarioTemplates,
} from '../core/portfolio/index.ts';
import { simmMargin } from '../core/portfolio/simm.ts';
import { UsageError } from './errors.ts';
import { main } from './main.ts';
import { registerPortfolioCommand, runPortfolioCommand } from './portfolio-command.ts';

const HEDGED = fileURLToPath(new URL('../../examples/portfolio-hedged.json', import.meta.url));
const MULTI = fileURLToPath(new URL('../../examples/portfolio-multi.json', import.meta.url));
const file = () => {
  const r = parsePortfolioFile(JSON.parse(readFileSync(HEDGED, 'utf8')));
  if (!r.ok) throw new Error(r.issues.join('; '));
  return r.value;
};
const money = (x: number) =>
  x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function portfolio(...args: string[]): { text: string; code: number | undefined } {
  let text = '';
  let code: number | undefined;
  const program = new Command('plimsoll').exitOverride().configureOutput({ writeErr: () => {} });
  registerPortfolioCommand(program, { out: (t) => (text += t), setExitCode: (c) => (code = c) });
  program.parse(['node', 'plimsoll', 'portfolio', ...args]);
  return { text, code };
}

describe('portfolio FILE', () => {
  it('prints_the_breakdown_matching_portfolioMargin', () => {
    const pf = file();
    const { text, code } = portfolio(HEDGED);
    expect(code).toBe(0);
    for (const a of pf.accounts) {
      const r = portfolioMargin(a, pf.snapshot, pf.config);
      expect(text).toContain(
        `Account ${a.id}: equity ${money(r.equity)}  IM ${money(r.initialMargin)}  MM ${money(r.maintenanceMargin)}`,
      );
      expect(text).toContain(r.underlyings[0]!.worstScenario!.id);
    }
    expect(text).toContain('IM 6,372.59');
    expect(text).toContain('IM 16,462.15');
  });

  it('json_agrees_with_the_library_for_every_model', () => {
    const pf = file();
    const data = JSON.parse(portfolio(HEDGED, '--json').text);
    expect(data.accounts).toHaveLength(pf.accounts.length);
    pf.accounts.forEach((a, i) => {
      const r = portfolioMargin(a, pf.snapshot, pf.config);
      expect(data.accounts[i].initialMargin).toBe(r.initialMargin);
      expect(data.accounts[i].maintenanceMargin).toBe(r.maintenanceMargin);
      expect(data.accounts[i].underlyings[0].worstScenario).toEqual(r.underlyings[0]!.worstScenario);
    });
    const span = JSON.parse(portfolio(HEDGED, '--json', '--model', 'span-16').text);
    expect(span.accounts[0].initialMargin).toBe(
      portfolioMargin(pf.accounts[0]!, pf.snapshot, portfolioPreset('span-16')).initialMargin,
    );
    const simm = JSON.parse(portfolio(HEDGED, '--json', '--model', 'simm').text);
    expect(simm.accounts[1].initialMargin).toBe(simmMargin(pf.accounts[1]!, pf.snapshot).initialMargin);
    const v = JSON.parse(portfolio(HEDGED, '--json', '--model', 'var', '--confidence', '0.975').text);
    expect(v.accounts[2]).toMatchObject({ model: 'var', confidence: 0.975, observations: 730 });
    expect(v.accounts[2].expectedShortfall).toBeGreaterThanOrEqual(v.accounts[2].valueAtRisk);
  });

  it('matrix_prints_every_scenario_row', () => {
    const pf = file();
    const { text } = portfolio(HEDGED, '--matrix', '--account', 'protective-put');
    const scenarios = scenarioTemplates(pf.config);
    const r = portfolioMargin(pf.accounts[0]!, pf.snapshot, pf.config, { includeMatrix: true });
    expect(text).toContain(`scenario matrix (${scenarios.length} scenarios`);
    const lines = text.split('\n');
    for (const row of r.matrix!.rows) {
      const line = lines.find((l) => l.trimStart().startsWith(`${row.id} `));
      expect(line, row.id).toBeDefined();
      expect(line).toContain(money(Math.abs(row.total)));
    }
    expect(text).not.toContain('hedged-short-straddle');
  });

  it('simm_and_var_print_their_breakdowns', () => {
    const simm = portfolio(HEDGED, '--model', 'simm', '--account', 'hedged-short-straddle').text;
    expect(simm).toMatch(/delta margin .* \+ vega margin .* \+ curvature margin/);
    expect(simm).toContain('K curv');
    const v = portfolio(MULTI, '--model', 'var', '--lookback', '365', '--horizon', '2').text;
    expect(v).toContain('(4 tail days of 365)');
    expect(v).toMatch(/ETH .* proxy/);
  });

  it('usage_errors', () => {
    expect(() => runPortfolioCommand('/nonexistent.json')).toThrow(UsageError);
    expect(() => runPortfolioCommand(HEDGED, { account: 'nobody' })).toThrow(/no account "nobody"/);
    expect(() =>
      runPortfolioCommand(fileURLToPath(new URL('../../examples/oracle-scenario.json', import.meta.url))),
    ).toThrow(/invalid portfolio file/);
    expect(() => portfolio(HEDGED, '--model', 'nope')).toThrow(CommanderError);
    expect(() => portfolio(HEDGED, '--model', 'var', '--confidence', '2')).toThrow(CommanderError);
    const err = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(main(['node', 'plimsoll', 'portfolio', '/nonexistent.json'])).toBe(2);
    } finally {
      process.stderr.write = err;
    }
  });
});

describe('var on the joint Binance BTC/ETH daily history', () => {
  /** Close of a day in a CryptoDataDownload daily file, read straight from the CSV text. */
  const closeOn = (name: string, day: string): number => {
    const text = readFileSync(fileURLToPath(new URL(`../../data/${name}`, import.meta.url)), 'utf8');
    const row = text.split('\n').find((l) => l.split(',')[1]?.startsWith(day));
    if (!row) throw new Error(`${name}: no ${day}`);
    return Number(row.split(',')[6]);
  };

  it('gives ETH its own returns and finds the 2020-03-12 crash as the worst day', () => {
    const v = JSON.parse(portfolio(MULTI, '--json', '--model', 'var', '--history', 'binance-btc-eth').text);
    const a = v.accounts[0];
    expect(a.source).toMatch(/Binance_ETHUSDT_d.csv/);
    const byId = Object.fromEntries(a.underlyings.map((u: { underlying: string }) => [u.underlying, u]));
    expect(byId.ETH.source).toBe('own');
    expect(byId.BTC.source).toBe('own');
    expect(byId.SOL.source).toBe('proxy');
    expect(a.observations).toBe(730);
    expect(a.worstLabel).toBe('2020-03-12');
  });

  it('an ETH long loses on 2020-03-12 what the ETH closes in the file say, not what BTC did', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-var-'));
    const f = join(dir, 'eth.json');
    writeFileSync(
      f,
      JSON.stringify({
        preset: 'crypto-pm',
        snapshot: {
          nowMs: 1760083200000,
          underlyings: { ETH: { spot: '4350', vol: { kind: 'flat', vol: 0.7 } } },
        },
        accounts: [
          { id: 'eth', positions: [{ type: 'perpetual', underlying: 'ETH', size: '1', entryPrice: '4350' }] },
        ],
      }),
    );
    const v = JSON.parse(portfolio(f, '--json', '--model', 'var', '--history', 'binance-btc-eth').text);
    const close = (day: string) => closeOn('Binance_ETHUSDT_d.csv', day);
    // loss = S·(1 − c(03-12)/c(03-11)) = 4,350 × (1 − 107.82/194.61)
    expect(v.accounts[0].worstLoss).toBeCloseTo(4350 * (1 - close('2020-03-12') / close('2020-03-11')), 6);
    expect(v.accounts[0].worstLabel).toBe('2020-03-12');
  });
});

describe('plimsoll portfolio --model deribit', () => {
  const DERIBIT = fileURLToPath(new URL('../../examples/portfolio-deribit.json', import.meta.url));
  const vectors = JSON.parse(
    readFileSync(
      fileURLToPath(new URL('../../test/vectors/deribit_pm_published.json', import.meta.url)),
      'utf8',
    ),
  );

  it("reproduces Deribit's published example through the command (--json)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-deribit-'));
    const f = join(dir, 'btc.json');
    const c = vectors.cases[0];
    writeFileSync(f, JSON.stringify({ model_params: c.model_params, input: c.input }));
    const { text, code } = portfolio(f, '--model', 'deribit', '--json');
    expect(code).toBe(0);
    const r = JSON.parse(text);
    const b = r.books[0];
    expect(b.currency).toBe('btc');
    expect(b.initialMargin).toBeCloseTo(c.expected.initial_margin, 12);
    expect(b.maintenanceMargin).toBeCloseTo(c.expected.maintenance_margin, 12);
    expect(b.rollShock).toBeCloseTo(c.expected.roll_shock, 15);
    expect(b.worstCaseBucket).toEqual(c.expected.worst_case_bucket);
    expect(r.cross.initialMargin).toBeGreaterThan(0);
  });

  it('prints every component, the binding scenario and the pnl_offset effect in text', () => {
    const { text } = portfolio(DERIBIT, '--model', 'deribit', '--matrix');
    for (const w of [
      'Book BTC',
      'worst case',
      'binding scenario',
      'pnl_offset effect',
      'roll shock',
      'delta shock',
      'correlation contingency',
      'risk-matrix margin',
      'MMP margin',
      'open orders margin',
      'Cross-collateral (X:PM), USD',
      'extended (vol up)',
    ])
      expect(text).toContain(w);
    expect(text).toMatch(/extended row 3: \+50%, vol up/);
  });

  it('bad input is a usage error naming the code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-deribit-'));
    const f = join(dir, 'bad.json');
    const c = vectors.cases[0];
    writeFileSync(
      f,
      JSON.stringify({
        model_params: c.model_params,
        input: { ...c.input, positions: { 'BTC-28JUN23': 1 } },
      }),
    );
    expect(() => runPortfolioCommand(f, { model: 'deribit' })).toThrow(UsageError);
    expect(() => runPortfolioCommand(f, { model: 'deribit' })).toThrow(/expired/);
  });
});
