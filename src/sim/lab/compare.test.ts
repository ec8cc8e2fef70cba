import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatTable, formatWorstMinutes, runComparison } from './compare.ts';
import { DEFAULT_POLICIES } from './policies.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const at = (hhmm: string) => Date.parse(`2025-10-10T${hhmm}:00Z`);

describe('runComparison', () => {
  const cmp = runComparison({
    crash: '2025-10-10',
    accounts: 80,
    seed: 3,
    fromMs: at('20:45'),
    toMs: at('21:30'),
  });

  it('runs_every_policy_on_the_same_history_traders_and_book', () => {
    expect(cmp.rows.map((r) => r.policy)).toEqual(DEFAULT_POLICIES.map((p) => p.name));
    expect(cmp.book.source).toBe('real');
    expect(cmp.book.repair?.firstCorruptMs).toBe(Date.parse('2025-10-10T15:30:42Z'));
    expect(cmp.path.points).toBe(4 * 46);
    for (const r of cmp.rows) {
      expect(r.window).toEqual(cmp.rows[0]!.window);
      expect(r.population.traders).toBe(80);
      expect(r.population.collateralValue).toBe(cmp.rows[0]!.population.collateralValue);
      expect(r.insuranceFund.start).toBe(cmp.rows[0]!.insuranceFund.start);
      expect(r.conservation.ok).toBe(true);
    }
    // A stricter policy locks more collateral per unit of open interest.
    const [low, , conservative] = cmp.rows;
    expect(conservative!.capitalEfficiency.start.ratio).toBeGreaterThanOrEqual(0.1);
    expect(low!.capitalEfficiency.start.ratio).toBeLessThan(conservative!.capitalEfficiency.start.ratio);
  });

  it('formats_a_table_and_the_busiest_minutes', () => {
    const table = formatTable(cmp.rows);
    for (const p of DEFAULT_POLICIES) expect(table).toContain(p.name);
    expect(table.split('\n')).toHaveLength(2 + cmp.rows.length);
    expect(formatWorstMinutes(cmp.results).split('\n')).toHaveLength(cmp.rows.length);
  });

  it('an_infinitely_deep_book_never_cascades', () => {
    const inf = runComparison({
      crash: '2025-10-10',
      accounts: 80,
      seed: 3,
      fromMs: at('20:45'),
      toMs: at('21:30'),
      depth: 'infinite',
    });
    for (const r of inf.rows) {
      expect(r.cascade.peakDepth).toBeLessThanOrEqual(1);
      expect(r.cascade.maxDisplacement).toBe(0);
    }
  });
});

describe('compare.ts as a script', () => {
  it('prints_the_table', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/sim/lab/compare.ts',
        '--accounts',
        '40',
        '--seed',
        '2',
        '--from',
        '21:00',
        '--to',
        '21:20',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('static-low');
    expect(r.stdout).toContain('tiered-binance');
    expect(r.stdout).toContain('static-conservative');
    expect(r.stdout).toContain('Conservation (INV-01) ✓');
  });

  it('refuses_a_bad_option', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/sim/lab/compare.ts', '--depth', 'deep'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--depth');
  });
});
