/**
 * `plimsoll simm FILE`: standard ISDA SIMM (v2.5, 10-day, USD; Equity, Commodity and FX risk
 * classes) of a CRIF file — the sensitivities format risk teams exchange — with the margin
 * broken down by product class, risk class, measure (delta / vega / curvature) and bucket.
 *
 *   plimsoll simm FILE.csv|FILE.tsv|FILE.json [--json]
 *
 * CSV/TSV: a header row with CRIF column names (case-insensitive): RiskType, Qualifier, Bucket,
 * Label1, and AmountUSD (or Amount with AmountCurrency USD); ProductClass optional. Other CRIF
 * columns (Label2, AmountCurrency, …) are accepted and ignored. JSON: an array of
 * {productClass?, riskType, qualifier, bucket, label1, amount} rows. Amounts are USD.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type CrifRowInput, CrifSchema, simmStandardMargin } from '../core/portfolio/simm-standard.ts';
import { EXIT_OK, UsageError } from './errors.ts';

const money = (x: number) =>
  x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** CRIF rows from CSV/TSV text (no quoted fields: CRIF identifiers carry no separators). */
export function parseCrifText(text: string, source: string): CrifRowInput[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new UsageError(`${source}: empty CRIF file`);
  const sep = lines[0]!.includes('\t') ? '\t' : ',';
  const header = lines[0]!.split(sep).map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name.toLowerCase());
  const need = ['RiskType', 'Qualifier'];
  for (const n of need) if (col(n) < 0) throw new UsageError(`${source}: no ${n} column in the header`);
  const iUsd = col('AmountUSD');
  const iAmount = col('Amount');
  const iCcy = col('AmountCurrency');
  if (iUsd < 0 && iAmount < 0) throw new UsageError(`${source}: no AmountUSD (or Amount) column`);
  return lines.slice(1).map((line, i) => {
    const where = `${source}:${i + 2}`;
    if (line.includes('"')) throw new UsageError(`${where}: quoted fields are not supported`);
    const f = line.split(sep).map((x) => x.trim());
    if (f.length !== header.length)
      throw new UsageError(`${where}: ${f.length} fields, the header has ${header.length}`);
    const cell = (name: string) => (col(name) >= 0 ? f[col(name)]! : '');
    let amountText = iUsd >= 0 ? f[iUsd]! : f[iAmount]!;
    if (iUsd < 0 && iCcy >= 0 && f[iCcy] !== '' && f[iCcy] !== 'USD')
      throw new UsageError(
        `${where}: Amount in ${f[iCcy]}: give AmountUSD (the calculation currency is USD)`,
      );
    amountText = amountText.replace(/_/g, '');
    const amount = Number(amountText);
    if (amountText === '' || !Number.isFinite(amount))
      throw new UsageError(`${where}: amount ${JSON.stringify(amountText)} is not a finite number`);
    const productClass = cell('ProductClass');
    return {
      ...(productClass === '' ? {} : { productClass: productClass as CrifRowInput['productClass'] }),
      riskType: cell('RiskType') as CrifRowInput['riskType'],
      qualifier: cell('Qualifier'),
      bucket: cell('Bucket'),
      label1: cell('Label1'),
      amount,
    };
  });
}

/** Runs the command on a file and returns the report text; throws UsageError on bad input. */
export function runSimmCommand(file: string, o: { json?: boolean } = {}): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let rows: unknown;
  if (file.toLowerCase().endsWith('.json')) {
    try {
      rows = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${file} is not JSON: ${(e as Error).message}`);
    }
  } else rows = parseCrifText(text, file);
  const parsed = CrifSchema.safeParse(rows);
  if (!parsed.success)
    throw new UsageError(
      `invalid CRIF in ${file}:\n  ${parsed.error.issues.map((i) => `row ${i.path.join('.')}: ${i.message}`).join('\n  ')}`,
    );
  const r = simmStandardMargin(parsed.data);
  if (o.json) return `${JSON.stringify({ file, rows: parsed.data.length, ...r }, null, 2)}\n`;
  const out = [
    `SIMM ${file} — ${r.version}; ${parsed.data.length} sensitivities\n`,
    `Initial margin ${money(r.initialMargin)} USD\n`,
  ];
  for (const pc of r.productClasses) {
    out.push(`  product class ${pc.productClass}: ${money(pc.margin)}\n`);
    for (const rc of pc.riskClasses) {
      out.push(
        `    ${rc.riskClass.padEnd(9)} ${money(rc.margin).padStart(20)}  = delta ${money(rc.delta.margin)} + vega ${money(rc.vega.margin)} + curvature ${money(rc.curvature.margin)}\n`,
      );
      const buckets = rc.delta.buckets.map((b) => `${b.bucket || '(one)'}: ${money(b.k)}`).join(' · ');
      if (buckets) out.push(`      delta K_b  ${buckets}\n`);
    }
  }
  return out.join('');
}

/** Adds the `simm` command to `program`. */
export function registerSimmCommand(
  program: Command,
  io: { out?: (t: string) => void; setExitCode?: (c: number) => void } = {},
): Command {
  const out = io.out ?? ((t: string) => process.stdout.write(t));
  return program
    .command('simm')
    .description(
      'Standard ISDA SIMM v2.5 (Equity, Commodity, FX; 10-day, USD) of a CRIF sensitivities file, broken down by product class, risk class, measure and bucket (docs/portfolio-margin.md).',
    )
    .argument('<file>', 'CRIF as CSV/TSV (CRIF column names) or JSON rows, e.g. examples/crif-equity.csv')
    .option('--json', 'print the breakdown as JSON', false)
    .action((file: string, o: { json?: boolean }) => {
      out(runSimmCommand(file, o));
      io.setExitCode?.(EXIT_OK);
    });
}
