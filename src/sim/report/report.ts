/**
 * The risk-committee report of a policy comparison: one self-contained HTML file (inline
 * SVG charts rendered server-side, inline CSS, no scripts, no network) and metrics.json
 * (every metric of every run; money as decimal strings, bigints as decimal strings).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Comparison, formatTable } from '../lab/compare.ts';
import { comparisonCharts, renderSvg } from './charts.ts';

export interface ReportMeta {
  readonly crash: string;
  readonly accounts: number;
  readonly seed: number;
  readonly dynamic: boolean;
  /** Generation time, ISO (default: now). */
  readonly generatedAt?: string;
}

export const REPORT_TITLE = 'Plimsoll — margin policy comparison';

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

/** The content of metrics.json. */
export function metricsDocument(cmp: Comparison, meta: ReportMeta) {
  return {
    run: { crash: meta.crash, accounts: meta.accounts, seed: meta.seed, dynamic: meta.dynamic },
    book: cmp.book,
    insuranceSeed: cmp.insuranceSeed,
    path: cmp.path,
    rows: cmp.rows,
  };
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The summary table as HTML: the same cells as the CLI's `formatTable`. */
export function metricsTableHtml(cmp: Comparison): string {
  const lines = formatTable(cmp.rows).split('\n');
  const cells = (line: string) => line.trim().split(/\s{2,}/);
  const head = cells(lines[0]!);
  const body = lines.slice(2).map(cells);
  return [
    '<table class="metrics">',
    `<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...body.map(
      (r) =>
        `<tr>${r.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`,
    ),
    '</tbody>',
    '</table>',
  ].join('\n');
}

const CSS = `
body { font-family: Helvetica, Arial, sans-serif; color: #222; max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
.meta { color: #555; margin-top: 0; }
.howto { background: #f5f7fa; border-left: 4px solid #4c78a8; padding: .6em 1em; }
table.metrics { border-collapse: collapse; font-size: .82em; margin: 1em 0; }
table.metrics th, table.metrics td { border: 1px solid #ccc; padding: .3em .5em; text-align: right; white-space: nowrap; }
table.metrics thead th { background: #eef1f5; }
table.metrics tbody th { text-align: left; }
figure { margin: 2em 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: .9em; max-width: 800px; }
.note { color: #8a5a00; }
.legend-text { font-size: .85em; color: #555; }
`;

/** Builds the report HTML (renders the charts). */
export async function buildReportHtml(cmp: Comparison, meta: ReportMeta): Promise<string> {
  const { charts, notes } = comparisonCharts(cmp);
  const svgs = await Promise.all(charts.map((c) => renderSvg(c.spec)));
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  const ok = cmp.rows.every((m) => m.conservation.ok);
  const policies = cmp.rows.map((m) => m.policy).join(', ');
  const figures = charts.map(
    (c, i) =>
      `<figure class="chart" id="chart-${c.id}">\n${svgs[i]}\n<figcaption><strong>${esc(c.title)}.</strong> ${esc(c.caption)}</figcaption>\n</figure>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(REPORT_TITLE)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(REPORT_TITLE)}</h1>
<p class="meta">${/^\d{4}-\d{2}-\d{2}$/.test(meta.crash) ? 'Crash' : 'Path'} ${esc(meta.crash)} · ${esc(cmp.history.description)} · ${esc(iso(cmp.path.from))} → ${esc(iso(cmp.path.to))} UTC (${cmp.path.points} price points)
 · ${meta.accounts.toLocaleString('en-US')} simulated traders, seed ${meta.seed}
 · book: ${esc(cmp.book.source)} depth × ${cmp.book.depthScale.toPrecision(3)}
 · insurance seed ${Number(cmp.insuranceSeed).toLocaleString('en-US')} USDC
 · generated ${esc(meta.generatedAt ?? new Date().toISOString())}</p>
<section class="howto">
<h2>How to read this report</h2>
<p>The same market history, the same traders and the same order book were run once per margin
policy (${esc(policies)}); every difference between the rows and lines below is caused by the policy alone.
Money is in USDC. A good policy for the venue keeps <em>bad debt</em>, <em>ADL</em> and
<em>socialized loss</em> at zero and the insurance fund positive, with few <em>induced</em>
liquidations (cascade depth ≥ 2) and a mark that stays close to the market price — while asking
traders for as little margin (<em>IM/OI</em>) as that allows. Money conservation was checked in every
run: ${ok ? '✓ passed' : '✗ FAILED'}.</p>
</section>
<h2>Summary by policy</h2>
${metricsTableHtml(cmp)}
<p class="legend-text">liqs p/f/b(/t): partial / full / bankrupt (/ backstop takeover) steps · hit: traders liquidated ·
IM/OI: Σ trader initial margin / Σ trader notional at the start · IF: insurance fund, maxDD its largest drawdown ·
peak depth: deepest cascade · induced: steps at depth ≥ 2 · lat: keeper latency, seconds ·
impact: largest move of the mark below / above the market price. Full figures: metrics.json.</p>
<h2>Charts</h2>
${figures.join('\n')}
${notes.map((n) => `<p class="note">${esc(n)}</p>`).join('\n')}
</body>
</html>
`;
}

/** Writes DIR/report.html and DIR/metrics.json; returns their paths. */
export async function writeReport(
  dir: string,
  cmp: Comparison,
  meta: ReportMeta,
): Promise<{ html: string; metrics: string }> {
  mkdirSync(dir, { recursive: true });
  const html = join(dir, 'report.html');
  const metrics = join(dir, 'metrics.json');
  writeFileSync(metrics, `${toJson(metricsDocument(cmp, meta))}\n`);
  writeFileSync(html, await buildReportHtml(cmp, meta));
  return { html, metrics };
}
