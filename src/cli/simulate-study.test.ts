/**
 * `plimsoll simulate --study --quick` end to end on a short crash: the report files, the
 * structure of the study (one cell per history × keeper, every policy with n = seeds, paired
 * differences on every policy but the baseline, latency doubling per policy) and determinism:
 * the same study in this thread and on two worker threads is identical.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLatencies, runStudy } from '../sim/lab/study.ts';
import { runStudyCommand } from './simulate-study.ts';

const dir = mkdtempSync(join(tmpdir(), 'plimsoll-study-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('simulate --study --quick', () => {
  it('writes the report, has the structure, and does not depend on the worker count', async () => {
    const policies = ['static-low', 'tiered-binance'];
    const latencies = parseLatencies('0,60');
    let out = '';
    const r = await runStudyCommand(
      {
        histories: ['2021-05-19'],
        firstSeed: 1,
        accounts: 30,
        policies,
        latencies,
        workers: 2,
        quick: true,
        json: false,
        out: dir,
      },
      { out: (t) => (out += t), err: { write: () => true } },
    );
    expect(r.code).toBe(0);
    const s = r.study;
    expect(s.seeds).toEqual([1, 2, 3]);
    expect(s.cells.map((c) => c.keeper)).toEqual(['default keeper', '0 s', '60 s']);
    for (const c of s.cells) {
      expect(c.policies.map((p) => p.policy)).toEqual(policies);
      for (const p of c.policies) {
        expect(p.metrics.badDebt.t.n).toBe(3);
        expect(p.metrics.badDebt.bootstrap.lo).toBeLessThanOrEqual(p.metrics.badDebt.bootstrap.hi);
        expect(p.metrics.imOi.vsBaseline === undefined).toBe(p.policy === 'static-low');
      }
    }
    expect(s.doubling.map((d) => d.policy)).toEqual(policies);
    expect(s.runs).toHaveLength(3 * 3 * 2);
    expect(out).toContain('2021-05-19 · default keeper');
    expect(out).toContain('Bad debt doubles');
    const html = readFileSync(r.files.html, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('2021-05-19: keeper latency');
    expect(JSON.parse(readFileSync(r.files.json, 'utf8')).runs).toHaveLength(18);

    const inline = await runStudy({
      histories: ['2021-05-19'],
      seeds: 3,
      firstSeed: 1,
      accounts: 30,
      policies,
      latencies,
      workers: 1,
    });
    expect(inline).toEqual(s);
  }, 180_000);
});
