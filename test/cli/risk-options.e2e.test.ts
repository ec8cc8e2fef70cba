/**
 * `plimsoll risk` with options and portfolio margin, end to end, against hand derivations.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, REPO } from './run-cli.ts';

const EXAMPLE = 'examples/risk-options-portfolio.json';
const example = JSON.parse(readFileSync(join(REPO, EXAMPLE), 'utf8'));
// biome-ignore lint/suspicious/noExplicitAny: JSON report
type Json = any;
let byAccount: Record<string, Json>;

beforeAll(() => {
  const r = cli(['risk', EXAMPLE, '--matrix']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  byAccount = Object.fromEntries(JSON.parse(r.stdout).accounts.map((a: Json) => [a.account, a]));
});

describe(`plimsoll risk ${EXAMPLE} --matrix`, () => {
  it('standard margin of a protected long: perp 10% + the put premium (hand-derived)', () => {
    const c = byAccount['protected-standard'].cross;
    expect(c.initialMargin).toBe('14476.7'); // 10,000 + 4,476.70
    expect(c.maintenanceMargin).toBe('9476.7'); // 5,000 + 4,476.70
    expect(c.portfolio).toBeUndefined();
  });

  it('distance to liquidation of the standard book: x* = −(15,000 − 4,476.70 − 5,000)/95,000', () => {
    // equity 15,000 + 100,000x + P(S) − 4,476.70 meets MM 5%·100,000(1 + x) + P(S): the put cancels.
    const d = byAccount['protected-standard'].cross.distanceToLiquidation[0];
    expect(d.underlying).toBe('BTC');
    expect(d.down.move).toBeCloseTo(-5523.3 / 95_000, 5);
    expect(d.up).toBeNull();
  });

  it('portfolio margin of the same book is far lower and never liquidates on a fall (the put floors the loss)', () => {
    const c = byAccount.protected.cross;
    expect(Number(c.initialMargin)).toBeLessThan(0.6 * 14_476.7);
    expect(Number(c.initialMargin)).toBeGreaterThanOrEqual(c.portfolio.largestScenarioLoss);
    expect(c.portfolio.underlyings[0].worstScenario.priceMove).toBeLessThan(0);
    expect(c.distanceToLiquidation[0].down).toBeNull();
    // --matrix: every scenario of the crypto-pm grid (9 moves × 3 vol shocks + 8 extended)
    expect(c.portfolio.matrix.rows).toHaveLength(35);
  });

  it('per-position standard figures of a short put (Deribit rule, hand-derived)', () => {
    const put = byAccount.strangle.cross.positions.find((p: Json) => p.market === 'BTC-20261225-95000-P');
    // IM = max(0.15·100,000 − 5,000, 0.1·100,000) + 4,476.70; MM = 0.075·100,000 + 4,476.70
    expect(put.initialMargin).toBe('14476.7');
    expect(put.maintenanceMargin).toBe('11976.7');
    expect(put.liquidationPrice).toBeNull();
    const d = byAccount.strangle.cross.distanceToLiquidation[0];
    expect(d.down.move).toBeLessThan(0);
    expect(d.up.move).toBeGreaterThan(0);
  });
});

describe('plimsoll risk with options: bad input exits 2 with a message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-risk-opt-'));
  const variant = (name: string, edit: (s: Json) => void) => {
    const s = structuredClone(example);
    edit(s);
    const f = join(dir, name);
    writeFileSync(f, JSON.stringify(s));
    return f;
  };
  const cases: [string, string, RegExp][] = [
    [
      'option_without_underlying_mark',
      variant('u.json', (s) => {
        delete s.prices.marks['BTC-PERP'];
        for (const a of s.accounts) a.positions = a.positions.filter((p: Json) => p.market !== 'BTC-PERP');
      }),
      /needs a mark for its underlying BTC-PERP/,
    ],
    ['portfolio_without_model', variant('p.json', (s) => delete s.config.portfolio), /no portfolio model/],
    [
      'call_mark_above_underlying',
      variant('c.json', (s) => (s.prices.marks['BTC-20261225-105000-C'] = '100001')),
      /no-arbitrage bound/,
    ],
  ];
  for (const [name, file, message] of cases) {
    it(name, () => {
      const r = cli(['risk', file]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
    });
  }
});
