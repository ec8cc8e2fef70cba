/**
 * Overview: the insurance fund and socialized loss over time, open interest and initial margin
 * over notional, liquidations per minute by how they ended (partial, full, bankrupt, backstop,
 * ADL), and each market's mark against its index with the oracle's sources, breaker and safe
 * mode. Public: a viewer without a key sees it all (venues publish these).
 */
import type { AppCtx, Page } from '../app.ts';
import { Chart } from '../charts.ts';
import { card, fill, h, numCell, table } from '../dom.ts';
import { clock, compact, dateTime, money, num, pct, price } from '../format.ts';
import { Refresher, type StreamEvent } from '../live.ts';

interface MarketSample {
  mark: number | null;
  index: number | null;
  openInterest: number;
}
interface Sample {
  t: number;
  seq: number;
  insurance: Record<string, number>;
  insuranceValue: number;
  socializedLoss: number;
  markets: Record<string, MarketSample>;
}
interface Minute {
  t: number;
  counts: Record<'partial' | 'full' | 'bankrupt' | 'backstop' | 'adl', number>;
  notional: number;
}
interface Source {
  id: string;
  price: string | null;
  timeMs: number | null;
  healthy: boolean;
  accepted: number;
  rejected: number;
}
interface Market {
  symbol: string;
  markPrice: string | null;
  indexPrice: string | null;
  openInterest: string;
  positionsNotional: string;
  initialMargin: string;
  imOverNotional: number | null;
  liquidationsPaused: boolean;
  /** Held in safe mode by the operator. */
  safeModeForced: boolean;
  /** In safe mode for any reason (the operator's hold or the oracle's). */
  safeMode: boolean;
  oracle: {
    indexReliable: boolean;
    safeMode: boolean;
    safeModeReasons: string[];
    safeModeSinceMs: number | null;
    breakerTripped: boolean;
    breakerTrippedAtMs: number | null;
    sources: Source[];
  } | null;
}
export interface Overview {
  seq: number;
  timeMs: number;
  riskSeq: number;
  settlementAsset: string;
  insuranceFund: { balances: Record<string, string>; socializedLossTotal: string; settlementAsset: string };
  markets: Market[];
  liquidationTotals: Minute['counts'];
  history: { samples: Sample[]; minutes: Minute[] };
}

const KINDS = ['partial', 'full', 'bankrupt', 'backstop', 'adl'] as const;
const KIND_COLORS = ['#d4a017', '#e0522d', '#8b0000', '#6c3483', '#2f6fdf'];

