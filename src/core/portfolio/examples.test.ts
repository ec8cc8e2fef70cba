/**
 * The example portfolio files (examples/portfolio-*.json) parse and margin as documented in
 * docs/portfolio-margin.md.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type PortfolioFile, parsePortfolioFile } from './file.ts';
import { distanceToLiquidation, liquidationOrder } from './liquidation-order.ts';
import { aggregateRiskMatrix, buildRiskMatrix, standaloneRequirements } from './risk-matrix.ts';

function load(name: string): PortfolioFile {
  const r = parsePortfolioFile(
    JSON.parse(readFileSync(new URL(`../../../examples/${name}`, import.meta.url), 'utf8')),
  );
  if (!r.ok) throw new Error(r.issues.join('\n'));
  return r.value;
}

describe('examples/portfolio-hedged.json', () => {
  const f = load('portfolio-hedged.json');
  const margin = (id: string) => {
    const a = f.accounts.find((x) => x.id === id)!;
    const m = buildRiskMatrix(a, f.snapshot, f.config);
    return { r: aggregateRiskMatrix(m), alone: standaloneRequirements(m) };
  };

  it('hedged_books_need_far_less_than_their_legs', () => {
    const put = margin('protective-put');
    expect(put.r.initialMargin).toBeLessThan(0.4 * put.alone.sum);
    const straddle = margin('hedged-short-straddle');
    expect(Math.abs(straddle.r.underlyings[0]!.netDelta)).toBeLessThan(0.002);
    expect(straddle.r.initialMargin).toBeLessThan(0.6 * straddle.alone.sum);
    expect(margin('naked-future').r.initialMargin).toBeCloseTo(16_000, 6);
  });

  it('distance_and_order_run_on_the_file', () => {
    const a = f.accounts.find((x) => x.id === 'hedged-short-straddle')!;
    const d = distanceToLiquidation(a, f.snapshot, f.config);
    expect(d.down!.move).toBeLessThan(0);
    expect(d.up!.move).toBeGreaterThan(0);
    expect(liquidationOrder(a, f.snapshot, f.config).steps.length).toBeGreaterThan(0);
  });
});

describe('examples/portfolio-multi.json', () => {
  const f = load('portfolio-multi.json');

  it('overrides_apply_and_the_pair_earns_a_credit', () => {
    expect(f.config.priceRange.byUnderlying).toEqual({ ETH: 0.2, SOL: 0.24 });
    const r = aggregateRiskMatrix(buildRiskMatrix(f.accounts[0]!, f.snapshot, f.config), {
      includeMatrix: true,
    });
    expect(r.groups.map((g) => g.underlyings)).toEqual([['BTC', 'ETH'], ['SOL']]);
    expect(r.correlationCredit).toBeGreaterThanOrEqual(0);
    expect(r.initialMargin).toBeGreaterThanOrEqual(r.largestScenarioLoss);
    expect(r.matrix!.rows).toHaveLength(35);
  });

  it('rejects_a_file_with_both_preset_and_config', () => {
    const raw = JSON.parse(
      readFileSync(new URL('../../../examples/portfolio-multi.json', import.meta.url), 'utf8'),
    );
    const r = parsePortfolioFile({ ...raw, config: {} });
    expect(r.ok).toBe(false);
  });

  it('reports_override_issues_with_their_path', () => {
    const raw = JSON.parse(
      readFileSync(new URL('../../../examples/portfolio-multi.json', import.meta.url), 'utf8'),
    );
    const r = parsePortfolioFile({ ...raw, overrides: { maintenanceFraction: 2 } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]).toMatch(/^overrides\.maintenanceFraction/);
  });
});
