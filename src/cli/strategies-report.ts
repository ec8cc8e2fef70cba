/**
 * The strategy lab's report: the summary table as text and as one self-contained HTML file
 * (inline CSS, charts rendered to SVG on the server with the risk lab's vega-lite renderer, no
 * scripts, no network).
 */
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../sim/report/charts.ts';
import { LAB_POLICIES, type SummaryRow } from './strategy-lab.ts';

export interface LabReport {
  readonly command: string;
  readonly seeds: number;
  readonly scenarios: readonly { readonly id: string; readonly description: string }[];
  readonly covarianceSource: string;
  readonly rows: readonly SummaryRow[];
}

const usd = (x: number) => Math.round(x).toLocaleString('en-US');
const ci = (c: { mean: number; lo: number; hi: number }) => `${usd(c.mean)} [${usd(c.lo)}, ${usd(c.hi)}]`;

export const TABLE_HEAD = [
  'scenario',
  'policy',
  'liquidated',
  'penalty',
  'liq. loss',
  'avoided',
  'fees',
  'slippage',
  'funding',
  'idle',
  'net [95% CI]',
];

export function tableCells(r: SummaryRow): string[] {
  return [
    r.scenario,
    r.policy,
    `${r.liquidated}/${r.seeds}`,
    usd(r.penalty),
    usd(r.liquidationLoss),
    usd(r.avoided.mean),
    usd(r.fees),
    usd(r.slippage),
    usd(r.funding),
    usd(r.idle),
    r.policy === 'nothing' ? '—' : ci(r.net),
  ];
}

/** The table as aligned text (USD, means over the seeds). */
export function formatLabTable(rows: readonly SummaryRow[]): string {
  const cells = [TABLE_HEAD, ...rows.map(tableCells)];
  const w = TABLE_HEAD.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [
    line(TABLE_HEAD),
    w.map((n) => '-'.repeat(n)).join('  '),
    ...rows.map((r) => line(tableCells(r))),
  ].join('\n');
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLORS = ['#888888', '#4c78a8', '#f58518', '#54a24b', '#e45756'];
const policyColor = {
  field: 'policy',
  type: 'nominal',
  sort: [...LAB_POLICIES],
  scale: { domain: [...LAB_POLICIES], range: COLORS },
} as const;

function charts(rows: readonly SummaryRow[]): { title: string; caption: string; spec: TopLevelSpec }[] {
  const acting = rows.filter((r) => r.policy !== 'nothing');
  const net = acting.map((r) => ({
    scenario: r.scenario,
    policy: r.policy,
    net: r.net.mean,
    lo: r.net.lo,
    hi: r.net.hi,
  }));
  const liq = rows.map((r) => ({ scenario: r.scenario, policy: r.policy, share: r.liquidated / r.seeds }));
  const cost = acting.flatMap((r) =>
    (['fees', 'slippage', 'funding', 'idle'] as const).map((k) => ({
      scenario: r.scenario,
      policy: r.policy,
      part: k,
      usd: r[k],
    })),
  );
  const base = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: { font: 'Helvetica, Arial, sans-serif', legend: { orient: 'bottom' } },
  };
  return [
    {
      title: 'Net result against doing nothing',
      caption:
        'Mean over the seeds of (liquidation loss avoided − cost of the technique), USD, with its 95 % confidence interval (paired t over the same seeds). Above zero: the strategy paid for itself.',
      spec: {
        ...base,
        data: { values: net },
        facet: { column: { field: 'scenario', type: 'nominal', title: null } },
        spec: {
          width: 160,
          height: 220,
          layer: [
            {
              mark: 'bar',
              encoding: {
                x: { field: 'policy', type: 'nominal', sort: [...LAB_POLICIES], title: null },
                y: { field: 'net', type: 'quantitative', title: 'net result (USD)' },
                color: policyColor,
              },
            },
            {
              mark: { type: 'rule', color: '#222' },
              encoding: {
                x: { field: 'policy', type: 'nominal', sort: [...LAB_POLICIES] },
                y: { field: 'lo', type: 'quantitative' },
                y2: { field: 'hi' },
              },
            },
          ],
        },
      } as TopLevelSpec,
    },
    {
      title: 'Share of seeds liquidated',
      caption: 'How often the account was liquidated within the window, per policy.',
      spec: {
        ...base,
        data: { values: liq },
        facet: { column: { field: 'scenario', type: 'nominal', title: null } },
        spec: {
          width: 160,
          height: 180,
          mark: 'bar',
          encoding: {
            x: { field: 'policy', type: 'nominal', sort: [...LAB_POLICIES], title: null },
            y: { field: 'share', type: 'quantitative', title: 'liquidated', axis: { format: '%' } },
            color: policyColor,
          },
        },
      } as TopLevelSpec,
    },
    {
      title: 'What each technique costs',
      caption:
        'Mean cost per seed, USD: trading fees, slippage of its own trades through the depth model, hedge funding (negative: received) and capital held idle in the reserve.',
      spec: {
        ...base,
        data: { values: cost },
        facet: { column: { field: 'scenario', type: 'nominal', title: null } },
        spec: {
          width: 160,
          height: 180,
          mark: 'bar',
          encoding: {
            x: { field: 'policy', type: 'nominal', sort: [...LAB_POLICIES], title: null },
            y: { field: 'usd', type: 'quantitative', title: 'cost (USD)', stack: 'zero' },
            color: { field: 'part', type: 'nominal', title: 'cost' },
          },
        },
      } as TopLevelSpec,
    },
  ];
}

const CSS = `
body { font-family: Helvetica, Arial, sans-serif; color: #222; max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
table { border-collapse: collapse; font-size: .82em; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: .3em .5em; text-align: right; white-space: nowrap; }
thead th { background: #eef1f5; }
td:nth-child(-n+2) { text-align: left; }
figure { margin: 2em 0; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: .9em; max-width: 800px; }
code { background: #f5f7fa; padding: .1em .3em; }
`;

/** The HTML report (renders the charts). */
export async function labReportHtml(r: LabReport): Promise<string> {
  const cs = charts(r.rows);
  const svgs = await Promise.all(cs.map((c) => renderSvg(c.spec)));
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Plimsoll — margin strategies against doing nothing</title><style>${CSS}</style></head>
<body>
<h1>Margin strategies against doing nothing</h1>
<p>Reproduce: <code>${esc(r.command)}</code> · ${r.seeds} seeds per scenario · covariance: ${esc(r.covarianceSource)}</p>
<ul>${r.scenarios.map((s) => `<li><strong>${esc(s.id)}</strong>: ${esc(s.description)}</li>`).join('')}</ul>
<p>Each seed draws the account's leverage (2–6×) and the ETH residual moves (and, for synthetic days, the whole path);
every policy runs on the same seeds. Money in USD, means over the seeds. <em>Liq. loss</em>: liquidation penalty plus the
slippage of the forced close; <em>avoided</em>: liquidation loss of doing nothing minus the policy's; <em>net</em>: avoided
minus the technique's cost (fees, slippage, funding, idle capital), paired over the seeds, with its 95 % confidence interval.</p>
<table><thead><tr>${TABLE_HEAD.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>
<tbody>${r.rows
    .map(
      (row) =>
        `<tr>${tableCells(row)
          .map((c) => `<td>${esc(c)}</td>`)
          .join('')}</tr>`,
    )
    .join('\n')}</tbody></table>
${cs.map((c, i) => `<figure>${svgs[i]}<figcaption><strong>${esc(c.title)}.</strong> ${esc(c.caption)}</figcaption></figure>`).join('\n')}
</body>
</html>
`;
}
