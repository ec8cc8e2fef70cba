/**
 * `plimsoll oracle`: the example scenario and the 2025-10-10 replay through the command
 * as registered on a commander program (main.ts registers it the same way).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.ts';
import { registerOracleCommand, runOracleScenario } from './oracle-command.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/oracle-scenario.json', import.meta.url));

function oracle(...args: string[]): { text: string; code: number | undefined } {
  let text = '';
  let code: number | undefined;
  const program = new Command('plimsoll').exitOverride().configureOutput({ writeErr: () => {} });
  registerOracleCommand(program, { out: (t) => (text += t), setExitCode: (c) => (code = c) });
  program.parse(['node', 'plimsoll', 'oracle', ...args]);
  return { text, code };
}

describe('oracle FILE', () => {
  it('prints_a_row_per_step_with_drops_rejections_breaker_and_safe_mode', () => {
    const { text, code } = oracle(EXAMPLE);
    expect(code).toBe(0);
    const lines = text.split('\n');
    const row = (t: string) => lines.find((l) => l.startsWith(t)) ?? '';
    expect(row('0.000s')).toMatch(/60,002\.50 +60,030\.00 .* 4\/4 +SAFE/);
    expect(row('10.000s')).toContain('kraken: deviation 2.99% from 60,025.00');
    expect(row('12.000s')).toContain('pyth: confidence ±0.50%');
    expect(row('14.000s')).toContain(
      'rejected: BAD_PRICE UNKNOWN_SOURCE IMPLAUSIBLE_PRICE FUTURE_TIMESTAMP OUT_OF_ORDER',
    );
    expect(row('27.500s')).toContain('kraken: stale 15.5s');
    expect(row('30.000s')).toContain(
      'BREAKER TRIPPED: 60,030.00 → 67,260.00 (12.04%); SAFE MODE ENTERED (breaker_tripped)',
    );
    expect(row('30.000s')).toMatch(/60,059\.31\*/);
    expect(row('37.000s')).toContain(
      'breaker released (returned, held 7s) at 60,090.00; safe mode exited after 7s',
    );
    expect(row('53.000s')).toMatch(
      /UNRELIABLE .* SAFE .*INDEX UNRELIABLE \(1\/2 sources\); SAFE MODE ENTERED \(index_unreliable\)/,
    );
    expect(row('58.000s')).toContain('SAFE');
    expect(row('60.000s')).toContain('safe mode exited after 7s');
    expect(text).toContain('rows: 14; safe mode entered: 2; breaker trips: 1');
  });

  it('json_keeps_exact_decimals', () => {
    const data = JSON.parse(oracle(EXAMPLE, '--json').text);
    expect(data.market).toBe('BTC-PERP');
    expect(data.steps).toHaveLength(14);
    const trip = data.steps[6];
    expect(trip).toMatchObject({
      index: '67242.5',
      mark: '60059.30524089',
      markCandidate: '67260',
      markHeld: true,
    });
    expect(trip.transitions[0]).toEqual({
      type: 'breaker_tripped',
      timeMs: 30000,
      anchor: '60030',
      candidate: '67260',
      move: '0.120439',
    });
    expect(data.steps[4].rejections.map((r: { code: string }) => r.code)).toEqual([
      'ORACLE_BAD_PRICE',
      'ORACLE_UNKNOWN_SOURCE',
      'ORACLE_IMPLAUSIBLE_PRICE',
      'ORACLE_FUTURE_TIMESTAMP',
      'ORACLE_OUT_OF_ORDER',
    ]);
  });

  it('the_example_is_what_docs_oracle_md_describes', () => {
    const scenario = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    const { rows } = runOracleScenario(scenario);
    const reasons = rows.flatMap((r) => r.outputs.dropped.map((d) => d.reason));
    expect(new Set(reasons)).toEqual(new Set(['deviation', 'confidence', 'stale']));
    expect(rows.flatMap((r) => r.outputs.transitions.map((t) => t.type))).toContain('breaker_tripped');
  });
});

