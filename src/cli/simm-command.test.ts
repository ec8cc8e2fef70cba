/**
 * `plimsoll simm`: the example CRIF (the sensitivities of ISDA SIMM unit test C223, "All Equity
 * Sensitivities") gives ISDA's expected total, and bad CRIF input is a usage error naming the row.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.ts';
import { runSimmCommand } from './simm-command.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/crif-equity.csv', import.meta.url));
const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/simm_isda_v2_5_unit_tests.json', import.meta.url), 'utf8'),
);

describe('plimsoll simm examples/crif-equity.csv', () => {
  it('reproduces ISDA unit test C223 (expected total, whole USD)', () => {
    const c223 = vectors.cases.find((c: { id: string }) => c.id === 'C223');
    const r = JSON.parse(runSimmCommand(EXAMPLE, { json: true }));
    expect(r.rows).toBe(c223.inputs.length);
    expect(Math.abs(r.initialMargin - c223.expected.total)).toBeLessThanOrEqual(1);
  });
  it('prints the breakdown by product class, risk class and bucket', () => {
    const text = runSimmCommand(EXAMPLE);
    expect(text).toMatch(/Initial margin 18,106,127,19\d\.\d\d USD/);
    expect(text).toMatch(/product class Credit/); // S_EQ_28 is booked in Credit
  });
});

describe('plimsoll simm: bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-simm-'));
  const write = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const header = 'RiskType,Qualifier,Bucket,Label1,AmountUSD\n';
  const cases: [string, string, RegExp][] = [
    [
      'no_amount_column',
      write('a.csv', 'RiskType,Qualifier,Bucket,Label1\nRisk_Equity,X,1,\n'),
      /no AmountUSD/,
    ],
    ['nan_amount', write('b.csv', `${header}Risk_Equity,X,1,,NaN\n`), /not a finite number/],
    ['unknown_bucket', write('c.csv', `${header}Risk_Equity,X,13,,100\n`), /unknown Equity bucket '13'/],
    ['vega_without_tenor', write('d.csv', `${header}Risk_EquityVol,X,1,,100\n`), /vol tenor/],
    [
      'amount_in_another_currency',
      write('e.csv', 'RiskType,Qualifier,Bucket,Label1,Amount,AmountCurrency\nRisk_Equity,X,1,,100,EUR\n'),
      /give AmountUSD/,
    ],
    ['short_row', write('f.csv', `${header}Risk_Equity,X,1\n`), /3 fields, the header has 5/],
    ['missing_file', join(dir, 'nope.csv'), /cannot read/],
  ];
  for (const [name, file, message] of cases) {
    it(name, () => {
      expect(() => runSimmCommand(file)).toThrow(UsageError);
      expect(() => runSimmCommand(file)).toThrow(message);
    });
  }
});
