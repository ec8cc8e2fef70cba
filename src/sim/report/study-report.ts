/**
 * The study's report: one self-contained HTML file (inline SVG charts rendered server-side with
 * the comparison report's renderer, inline CSS, no scripts, no network) with, per history, the
 * policies' means and 95 % intervals, the paired differences against the baseline and their
 * verdicts, the headline at equal IM/OI, the Pareto frontier (chart and table), each anti-cascade
 * mechanism against the same policy without it, and the keeper-latency charts; and study.json,
 * the whole study (every run's outcome).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { mechanismByName } from '../lab/mechanisms.ts';
import {
  EQUAL_IM_OI,
  formatDifference,
  formatInterval,
  METRIC_LABELS,
  STUDY_METRICS,
  type StudyCell,
  type StudyResult,
} from '../lab/study.ts';
import { renderSvg } from './charts.ts';
import { toJson } from './report.ts';

export const STUDY_TITLE = 'Plimsoll — margin policy study';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const CSS = `
body { font-family: Helvetica, Arial, sans-serif; color: #222; max-width: 1200px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
.meta { color: #555; margin-top: 0; }
.howto { background: #f5f7fa; border-left: 4px solid #4c78a8; padding: .6em 1em; }
table.metrics { border-collapse: collapse; font-size: .8em; margin: 1em 0; }
table.metrics th, table.metrics td { border: 1px solid #ccc; padding: .3em .5em; text-align: right; white-space: nowrap; }
table.metrics thead th { background: #eef1f5; }
table.metrics tbody th { text-align: left; }
td.same { color: #777; }
td.better { color: #1b7a2f; }
td.worse { color: #b3261e; }
figure svg { max-width: 100%; height: auto; }
.headline { background: #fdf6e3; border-left: 4px solid #b58900; padding: .3em 1em; }
figcaption { color: #444; font-size: .9em; max-width: 800px; }
`;

function verdict(cell: StudyCell, metric: (typeof STUDY_METRICS)[number], i: number, ref: string) {
  const d = cell.policies[i]!.metrics[metric].vsBaseline;
  if (!d) return { cls: '', text: 'baseline' };
  if (!d.distinguishable)
    return { cls: 'same', text: `${formatDifference(metric, d)} — not distinguishable from ${ref}` };
  const lowerIsBetter = metric !== 'imOi';
  const better = lowerIsBetter ? d.t.mean < 0 : false;
  return {
    cls: metric === 'imOi' ? '' : better ? 'better' : 'worse',
    text: `${formatDifference(metric, d)} (${d.t.mean < 0 ? 'lower' : 'higher'} than ${ref})`,
  };
}

/** The levels and the paired differences of one history × keeper. */
function cellTables(cell: StudyCell, baseline: string): string {
  const levels = [
    '<table class="metrics">',
    `<thead><tr><th>policy</th>${STUDY_METRICS.map((m) => `<th>${esc(METRIC_LABELS[m])}<br>mean [t 95 %] [bootstrap 95 %]</th>`).join('')}</tr></thead><tbody>`,
    ...cell.policies.map(
      (p) =>
        `<tr><th scope="row">${esc(p.policy)}${p.conservationOk ? '' : ' ✗ conservation'}</th>${STUDY_METRICS.map(
          (m) =>
            `<td>${esc(formatInterval(m, p.metrics[m].t))}<br>${esc(formatInterval(m, p.metrics[m].bootstrap).replace(/^\S+ /, ''))}</td>`,
        ).join('')}</tr>`,
    ),
    '</tbody></table>',
  ];
  const mech = cell.mechanism;
  const compared = mech !== undefined ? cell.policies : cell.policies.slice(1);
  const first = mech !== undefined ? 0 : 1;
  const diffs = [
    '<table class="metrics">',
    `<thead><tr><th>${mech !== undefined ? `with ${esc(mech)} − without, same policy and seed` : `policy − ${esc(baseline)}, same seed`}</th>${STUDY_METRICS.map((m) => `<th>Δ ${esc(METRIC_LABELS[m])}</th>`).join('')}</tr></thead><tbody>`,
    ...compared.map(
      (p, k) =>
        `<tr><th scope="row">${esc(p.policy)}</th>${STUDY_METRICS.map((m) => {
          const v = verdict(
            cell,
            m,
            k + first,
            mech !== undefined ? `${p.policy} without ${mech}` : baseline,
          );
          return `<td class="${v.cls}">${esc(v.text)}</td>`;
        }).join('')}</tr>`,
    ),
    '</tbody></table>',
  ];
  return [...levels, ...diffs].join('\n');
}

