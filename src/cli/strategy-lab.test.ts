/**
 * The strategy lab on hand-built paths: where doing nothing is liquidated and what the penalty
 * is (arithmetic in the comments), that the band rebalancer survives the same fall from its
 * reserve, the confidence interval against a t table, determinism over seeds, and the command's
 * bad input and JSON (quick mode).
 */
import { describe, expect, it } from 'vitest';
import { runStrategies } from './strategies-command.ts';
import {
  btcEthCoMovement,
  DEFAULT_LAB,
  type LabPath,
  meanCi,
  runPolicy,
  runScenario,
  t975,
} from './strategy-lab.ts';

const P8 = 100_000_000n;
/** BTC from 50,000 down 1 % of the start per minute to 80 %; ETH exactly 1/30 of it. */
function fall(): { path: LabPath; eth: bigint[] } {
  const btc = Array.from({ length: 21 }, (_, k) => (50_000n * P8 * BigInt(100 - k)) / 100n);
  return { path: { timesMs: btc.map((_, k) => k * 60_000), btc }, eth: btc.map((b) => b / 30n) };
}

describe('strategy lab', () => {
  const co = btcEthCoMovement();

  it('nothing_is_liquidated_where_the_margin_value_meets_mm', () => {
    // 5×: 20 BTC long (1,000,000 at 50,000), ETH collateral worth 200,000 counted at 95 %. At r = P/50,000:
    // V = 190,000·r + 1,000,000·(r − 1), MM = 0.5 %·1,000,000·r. r = 0.85: V = 11,500 ≥ MM 4,250;
    // r = 0.84: V = −400 < 4,200 → liquidated at 42,000: penalty 1 % of 20 × 42,000 = 8,400.
    const { path, eth } = fall();
    const r = runPolicy('nothing', path, eth, 5, DEFAULT_LAB, co);
    expect(r.liquidated).toBe(true);
    expect(r.penalty).toBe(8400);
    expect(r.liqSlippage).toBeGreaterThan(0);
    expect(r.cost).toBe(0);
  });

  it('band_survives_the_same_fall_from_its_reserve', () => {
    // Reserve 50 % of 200,000 = 100,000: at r = 0.80, V = 152,000 − 200,000 + 100,000 = 52,000 > MM 4,000.
    const { path, eth } = fall();
    const r = runPolicy('band', path, eth, 5, DEFAULT_LAB, co);
    expect(r.liquidated).toBe(false);
    expect(r.liquidationLoss).toBe(0);
    expect(r.actions).toBeGreaterThan(0);
    // Idle: 100,000 × 5 % × 21 minutes / 525,600.
    expect(r.idle).toBeCloseTo((100_000 * 0.05 * 21) / 525_600, 9);
  });

  it('confidence_interval_against_the_t_table', () => {
    // 1..5: mean 3, s² = 2.5, t(4) = 2.776 → half-width 2.776·√(2.5/5) = 1.96293…
    const c = meanCi([1, 2, 3, 4, 5]);
    expect(c.mean).toBe(3);
    expect(c.hi - c.mean).toBeCloseTo(2.776 * Math.sqrt(0.5), 9);
    // ν = 60: tables give 2.000; ν = 120: 1.980.
    expect(t975(60)).toBeCloseTo(2.0, 3);
    expect(t975(120)).toBeCloseTo(1.98, 3);
  });

  it('seeded_runs_repeat', () => {
    const a = runScenario('synthetic', 2);
    const b = runScenario('synthetic', 2);
    expect(a.runs).toEqual(b.runs);
    expect(a.runs.nothing.every((r) => r.cost === 0)).toBe(true);
  });

  it('command_json_and_bad_input', async () => {
    let out = '';
    const io = { out: (t: string) => void (out += t), err: { isTTY: false, write: () => true } };
    const rows = await runStrategies({ crash: '2021-05-19', seeds: 2, json: true }, io);
    const doc = JSON.parse(out) as { command: string; rows: { policy: string }[] };
    expect(doc.command).toBe('plimsoll strategies --crash 2021-05-19 --seeds 2');
    expect(doc.rows.map((r) => r.policy)).toEqual(['nothing', 'band', 'guard', 'diversify', 'hedge']);
    expect(rows[0]!.net.mean).toBe(0);
    await expect(runStrategies({ crash: '1999-01-01', quick: true }, io)).rejects.toThrow(
      /--crash 1999-01-01/,
    );
  });
});
