/**
 * Keeps the README's "published numbers reproduced exactly" line true: it recounts, per preset,
 * the venue's published numbers in `test/vectors/` (each file names its source) and how many of
 * them the tests hold to the published precision, and compares with the line between the
 * README's `published-counts` markers.
 *
 * A case counts once (a vector case, however many figures it states). It counts as exact when its
 * tolerance is zero or absent (the tests assert equality), or no wider than half a unit of the
 * last decimal the source publishes (26,316.89 ± 0.005 is the published figure to the cent). A
 * wider tolerance — Bybit's 5,739.50 ± 0.5, Binance's calculator 33,599.40 ± 0.02, a relative
 * 1e-6 on an unrounded float — is matched, not exact. A case that also states its figure in the
 * venue's integer unit (dYdX quantums) is exact: the tests compare those integers. The tests that use each vector assert its
 * tolerance, so a count here is only as true as those tests are green.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

type Case = {
  name?: string;
  preset?: string;
  expected?: Record<string, unknown>;
  tolerance?: Record<string, unknown>;
  [k: string]: unknown;
};

const root = new URL('../../../', import.meta.url);
const vector = (file: string): Case[] =>
  (JSON.parse(readFileSync(new URL(`test/vectors/${file}`, root), 'utf8')) as { cases: Case[] }).cases;

/** Which vector cases are which preset's published numbers. */
const PUBLISHED: Record<string, { file: string; match?: (c: Case) => boolean }[]> = {
  'binance-usdm': [
    { file: 'binance_usdm_worked_example.json' },
    { file: 'binance_usdm_btcusdt_brackets.json' },
    {
      file: 'cex_liquidation_price.json',
      match: (c) => /^(binance_isolated|freqtrade_binance)_/.test(c.name!),
    },
  ],
  'bybit-usdt': [
    { file: 'cex_liquidation_price.json', match: (c) => c.name!.startsWith('freqtrade_bybit_') },
  ],
  'dydx-v4': [{ file: 'dydx_v4_margin_liquidation.json' }, { file: 'dydx_v4_liquidation_fees.json' }],
  'drift-v2': [
    { file: 'drift_v2_liquidation_margin.json' },
    { file: 'drift_v2_size_weights.json' },
    { file: 'drift_v2_bankruptcy.json' },
  ],
  hyperliquid: [{ file: 'hyperliquid_docs.json' }],
  'aave-v3': [{ file: 'aave_v3_health_factor.json' }, { file: 'aave_v3_docs.json' }],
  'mango-v4': [{ file: 'mango_v4_health.json' }],
  'binance-coinm': [
    { file: 'inverse_liquidation_price.json', match: (c) => c.name!.startsWith('binance_coinm_') },
  ],
  'bybit-inverse': [{ file: 'inverse_liquidation_price.json', match: (c) => c.preset === 'bybit-inverse' }],
  'bitmex-inverse': [{ file: 'inverse_liquidation_price.json', match: (c) => c.preset === 'bitmex-inverse' }],
};

/** Decimals a published figure shows ("5739.50" → 2, 26316.89 → 2, 38 → 0). */
function decimals(v: unknown): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const s = String(v);
  if (!/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(s)) return undefined; // an expression, not a figure
  if (/e/i.test(s))
    return Math.max(0, -Number(s.split(/e/i)[1]) + (s.split(/e/i)[0]!.split('.')[1]?.length ?? 0));
  return s.split('.')[1]?.length ?? 0;
}

/** The figures a case publishes: its `expected` block, else its own fields but the case's frame. */
function published(c: Case): unknown[] {
  if (c.expected !== undefined) return Object.values(c.expected);
  const frame = new Set(['name', 'group', 'source', 'inputs', 'tolerance', 'quote', 'note', 'preset']);
  return Object.entries(c)
    .filter(([k]) => !frame.has(k))
    .map(([, v]) => v);
}

function isExact(c: Case): boolean {
  const tol = c.tolerance;
  if (tol === undefined) return true;
  // dYdX states its quote in integer quantums too, which the tests compare with toBe.
  if (c.expected !== undefined && Object.keys(c.expected).some((k) => k.endsWith('Quantums'))) return true;
  const figures = published(c)
    .flat()
    .filter((v) => decimals(v) !== undefined);
  const places = Math.max(0, ...figures.map((v) => decimals(v)!));
  const half = 0.5 * 10 ** -places;
  const largest = Math.max(0, ...figures.map((v) => Math.abs(Number(v))));
  for (const [k, raw] of Object.entries(tol)) {
    if (k === 'note') continue;
    const t = Number(raw);
    if (t === 0) continue;
    const width = /rel/i.test(k) ? t * largest : t;
    if (width > half * (1 + 1e-9)) return false;
  }
  return true;
}

function publishedCounts(): Record<string, { exact: number; total: number }> {
  const out: Record<string, { exact: number; total: number }> = {};
  for (const [preset, sources] of Object.entries(PUBLISHED)) {
    let exact = 0;
    let total = 0;
    for (const { file, match } of sources)
      for (const c of vector(file))
        if (match === undefined || match(c)) {
          total++;
          if (isExact(c)) exact++;
        }
    out[preset] = { exact, total };
  }
  return out;
}

describe('README: published numbers reproduced exactly, per preset', () => {
  it('the exactness rule: zero or half a unit of the last published digit is exact, wider is not', () => {
    expect(isExact({ expected: { p: '26316.89' }, tolerance: { abs: '0.005' } })).toBe(true);
    expect(isExact({ expected: { p: '5739.50' }, tolerance: { abs: '0.5' } })).toBe(false);
    expect(isExact({ expected: { p: '33599.40' }, tolerance: { abs: '0.02' } })).toBe(false);
    expect(isExact({ expected: { p: 8.1 }, tolerance: { rel: 1e-6 } })).toBe(true);
    expect(isExact({ expected: { p: 11.89108910891089 }, tolerance: { rel: 1e-6 } })).toBe(false);
    expect(isExact({ expected: { hf: '1' }, tolerance: { abs: 0 } })).toBe(true);
    expect(isExact({ expected: { w: 9000 } })).toBe(true);
  });

  it('every preset has published numbers, and the README line states the recount', () => {
    const counts = publishedCounts();
    for (const [preset, n] of Object.entries(counts)) expect(n.total, preset).toBeGreaterThan(0);
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const block = /<!-- published-counts -->([\s\S]*?)<!-- \/published-counts -->/.exec(readme);
    expect(block, 'README has the published-counts markers').not.toBeNull();
    const stated: Record<string, { exact: number; total: number }> = {};
    for (const m of block![1]!.matchAll(/`([a-z0-9-]+)` (\d+)\/(\d+)/g))
      stated[m[1]!] = { exact: Number(m[2]), total: Number(m[3]) };
    expect(stated).toEqual(counts);
  });
});
