/**
 * `plimsoll demo` end to end on the 2025-10-10 crash with 300 accounts: the metrics
 * say money was conserved (INV-01) and the journal replays to the live state
 * (INV-02), and the same seed gives the same metrics. The marks come from the day's
 * multi-source observations through the engine's oracle, so its safe mode shows in the
 * demo; `--prices klines` replays the one kline series instead.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.ts';

const ARGS = ['demo', '--crash', '2025-10-10', '--accounts', '300', '--seed', '42', '--json'];

function runJson(extra: string[] = []) {
  const r = cli([...ARGS, ...extra]);
  expect(r.stderr).toBe(''); // stderr is not a TTY here: no progress output
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

describe('plimsoll demo --json', () => {
  const journal = join(mkdtempSync(join(tmpdir(), 'plimsoll-e2e-')), 'demo.sqlite');
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON output
  let first: any;
  // A demo run replays ~28,000 oracle ticks: allow for a busy machine.
  beforeAll(() => {
    first = runJson(['--journal', journal]);
  }, 180_000);

  it('conserves_money_and_replays_identically', () => {
    expect(first.conservation.ok).toBe(true);
    for (const a of Object.values(first.conservation.assets) as { ledger: string; netDeposits: string }[]) {
      expect(a.ledger).toBe(a.netDeposits);
    }
    expect(first.replay.identical).toBe(true);
    expect(first.replay.replayedHash).toBe(first.replay.liveHash);
  });

  it('reports_the_crash_and_the_liquidations', () => {
    expect(first.crash.id).toBe('2025-10-10');
    // One keeper tick per oracle step: the 28,438 steps of `plimsoll oracle --replay 2025-10-10`.
    expect(first.crash.prices).toBe('oracle');
    expect(first.crash.pricePoints).toBe(28438);
    expect(first.oracle.steps).toBe(28438);
    expect(first.price.low).toBe('102497.48513403');
    expect(first.population.traders).toBe(300);
    const l = first.liquidations;
    expect(l.partial.steps + l.full.steps + l.bankrupt.steps).toBeGreaterThan(0);
    // money is decimal strings, never JSON numbers
    for (const v of [
      l.partial.notional,
      first.insuranceFund.end,
      first.adl.notional,
      first.socializedLoss,
      first.fees.trading,
    ]) {
      expect(typeof v).toBe('string');
      expect(v).toMatch(/^-?\d+(\.\d+)?$/);
    }
  });

  it('runs_the_guarded_oracle_whose_safe_mode_holds_liquidations', () => {
    // The safe-mode window the oracle replay finds on this day (docs/oracle.md): the two
    // Binance series disagree by ~4 % while Gemini is silent.
    expect(first.oracle.safeMode.periods).toContainEqual({
      from: '2025-10-10 21:17:59 UTC',
      to: '2025-10-10 21:19:59 UTC',
      seconds: 120,
    });
    // The guarded mark (1m closes, medians, a smoothed basis) never reaches the kline's intra-bar low.
    expect(Number(first.oracle.markLow)).toBeGreaterThan(Number(first.price.low));
    expect(first.finder).toBe('risk-book');
  });

  it('writes_the_journal_where_asked', () => {
    expect(first.run.journalPath).toBe(journal);
    expect(existsSync(journal)).toBe(true);
  });

  it('refuses_to_overwrite_a_journal', () => {
    const r = cli([...ARGS, '--journal', journal]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/already exists/);
  });

  it('is_deterministic_for_a_seed', () => {
    const second = runJson();
    const { run: _a, ...m1 } = first;
    const { run: _b, ...m2 } = second;
    expect(m2).toEqual(m1);
  }, 180_000);
});

describe('plimsoll demo --prices klines', () => {
  it('replays_the_kline_path_with_prices_commands', () => {
    const m = runJson(['--prices', 'klines']);
    expect(m.crash.prices).toBe('klines');
    expect(m.crash.pricePoints).toBe(5760);
    expect(m.oracle).toBeUndefined();
    expect(m.finder).toBe('liquidation-price-index');
    expect(m.conservation.ok).toBe(true);
    expect(m.replay.identical).toBe(true);
  }, 180_000);
});

describe('plimsoll demo usage errors', () => {
  it.each([
    [['demo', '--accounts', '0'], /--accounts/],
    [['demo', '--accounts', 'many'], /--accounts/],
    [['demo', '--crash', '1999-01-01'], /Allowed choices/],
    [['demo', '--bogus'], /unknown option/],
    [['demo', '--crash', '2021-05-19', '--prices', 'oracle'], /one series/],
  ])('%j', (args, message) => {
    const r = cli(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