export function overviewPage(ctx: AppCtx): Page {
  const el = h('section', { class: 'page overview' });
  const cards = h('div', { class: 'cards', 'data-testid': 'overview-cards' });
  const grid = h('div', { class: 'grid2' });
  const fundBox = h('div', { class: 'chart', 'data-testid': 'chart-insurance' });
  const liqBox = h('div', { class: 'chart', 'data-testid': 'chart-liquidations' });
  const markBox = h('div', { class: 'chart', 'data-testid': 'chart-marks' });
  const oiBox = h('div', { class: 'chart', 'data-testid': 'chart-oi' });
  const marketsBox = h('div', { class: 'markets', 'data-testid': 'markets' });
  grid.append(fundBox, liqBox, markBox, oiBox);
  el.append(cards, grid, h('h2', {}, 'Markets'), marketsBox);

  const samples: Sample[] = [];
  let minutes: Minute[] = [];
  let fundChart: Chart | undefined;
  let liqChart: Chart | undefined;
  let markChart: Chart | undefined;
  let oiChart: Chart | undefined;
  let symbols: string[] = [];
  let askedAt: number | undefined;

  const width = () => Math.max(360, Math.floor((document.body.clientWidth - 64) / 2));

  const build = (o: Overview) => {
    symbols = o.markets.map((m) => m.symbol);
    const asset = o.settlementAsset;
    fundChart = new Chart(
      fundBox,
      `Insurance fund and socialized loss (${asset})`,
      [
        { label: 'insurance fund', unit: asset, fill: '#2f6fdf22' },
        { label: 'socialized loss', unit: asset, color: '#8b0000' },
      ],
      { width: width() },
    );
    liqChart = new Chart(
      liqBox,
      'Liquidations per minute',
      KINDS.map((k, i) => ({ label: k === 'adl' ? 'ADL' : k, color: KIND_COLORS[i], bars: true })),
      { width: width() },
    );
    markChart = new Chart(
      markBox,
      'Mark and index',
      symbols.flatMap((s, i) => [
        { label: `${s} mark`, color: ['#2f6fdf', '#2a9d5b', '#9b59b6'][i % 3] },
        { label: `${s} index`, color: ['#e0522d', '#d4a017', '#17a2b8'][i % 3], dash: [4, 4] },
      ]),
      { width: width() },
    );
    oiChart = new Chart(
      oiBox,
      'Open interest (base units)',
      symbols.map((s) => ({ label: s })),
      { width: width() },
    );
  };

  const draw = () => {
    const xs = samples.map((s) => s.t / 1000);
    fundChart?.setData([xs, samples.map((s) => s.insuranceValue), samples.map((s) => s.socializedLoss)]);
    markChart?.setData([
      xs,
      ...symbols.flatMap((sym) => [
        samples.map((s) => s.markets[sym]?.mark ?? null),
        samples.map((s) => s.markets[sym]?.index ?? null),
      ]),
    ]);
    oiChart?.setData([xs, ...symbols.map((sym) => samples.map((s) => s.markets[sym]?.openInterest ?? null))]);
    // stacked: each series is the sum of itself and the kinds after it, drawn biggest first;
    // a quiet venue still shows its current minute (at zero) rather than an empty chart
    const now = Math.floor((samples.at(-1)?.t ?? 0) / 60_000) * 60_000;
    const zero = { partial: 0, full: 0, bankrupt: 0, backstop: 0, adl: 0 };
    const shown = minutes.length || !now ? minutes : [{ t: now, counts: zero, notional: 0 }];
    const mx = shown.map((m) => m.t / 1000);
    const stacked = KINDS.map((_, i) =>
      shown.map((m) => KINDS.slice(i).reduce((s, k) => s + m.counts[k], 0)),
    );
    liqChart?.setData([mx, ...stacked]);
  };

  const render = (o: Overview) => {
    const asset = o.settlementAsset;
    const fund = o.insuranceFund;
    const t = o.liquidationTotals;
    fill(
      cards,
      card(
        'Insurance fund',
        h('span', { 'data-testid': 'insurance-fund' }, money(fund.balances[asset] ?? '0', asset)),
        Object.entries(fund.balances)
          .filter(([a]) => a !== asset)
          .map(([a, v]) => money(v, a, 6))
          .join(' · ') || null,
      ),
      card('Socialized loss', money(fund.socializedLossTotal, asset)),
      card(
        'Liquidations',
        num(t.partial + t.full + t.bankrupt + t.backstop, 0),
        `partial ${t.partial} · full ${t.full} · bankrupt ${t.bankrupt} · backstop ${t.backstop} · ADL ${t.adl}`,
        'liquidation-totals',
      ),
      card('Engine time', clock(o.timeMs), dateTime(o.timeMs)),
      card('Journal', num(o.seq, 0), `risk figures at ${num(o.riskSeq, 0)}`),
    );
    fill(
      marketsBox,
      table(
        [
          'market',
          'mark',
          'index',
          'mark − index',
          'open interest',
          'IM / notional',
          'liquidations',
          'oracle',
          'sources',
        ],
        o.markets.map((m) => {
          const prem =
            m.markPrice !== null && m.indexPrice !== null
              ? (Number(m.markPrice) - Number(m.indexPrice)) / Number(m.indexPrice)
              : null;
          const o2 = m.oracle;
          const forced = m.safeModeForced
            ? h('span', { class: 'bad' }, `SAFE MODE (forced by the operator)${o2?.safeMode ? ' · ' : ''}`)
            : '';
          const state = !o2
            ? h(
                'span',
                { 'data-testid': `oracle-${m.symbol}` },
                forced,
                m.safeModeForced ? '' : h('span', { class: 'muted' }, 'marks posted directly'),
              )
            : h(
                'span',
                {
                  class: o2.safeMode || o2.breakerTripped ? 'bad' : 'ok',
                  'data-testid': `oracle-${m.symbol}`,
                },
                forced,
                o2.safeMode
                  ? `SAFE MODE (${o2.safeModeReasons.join(', ')}) since ${clock(o2.safeModeSinceMs)}`
                  : m.safeModeForced
                    ? ''
                    : 'normal',
                o2.breakerTripped ? ` · breaker tripped ${clock(o2.breakerTrippedAtMs)}` : '',
                o2.indexReliable ? '' : ' · index unreliable',
              );
          const sources = o2
            ? h(
                'div',
                { class: 'sources' },
                ...o2.sources.map((s) =>
                  h(
                    'span',
                    {
                      class: `src ${s.healthy ? 'ok' : 'bad'}`,
                      title: `accepted ${s.accepted}, rejected ${s.rejected}`,
                    },
                    `${s.id} ${price(s.price)} @ ${clock(s.timeMs)}`,
                  ),
                ),
              )
            : '—';
          return [
            h('th', {}, m.symbol),
            numCell(price(m.markPrice), m.markPrice ?? undefined),
            numCell(price(m.indexPrice), m.indexPrice ?? undefined),
            numCell(pct(prem, 3)),
            numCell(
              `${num(m.openInterest, 4)}`,
              `${m.openInterest}; notional both sides ${m.positionsNotional} ${asset}`,
            ),
            numCell(
              pct(m.imOverNotional),
              `initial margin ${m.initialMargin} ${asset} on ${m.positionsNotional} ${asset}`,
            ),
            h(
              'td',
              { class: m.liquidationsPaused ? 'bad' : 'ok' },
              m.liquidationsPaused ? 'PAUSED' : 'running',
            ),
            h('td', {}, state),
            h('td', {}, sources),
          ];
        }),
        'wide',
      ),
      h(
        'p',
        { class: 'note' },
        `Open interest notional ${o.markets.map((m) => `${m.symbol} ${compact(m.positionsNotional, asset)}`).join(' · ')}`,
      ),
    );
  };

  let lastT: number | undefined;
  const load = async () => {
    const since = lastT;
    const o = await ctx.api.get<Overview>(
      `/v1/dashboard/overview${since === undefined ? '' : `?since=${since}`}`,
    );
    if (!fundChart) build(o);
    const fresh = o.history.samples;
    while (samples.length && fresh.length && samples.at(-1)!.t >= fresh[0]!.t) samples.pop();
    samples.push(...fresh);
    if (samples.length > 6000) samples.splice(0, samples.length - 6000);
    if (o.history.minutes.length) {
      const first = o.history.minutes[0]!.t;
      minutes = minutes.filter((m) => m.t < first).concat(o.history.minutes);
    }
    lastT = samples.length ? samples.at(-1)!.t - 1 : undefined;
    render(o);
    draw();
    if (askedAt !== undefined) ctx.noteUpdate('overview', performance.now() - askedAt);
    askedAt = undefined;
    return false;
  };
  const refresher = new Refresher(load, 300);
  refresher.request();

  return {
    el,
    onEvents(_events: readonly StreamEvent[]) {
      askedAt ??= performance.now();
      refresher.request();
    },
    dispose() {
      refresher.dispose();
      for (const c of [fundChart, liqChart, markChart, oiChart]) c?.destroy();
    },
  };
}