/** Bad debt against fixed keeper latency, with 95 % bootstrap intervals, one line per policy. */
export function latencyChart(s: StudyResult, history: string): TopLevelSpec | undefined {
  const rows = s.cells.filter((c) => c.history === history && c.latency && c.latency.blockMs === undefined);
  if (rows.length < 2) return undefined;
  const values = rows.flatMap((c) =>
    c.policies.map((p) => ({
      latency: c.latency!.latencyMs / 1000,
      policy: p.policy,
      mean: p.metrics.badDebt.bootstrap.mean,
      lo: p.metrics.badDebt.bootstrap.lo,
      hi: p.metrics.badDebt.bootstrap.hi,
    })),
  );
  const x = {
    field: 'latency',
    type: 'quantitative',
    title: 'keeper latency, s (symlog scale)',
    scale: { type: 'symlog' },
  };
  const color = { field: 'policy', type: 'nominal', sort: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 760,
    height: 260,
    title: {
      text: `${history}: bad debt vs keeper latency`,
      subtitle: 'mean over the seeds with 95 % bootstrap interval',
    },
    data: { values },
    config: { font: 'Helvetica, Arial, sans-serif', legend: { orient: 'bottom', columns: 5, labelLimit: 0 } },
    layer: [
      {
        mark: { type: 'rule', opacity: 0.6 },
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
      },
      {
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'mean', type: 'quantitative', title: 'bad debt, USDC' }, color },
      },
    ],
  } as TopLevelSpec;
}

/** Each policy's frontier: mean bad debt (95 % t interval) against the opening book's IM/OI (time mean), one line per policy along its scales. */
export function frontierChart(s: StudyResult, history: string): TopLevelSpec | undefined {
  const pts = s.frontier.filter((f) => f.history === history);
  if (pts.length === 0) return undefined;
  const values = pts.map((f) => ({
    policy: f.policy,
    scale: f.scale,
    imOi: f.imOiBook.mean * 100,
    mean: f.badDebt.mean,
    lo: Math.max(0, f.badDebt.lo),
    hi: f.badDebt.hi,
  }));
  const x = {
    field: 'imOi',
    type: 'quantitative',
    title: 'IM/OI of the opening book, time mean, %',
    scale: { zero: false },
  };
  const color = { field: 'policy', type: 'nominal', sort: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 760,
    height: 280,
    title: {
      text: `${history}: bad debt vs capital efficiency (Pareto frontier)`,
      subtitle: 'each policy with its margin ratios × scale; mean over the seeds with 95 % t interval',
    },
    data: { values },
    config: { font: 'Helvetica, Arial, sans-serif', legend: { orient: 'bottom', columns: 5, labelLimit: 0 } },
    layer: [
      {
        mark: { type: 'rule', opacity: 0.5 },
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
      },
      {
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative', title: 'bad debt, USDC' },
          color,
          order: { field: 'scale', type: 'quantitative' },
        },
      },
    ],
  } as TopLevelSpec;
}

