/**
 * uPlot charts for the console: time series (x in seconds of engine time) and bar ladders.
 * Each chart keeps its uPlot instance and takes new data with setData (no re-creation), so a
 * live update redraws one canvas.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export const COLORS = ['#2f6fdf', '#e0522d', '#2a9d5b', '#9b59b6', '#d4a017', '#17a2b8', '#555'];

export interface SeriesSpec {
  readonly label: string;
  readonly color?: string;
  readonly unit?: string;
  readonly bars?: boolean;
  readonly fill?: string;
  readonly dash?: number[];
}

const fmt = (v: number | null, unit = '') =>
  v === null || v === undefined
    ? '—'
    : `${v.toLocaleString('en-US', { maximumFractionDigits: 2 })}${unit ? ` ${unit}` : ''}`;

export class Chart {
  readonly plot: uPlot;
  constructor(
    el: HTMLElement,
    title: string,
    series: readonly SeriesSpec[],
    opts: { height?: number; time?: boolean; xLabel?: string; yLabel?: string; width?: number } = {},
  ) {
    const bars = uPlot.paths.bars?.({ size: [0.8, 40] });
    const width = opts.width ?? Math.max(300, el.clientWidth || 600);
    this.plot = new uPlot(
      {
        title,
        width,
        height: opts.height ?? 220,
        scales: { x: { time: opts.time !== false } },
        // engine time is shown in UTC whatever the browser's zone
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
        axes: [
          { label: opts.xLabel, size: opts.xLabel ? 50 : 40 },
          { label: opts.yLabel, size: 80, values: (_u, ticks) => ticks.map((t) => compactTick(t)) },
        ],
        legend: { live: true },
        series: [
          {
            label: opts.time === false ? (opts.xLabel ?? 'x') : 'time (UTC)',
            value: opts.time === false ? (_u, v) => fmt(v) : undefined,
          },
          ...series.map((s, i) => ({
            label: s.label,
            stroke: s.color ?? COLORS[i % COLORS.length],
            width: s.bars ? 1 : 2,
            fill: s.fill ?? (s.bars ? `${s.color ?? COLORS[i % COLORS.length]}cc` : undefined),
            dash: s.dash,
            spanGaps: true,
            points: { show: false },
            value: (_u: uPlot, v: number | null) => fmt(v, s.unit),
            ...(s.bars && bars ? { paths: bars } : {}),
          })),
        ],
      },
      [[], ...series.map(() => [])],
      el,
    );
  }

  setData(data: uPlot.AlignedData): void {
    this.plot.setData(data);
  }

  resize(width: number): void {
    this.plot.setSize({ width, height: this.plot.height });
  }

  destroy(): void {
    this.plot.destroy();
  }
}

function compactTick(t: number): string {
  const a = Math.abs(t);
  if (a >= 1e9) return `${(t / 1e9).toFixed(1)}bn`;
  if (a >= 1e6) return `${(t / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e4) return `${(t / 1e3).toFixed(0)}k`;
  return t.toLocaleString('en-US', { maximumFractionDigits: 4 });
}