describe('oracle --replay', () => {
  it('reports_each_minute_and_the_crash_transitions', () => {
    const { text } = oracle('--replay', '2025-10-10', '--from', '21:15', '--to', '21:21');
    expect(text).toContain('Oracle replay 2025-10-10');
    expect(text).toMatch(/21:17:59\.999 +UNRELIABLE .*SAFE MODE ENTERED \(index_unreliable\)/);
    expect(text).toMatch(/21:19:59\.999 +104,673\.27 .*safe mode exited after 120s/);
    expect(text).toMatch(/21:21:00\.000 +104,476\.50/);
    expect(text).not.toMatch(/^21:14/m);
  });

  it('injected_bad_prints_are_rejected_and_change_no_price', () => {
    const clean = oracle('--replay', '2025-10-10', '--from', '21:14', '--to', '21:22', '--json');
    const bad = oracle(
      '--replay',
      '2025-10-10',
      '--from',
      '21:14',
      '--to',
      '21:22',
      '--json',
      '--inject-bad-print',
    );
    type Step = {
      timeMs: number;
      index: string | null;
      mark: string | null;
      note?: string;
      rejections: { code: string }[];
    };
    const c: Step[] = JSON.parse(clean.text).steps;
    const b: Step[] = JSON.parse(bad.text).steps;
    const byTime = new Map(c.map((s) => [s.timeMs, s]));
    for (const s of b) {
      const twin = byTime.get(s.timeMs);
      if (twin !== undefined) expect([s.index, s.mark]).toEqual([twin.index, twin.mark]);
    }
    const injected = b.filter((s) => s.note === 'injected bad print');
    expect(injected).toHaveLength(2);
    for (const s of injected) expect(s.rejections.map((r) => r.code)).toContain('ORACLE_IMPLAUSIBLE_PRICE');
  });

  it('every_sets_the_row_interval', () => {
    const { text } = oracle('--replay', '2025-10-10', '--from', '12:00', '--to', '12:10', '--every', '300');
    const rows = text.split('\n').filter((l) => /^\d\d:\d\d:\d\d\.\d{3} /.test(l));
    expect(rows.map((l) => l.slice(0, 12))).toEqual(['12:00:00.000', '12:05:00.000', '12:10:00.000']);
  });
});

describe('usage errors', () => {
  it.each([
    { name: 'nothing_to_do', args: [], error: /give a scenario FILE or --replay/ },
    { name: 'both', args: [EXAMPLE, '--replay', '2025-10-10'], error: /not both/ },
    {
      name: 'replay_options_without_replay',
      args: [EXAMPLE, '--inject-bad-print'],
      error: /apply to --replay only/,
    },
    { name: 'missing_file', args: ['/nonexistent/x.json'], error: /cannot read/ },
  ])('$name', ({ args, error }) => {
    expect(() => oracle(...args)).toThrow(UsageError);
    expect(() => oracle(...args)).toThrow(error);
  });

  it.each([
    { name: 'unknown_day', args: ['--replay', '1987-10-19'] },
    { name: 'bad_time', args: ['--replay', '2025-10-10', '--from', '25:00'] },
    { name: 'bad_every', args: ['--replay', '2025-10-10', '--every', '0'] },
  ])('$name is a commander error', ({ args }) => {
    expect(() => oracle(...args)).toThrow(CommanderError);
  });

  it.each([
    { name: 'no_steps', scenario: { config: {}, steps: [] }, error: /invalid oracle scenario/ },
    {
      name: 'bad_config',
      scenario: {
        config: { market: 'M', sources: [{ id: 'a', maxAgeMs: 1 }], minSources: 3 },
        steps: [{ timeMs: 0 }],
      },
      error: /invalid oracle config: minSources 3 > 1 sources/,
    },
    {
      name: 'time_backwards',
      scenario: {
        config: { market: 'M', sources: [{ id: 'a', maxAgeMs: 1 }] },
        steps: [{ timeMs: 5 }, { timeMs: 4 }],
      },
      error: /step at 4: now 4 is before the last step 5/,
    },
  ])('scenario_$name', ({ scenario, error }) => {
    expect(() => runOracleScenario(scenario)).toThrow(error);
  });
});
