/**
 * Charts of a policy comparison as vega-lite specs, rendered to SVG on the server
 * (vega-lite → vega → `view.toSVG()`): no browser, no scripts, no network.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Comparison } from '../lab/compare.ts';

export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  /** One or two sentences under the chart: what it shows and how to read it. */
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

const WIDTH = 760;
const HEIGHT = 240;
const TIME_X = {
  field: 't',
  type: 'temporal',
  title: 'time (UTC)',
  scale: { type: 'utc' },
  axis: { format: '%H:%M' },
} as const;
const PALETTE = [
  '#4c78a8',
  '#f58518',
  '#54a24b',
  '#e45756',
  '#b279a2',
  '#72b7b2',
  '#9d755d',
  '#eeca3b',
  '#ff9da6',
];
const EXOGENOUS = 'exogenous (market)';

/** The same colour for a policy in every chart, in the table's order. */
function policyColor(policies: readonly string[], field = 'policy') {
  return {
    field,
    type: 'nominal',
    title: field === 'policy' ? 'policy' : null,
    sort: null,
    scale: { domain: [...policies], range: policies.map((_, i) => PALETTE[i % PALETTE.length]!) },
  } as const;
}

function base(title: string, subtitle: string) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: HEIGHT,
    title: { text: title, subtitle },
    config: {
      font: 'Helvetica, Arial, sans-serif',
      legend: { orient: 'bottom', columns: 5, labelLimit: 0, titleLimit: 0 },
    },
  };
}

/** The chart specs of a comparison (the margin chart only when the run sampled IM/OI). */
export function comparisonCharts(cmp: Comparison): { charts: ChartSpec[]; notes: string[] } {
  const charts: ChartSpec[] = [];
  const notes: string[] = [];
  const results = cmp.results;
  const names = results.map((r) => r.metrics.policy);
  const POLICY_COLOR = policyColor(names);

  // 1. Price path: exogenous (the market) vs the venue's mark (lowest per minute), per policy.
  // Exogenous last in the data: vega draws the lines in data order, so it lies on top.
  const price: { t: number; series: string; price: number }[] = [];
  for (const r of results)
    for (const m of r.timeline)
      price.push({ t: m.timeMs, series: r.metrics.policy, price: Number(m.markLow) });
  const firstRun = results[0];
  if (firstRun)
    for (const m of firstRun.timeline)
      price.push({ t: m.timeMs, series: EXOGENOUS, price: Number(m.exogenous) });
  charts.push({
    id: 'price',
    title: 'Price path: exogenous vs mark',
    caption:
      'The exogenous BTC price (last of each minute) and, per policy, the lowest mark of the minute. A mark below the exogenous line is the venue’s own liquidation selling pushing its price down.',
    spec: {
      ...base('Price path: exogenous vs mark', 'USDC per BTC, per minute'),
      data: { values: price },
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: TIME_X,
        y: { field: 'price', type: 'quantitative', title: 'USDC / BTC', scale: { zero: false } },
        color: {
          field: 'series',
          type: 'nominal',
          title: 'lowest mark per policy, exogenous',
          sort: null,
          scale: { domain: [...names, EXOGENOUS], range: [...POLICY_COLOR.scale.range, '#222222'] },
        },
      },
    } as TopLevelSpec,
  });

  // 2. Liquidation steps per minute, per policy.
  const liqs = results.flatMap((r) =>
    r.timeline.map((m) => ({ t: m.timeMs, policy: r.metrics.policy, steps: m.liquidations })),
  );
  charts.push({
    id: 'liquidations',
    title: 'Liquidations per minute',
    caption:
      'Liquidation steps (partial, full, bankrupt, backstop) executed in each minute. Tall narrow spikes are cascades; a policy that spreads or lowers them is gentler on the book.',
    spec: {
      ...base('Liquidations per minute, by policy', 'liquidation steps per minute'),
      data: { values: liqs },
      mark: { type: 'line', strokeWidth: 1.5, interpolate: 'step-after' },
      encoding: {
        x: TIME_X,
        y: { field: 'steps', type: 'quantitative', title: 'steps / minute' },
        color: POLICY_COLOR,
      },
    } as TopLevelSpec,
  });

  // 3. Insurance fund balance.
  const fund = results.flatMap((r) =>
    r.timeline.map((m) => ({ t: m.timeMs, policy: r.metrics.policy, usdc: Number(m.insuranceFund) })),
  );
  charts.push({
    id: 'insurance',
    title: 'Insurance fund',
    caption: `Insurance-fund balance at the end of each minute (seed ${Number(cmp.insuranceSeed).toLocaleString('en-US')} USDC in every run). It rises with liquidation fees and falls when it covers bankruptcies; at zero, losses go to ADL and socialization.`,
    spec: {
      ...base('Insurance fund balance, by policy', 'USDC, end of minute'),
      data: { values: fund },
      mark: { type: 'line', strokeWidth: 1.5 },
      encoding: {
        x: TIME_X,
        y: { field: 'usdc', type: 'quantitative', title: 'USDC' },
        color: POLICY_COLOR,
      },
    } as TopLevelSpec,
  });

  // 4. Cascade depth histogram.
  const depth = results.flatMap((r) =>
    r.metrics.cascade.stepsByDepth.map((steps, i) => ({ depth: i + 1, policy: r.metrics.policy, steps })),
  );
  charts.push({
    id: 'depth',
    title: 'Cascade depth',
    caption:
      'Liquidation steps by cascade depth: depth 1 was triggered by the market price itself, depth 2 by the price impact of depth-1 liquidations, and so on. Steps at depth ≥ 2 are liquidations the venue caused.',
    spec: {
      ...base('Liquidation steps by cascade depth', 'depth 1 = triggered by the exogenous price'),
      data: { values: depth },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'depth', type: 'ordinal', title: 'cascade depth', axis: { labelAngle: 0 } },
        xOffset: { field: 'policy', type: 'nominal' },
        y: { field: 'steps', type: 'quantitative', title: 'liquidation steps' },
        color: POLICY_COLOR,
      },
    } as TopLevelSpec,
  });

  // 5. Margin level: Σ trader IM / Σ trader notional over time.
  const margin = results.flatMap((r) =>
    r.metrics.capitalEfficiency.samples.map((s) => ({
      t: s.timeMs,
      policy: r.metrics.policy,
      pct: s.ratio * 100,
    })),
  );
  if (margin.length > 0)
    charts.push({
      id: 'margin',
      title: 'Margin level (IM / OI)',
      caption:
        'Σ initial margin of the traders over Σ their notional, sampled during the run: the leverage each policy allows (higher = more collateral per unit of open interest). Dynamic policies raise it as volatility rises.',
      spec: {
        ...base('Initial margin over open interest, by policy', 'Σ trader IM / Σ trader notional, %'),
        data: { values: margin },
        mark: { type: 'line', strokeWidth: 1.5, interpolate: 'step-after' },
        encoding: {
          x: TIME_X,
          y: { field: 'pct', type: 'quantitative', title: 'IM / OI (%)' },
          color: POLICY_COLOR,
        },
      } as TopLevelSpec,
    });
  else notes.push('Margin levels over time: the run recorded no IM/OI samples, so the chart is omitted.');
  return { charts, notes };
}

/** Renders a vega-lite spec to an SVG string (server-side, no browser). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