function frontierSection(s: StudyResult, history: string, svg: string | undefined): string {
  const pts = s.frontier.filter((f) => f.history === history);
  if (pts.length === 0) return '';
  const scales = [...new Set(pts.map((f) => f.scale))];
  const pols = [...new Set(pts.map((f) => f.policy))];
  const skipped = s.policies.filter((p) => !pols.includes(p));
  return [
    `<h3>${esc(history)}: Pareto frontier</h3>`,
    svg
      ? `<figure>${svg}<figcaption>Lower and further left is better: less bad debt for less margin.</figcaption></figure>`
      : '',
    '<table class="metrics frontier">',
    `<thead><tr><th>policy</th>${scales.map((k) => `<th>ratios × ${k}<br>IM/OI: opening book, time mean (survivors' time mean; start) · bad debt USDC [t 95 %]</th>`).join('')}</tr></thead><tbody>`,
    ...pols.map(
      (p) =>
        `<tr><th scope="row">${esc(p)}</th>${scales
          .map((k) => {
            const f = pts.find((x) => x.policy === p && x.scale === k)!;
            const im = (x: number) => `${(x * 100).toFixed(2)}%`;
            return `<td>${im(f.imOiBook.mean)} (${im(f.imOi.mean)}; ${im(f.imOiStart.mean)}) · ${esc(formatInterval('badDebt', f.badDebt))}</td>`;
          })
          .join('')}</tr>`,
    ),
    '</tbody></table>',
    skipped.length > 0
      ? `<p>Not on the frontier (no single ratio to scale): ${esc(skipped.join(', '))}.</p>`
      : '',
  ].join('\n');
}

/** Personalized margin: each policy − the baseline on bad debt and the well-behaved traders' figures, and who is charged why. */
function personalSection(s: StudyResult, history: string): string {
  const rows = s.personal.filter((c) => c.history === history);
  if (rows.length === 0) return '';
  const im = (x: number) => `${(x * 100).toFixed(2)}%`;
  const d = (m: 'badDebt' | 'adl' | 'imOi', x: (typeof rows)[number]['badDebt']) =>
    `${esc(formatDifference(m, x))}${x.distinguishable ? '' : ' (not distinguishable)'}`;
  return [
    `<h3>${esc(history)}: personalized margin (populations with behaviours)</h3>`,
    ...s.uniform
      .filter((u) => u.history === history)
      .map(
        (u) =>
          `<p>Uniform alternative: ${esc(s.baseline)}'s ratios × ${u.scale === null ? '— (no scale in [1, 8] matched)' : u.scale.toPrecision(3)} for everybody, asking ${(u.achieved * 100).toFixed(2)}% IM/OI at the start against personalized's ${(u.target * 100).toFixed(2)}% with its add-ons.</p>`,
      ),
    `<p>Policy − reference, same seeds, mean [95 % paired-t interval]. Well-behaved: traders with no add-on on any part (no wrong-way collateral, no leverage ramp-up, no late top-ups); their notional at the start is the leverage they get from the same collateral.</p>`,
    '<table class="metrics"><thead><tr><th>policy − reference</th><th>charged traders</th><th>Δ bad debt USDC</th><th>Δ well-behaved notional USDC</th><th>Δ well-behaved IM/OI</th><th>required IM/OI with add-ons (reference → policy)</th></tr></thead><tbody>',
    ...rows.map(
      (c) =>
        `<tr><th scope="row">${esc(c.policy)} − ${esc(c.against)}</th><td>${c.charged.toFixed(1)}</td><td>${d('badDebt', c.badDebt)}</td><td>${d('adl', c.wellNotional)}</td><td>${d('imOi', c.wellImOi)}</td><td>${im(c.baselineRequiredImOi)} → ${im(c.baselineRequiredImOi + c.requiredImOi.t.mean)}</td></tr>`,
    ),
    '</tbody></table>',
    ...rows
      .filter((c) => c.explanation.lines.length > 0 && c.against === s.baseline)
      .map(
        (c) =>
          `<p>${esc(c.policy)}: ${c.explanation.charged} of ${s.accounts} traders charged on seed ${c.explanation.seed}; the largest add-ons and why:</p><pre>${esc(c.explanation.lines.join('\n'))}</pre>`,
      ),
  ].join('\n');
}

/** Each mechanism's paired effect on bad debt (with − without, 95 % t interval), one row per mechanism, a dot per policy. */
export function mechanismChart(s: StudyResult, history: string): TopLevelSpec | undefined {
  const cells = s.cells.filter((c) => c.history === history && c.mechanism !== undefined);
  if (cells.length === 0) return undefined;
  const values = cells.flatMap((c) =>
    c.policies.map((p) => {
      const d = p.metrics.badDebt.vsBaseline!;
      return { mechanism: c.mechanism, policy: p.policy, mean: d.t.mean, lo: d.t.lo, hi: d.t.hi };
    }),
  );
  const y = { field: 'mechanism', type: 'nominal', title: null, sort: null };
  const color = { field: 'policy', type: 'nominal', sort: null };
  const yOffset = { field: 'policy', type: 'nominal', sort: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 760,
    height: { step: 60 },
    title: {
      text: `${history}: bad debt with each mechanism − without (same policy, same seeds)`,
      subtitle: 'paired mean difference with 95 % t interval; left of 0: the mechanism lowers bad debt',
    },
    data: { values },
    config: { font: 'Helvetica, Arial, sans-serif', legend: { orient: 'bottom', columns: 5, labelLimit: 0 } },
    layer: [
      {
        mark: { type: 'rule' },
        encoding: {
          x: { field: 'lo', type: 'quantitative', title: 'Δ bad debt, USDC' },
          x2: { field: 'hi' },
          y,
          yOffset,
          color,
        },
      },
      {
        mark: { type: 'point', filled: true },
        encoding: { x: { field: 'mean', type: 'quantitative' }, y, yOffset, color },
      },
      { mark: { type: 'rule', color: '#888', strokeDash: [4, 4] }, encoding: { x: { datum: 0 } } },
    ],
  } as TopLevelSpec;
}

/** The headline at equal IM/OI: each calibrated policy's bad debt against the baseline's, paired. */
function headline(s: StudyResult, history: string): string {
  const equal = s.cells.find((c) => c.history === history && c.keeper === EQUAL_IM_OI);
  if (!equal || equal.policies.length < 2) return '';
  const items = equal.policies.slice(1).map((p) => {
    const d = p.metrics.badDebt.vsBaseline!;
    return `<li><strong>${esc(p.policy)}</strong>: bad debt ${esc(formatInterval('badDebt', p.metrics.badDebt.t))} against ${esc(s.baseline)}'s ${esc(formatInterval('badDebt', equal.policies[0]!.metrics.badDebt.t))}; Δ ${esc(formatDifference('badDebt', d))}${d.distinguishable ? '' : ' — not distinguishable'}</li>`;
  });
  return `<div class="headline"><h3>${esc(history)}: the headline at equal IM/OI</h3><ul>${items.join('')}</ul></div>`;
}

function latencySection(s: StudyResult, history: string, svg: string | undefined): string {
  const rows = s.cells.filter((c) => c.history === history && c.latency);
  if (rows.length === 0) return '';
  const table = (title: string, cell: (c: StudyCell, i: number) => string) =>
    [
      `<h4>${esc(title)}</h4><table class="metrics">`,
      `<thead><tr><th>latency</th>${s.policies.map((p) => `<th>${esc(p)}</th>`).join('')}</tr></thead><tbody>`,
      ...rows.map(
        (c) =>
          `<tr><th scope="row">${esc(c.keeper)}</th>${c.policies.map((_, i) => `<td>${esc(cell(c, i))}</td>`).join('')}</tr>`,
      ),
      '</tbody></table>',
    ].join('\n');
  const d = s.doubling.filter((x) => x.history === history);
  return [
    `<h3>${esc(history)}: keeper latency</h3>`,
    svg
      ? `<figure>${svg}<figcaption>Fixed latencies only; block schedules are in the tables.</figcaption></figure>`
      : '',
    table('Bad debt, USDC: mean [95 % bootstrap]', (c, i) =>
      formatInterval('badDebt', c.policies[i]!.metrics.badDebt.bootstrap),
    ),
    table('ADL notional, USDC: mean [95 % bootstrap]', (c, i) =>
      formatInterval('adl', c.policies[i]!.metrics.adl.bootstrap),
    ),
    table('Peak cascade depth: mean [95 % bootstrap]', (c, i) =>
      formatInterval('cascadeDepth', c.policies[i]!.metrics.cascadeDepth.bootstrap),
    ),
    d.length > 0
      ? `<p>Latency at which mean bad debt doubles (against ${d[0]!.referenceLatencySeconds} s, interpolated): ${d
          .map((x) => `<strong>${esc(x.policy)}</strong> ${esc(x.note)}`)
          .join(' · ')}</p>`
      : '',
  ].join('\n');
}

/** Builds the study's HTML. */
export async function buildStudyHtml(s: StudyResult, meta: { generatedAt?: string; command?: string } = {}) {
  const charts = await Promise.all(
    s.histories.map(async (h) => {
      const spec = latencyChart(s, h);
      return spec ? renderSvg(spec) : undefined;
    }),
  );
  const mechanismCharts = await Promise.all(
    s.histories.map(async (h) => {
      const spec = mechanismChart(s, h);
      return spec ? renderSvg(spec) : undefined;
    }),
  );
  const frontierCharts = await Promise.all(
    s.histories.map(async (h) => {
      const spec = frontierChart(s, h);
      return spec ? renderSvg(spec) : undefined;
    }),
  );
  const ok = s.cells.every((c) => c.policies.every((p) => p.conservationOk));
  const sections = s.histories.map((h, i) => {
    const main = s.cells.find((c) => c.history === h && !c.latency)!;
    const equal = s.cells.find((c) => c.history === h && c.keeper === EQUAL_IM_OI);
    const cal = s.calibrations.filter((c) => c.history === h);
    const equalHtml = equal
      ? `<h3>At equal capital efficiency</h3>\n<p>Each policy's margin ratios scaled so that the IM/OI of its opening book (time mean) on the first seeds matches ${esc(s.baseline)}'s: ${cal
          .map((c) => `<strong>${esc(c.policy)}</strong> ${esc(c.note)}`)
          .join(' · ')}.</p>\n${cellTables(equal, s.baseline)}`
      : '';
    const mechanisms = s.cells
      .filter((c) => c.history === h && c.mechanism !== undefined)
      .map(
        (c) =>
          `<h3>${esc(h)}: anti-cascade mechanism <em>${esc(c.mechanism!)}</em></h3>\n<p>${esc(mechanismByName(c.mechanism!)?.description ?? '')}. Differences are against the same policy without the mechanism, same seeds.</p>\n${cellTables(c, s.baseline)}`,
      )
      .join('\n');
    const mechFigure = mechanismCharts[i] ? `<figure>${mechanismCharts[i]}</figure>` : '';
    return `<h2>${esc(h)}</h2>\n${headline(s, h)}\n<h3>Policies with the lab's default keeper</h3>\n${cellTables(main, s.baseline)}\n${equalHtml}\n${frontierSection(s, h, frontierCharts[i])}\n${personalSection(s, h)}\n${mechFigure}\n${mechanisms}\n${latencySection(s, h, charts[i])}`;
  });
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${esc(STUDY_TITLE)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(STUDY_TITLE)}</h1>
<p class="meta">${esc(s.histories.join(', '))} · ${s.seeds.length} trader populations per history (seeds ${s.seeds[0]}..${s.seeds[s.seeds.length - 1]}) × ${s.accounts.toLocaleString('en-US')} traders
 · policies ${esc(s.policies.join(', '))} · baseline ${esc(s.baseline)}${meta.command ? ` · <code>${esc(meta.command)}</code>` : ''}
 · generated ${esc(meta.generatedAt ?? new Date().toISOString())}</p>
<section class="howto">
<h2>How to read this report</h2>
<p>Each seed draws a fresh population of traders; every policy runs on the same populations, so the
differences against ${esc(s.baseline)} are <em>paired</em> (same seed, same traders, same history and book).
Levels are means over the seeds with a 95 % Student-t interval and a 95 % percentile-bootstrap interval
(resampling the seeds; better for skewed figures such as bad debt, which is never negative). A difference
is called <em>not distinguishable from ${esc(s.baseline)}</em> when its paired-t or its paired-bootstrap interval
covers zero: at this number of seeds it is within seed noise. Money is in USDC; IM/OI is the time mean of
Σ initial margin / Σ notional. Money conservation was checked in every run: ${ok ? '✓ passed' : '✗ FAILED'}.</p>
</section>
${sections.join('\n')}
</body>
</html>
`;
}

/** Writes DIR/study.html and DIR/study.json; returns their paths. */
export async function writeStudyReport(
  dir: string,
  s: StudyResult,
  meta: { generatedAt?: string; command?: string } = {},
): Promise<{ html: string; json: string }> {
  mkdirSync(dir, { recursive: true });
  const html = join(dir, 'study.html');
  const json = join(dir, 'study.json');
  writeFileSync(json, `${toJson(s)}\n`);
  writeFileSync(html, await buildStudyHtml(s, meta));
  return { html, json };
}
