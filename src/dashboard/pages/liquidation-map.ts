/**
 * Liquidation map: per market, the notional whose exact liquidation price lies in each price band
 * below the mark (longs) and above it (shorts), and the running total a move to that band would
 * liquidate (GET /v1/risk/liquidation-map); and the cascade preview: what a move of x % would
 * liquidate in its first round and after the cascade through the order-book depth model
 * (GET /v1/risk/cascade). Redrawn when the stream reports changes.
 */
import uPlot from 'uplot';
import type { AppCtx, Page } from '../app.ts';
import { card, fill, h, numCell, table } from '../dom.ts';
import { compact, money, num, price } from '../format.ts';
import { Refresher, type StreamEvent } from '../live.ts';

interface Level {
  k: number;
  from: string;
  to: string;
  positions: number;
  longNotional: string;
  shortNotional: string;
  longSize: string;
  shortSize: string;
  cumulativeNotional: string;
}
interface MarketMap {
  symbol: string;
  markPrice: string;
  liquidatableNow: { positions: number; notional: string };
  beyondRange: string;
  withoutLiquidationPrice: number;
  multiPositionScopes: number;
  levels: Level[];
}
interface MapResponse {
  seq: number;
  settlementAsset: string;
  stepPct: number;
  markets: MarketMap[];
}
interface Cascade {
  seq: number;
  markPrice: string;
  targetPrice: string;
  settlementAsset: string;
  firstRound: {
    positions: number;
    scopes: number;
    alreadyLiquidatable: number;
    sellSize: string;
    buySize: string;
    notionalAtLiquidationPrices: string;
    largest: {
      account: string;
      sub: string;
      scope: string;
      side: string;
      size: string;
      liquidationPrice: string;
      notional: string;
    }[];
  };
  afterCascade: {
    positions: number;
    scopes: number;
    sellSize: string;
    buySize: string;
    notionalAtLiquidationPrices: string;
    rounds: number;
    finalPrice: string;
    finalMovePct: number;
    truncated: boolean;
    byRound: {
      round: number;
      triggerPrice: string;
      positions: number;
      sellSize: string;
      buySize: string;
      notionalAtLiquidationPrices: string;
      priceAfter: string;
    }[];
  };
  depthModel: { depthPerPct: number; exponent: number; basis: string };
}

export function liquidationMapPage(ctx: AppCtx): Page {
  const el = h('section', { class: 'page map' });
  const symbol = h('select', { 'aria-label': 'market', 'data-testid': 'map-symbol' });
  const step = h('input', {
    type: 'number',
    value: '1',
    min: '0.05',
    max: '25',
    step: '0.25',
    size: 4,
    'aria-label': 'band width',
  });
  const steps = h('input', {
    type: 'number',
    value: '20',
    min: '1',
    max: '200',
    step: '1',
    size: 4,
    'aria-label': 'bands each side',
  });
  const move = h('input', {
    type: 'number',
    value: '-10',
    min: '-99',
    max: '1000',
    step: '1',
    size: 5,
    'data-testid': 'cascade-move',
  });
  const info = h('div', { class: 'cards', 'data-testid': 'map-cards' });
  const chartBox = h('div', { class: 'chart wide', 'data-testid': 'chart-map' });
  const ladder = h('div', { class: 'ladder', 'data-testid': 'map-ladder' });
  const cascadeBox = h('div', { class: 'cascade', 'data-testid': 'cascade' });
  el.append(
    h(
      'div',
      { class: 'controls' },
      h('label', {}, 'market ', symbol),
      h('label', {}, 'band ', step, ' % of the mark'),
      h('label', {}, steps, ' bands each side'),
    ),
    info,
    chartBox,
    h(
      'div',
      { class: 'grid2' },
      h('div', {}, h('h2', {}, 'Ladder'), ladder),
      h(
        'div',
        {},
        h('h2', {}, 'Cascade preview'),
        h('div', { class: 'controls' }, h('label', {}, 'move the mark by ', move, ' %')),
        cascadeBox,
      ),
    ),
  );

  let plot: uPlot | undefined;
  let askedAt: number | undefined;
  let asset = '';

  const drawChart = (m: MarketMap) => {
    const xs = m.levels.map((l) => (Number(l.from) + Number(l.to)) / 2);
    const longs = m.levels.map((l) => Number(l.longNotional) || null);
    const shorts = m.levels.map((l) => Number(l.shortNotional) || null);
    const cum = m.levels.map((l) => Number(l.cumulativeNotional));
    const data: uPlot.AlignedData = [xs, longs, shorts, cum];
    if (plot) {
      plot.setData(data);
      return;
    }
    const bars = uPlot.paths.bars?.({ size: [0.9, 60] });
    const money2 = (_u: uPlot, v: number | null) => (v === null ? '—' : `${num(v, 0)} ${asset}`);
    plot = new uPlot(
      {
        title: 'Notional liquidated at each price (bars: in the band; line: cumulative from the mark)',
        width: Math.max(600, document.body.clientWidth - 48),
        height: 300,
        scales: { x: { time: false }, cum: {} },
        axes: [
          { label: 'price', values: (_u, t) => t.map((x) => price(x)) },
          { label: `in band (${asset})`, size: 80, values: (_u, t) => t.map((x) => compact(x)) },
          {
            side: 1,
            scale: 'cum',
            label: 'cumulative',
            size: 80,
            grid: { show: false },
            values: (_u, t) => t.map((x) => compact(x)),
          },
        ],
        series: [
          { label: 'price', value: (_u, v) => price(v) },
          {
            label: 'longs liquidated',
            stroke: '#e0522d',
            fill: '#e0522dcc',
            paths: bars,
            points: { show: false },
            value: money2,
          },
          {
            label: 'shorts liquidated',
            stroke: '#2a9d5b',
            fill: '#2a9d5bcc',
            paths: bars,
            points: { show: false },
            value: money2,
          },
          {
            label: 'cumulative',
            stroke: '#333',
            width: 2,
            scale: 'cum',
            points: { show: false },
            value: money2,
          },
        ],
      },
      data,
      chartBox,
    );
  };

  const render = (r: MapResponse) => {
    asset = r.settlementAsset;
    const m = r.markets.find((x) => x.symbol === symbol.value) ?? r.markets[0];
    if (!m) {
      fill(ladder, 'No market has a mark yet.');
      return;
    }
    fill(
      info,
      card('Mark', price(m.markPrice)),
      card(
        'Liquidatable now',
        money(m.liquidatableNow.notional, asset, 0),
        `${m.liquidatableNow.positions} positions`,
        'map-now',
      ),
      card('Beyond the bands', money(m.beyondRange, asset, 0)),
      card('Positions without a liquidation price', num(m.withoutLiquidationPrice, 0)),
      card(
        'In multi-position scopes',
        num(m.multiPositionScopes, 0),
        'their price holds the other marks fixed',
      ),
      card('Figures at journal', num(r.seq, 0)),
    );
    drawChart(m);
    const max = Math.max(
      1,
      ...m.levels.map((l) => Math.max(Number(l.longNotional), Number(l.shortNotional))),
    );
    const rows = [...m.levels].reverse().map((l) => {
      const v = l.k < 0 ? Number(l.longNotional) : Number(l.shortNotional);
      const heat = v / max;
      const cell = numCell(v ? money(v, asset, 0) : '', l.k < 0 ? l.longNotional : l.shortNotional);
      cell.style.background = `linear-gradient(to left, ${l.k < 0 ? 'rgba(224,82,45,' : 'rgba(42,157,91,'}${(0.15 + 0.85 * heat).toFixed(2)}) ${Math.round(heat * 100)}%, transparent ${Math.round(heat * 100)}%)`;
      return [
        numCell(`${price(l.from)} – ${price(l.to)}`),
        h('td', {}, l.k < 0 ? 'longs' : 'shorts'),
        numCell(String(l.positions)),
        cell,
        numCell(money(l.cumulativeNotional, asset, 0), l.cumulativeNotional),
      ];
    });
    const markIdx = m.levels.length / 2;
    const markRow = [h('td', { colspan: '5', class: 'mark-row' }, `mark ${price(m.markPrice)}`)];
    rows.splice(markIdx, 0, markRow);
    fill(
      ladder,
      table(
        ['price band', 'side', 'positions', 'notional at liq. price', 'cumulative from mark'],
        rows,
        'ladder-table',
      ),
    );
  };

  const renderCascade = (c: Cascade) => {
    const f = c.firstRound;
    const a = c.afterCascade;
    fill(
      cascadeBox,
      h(
        'p',
        { 'data-testid': 'cascade-summary' },
        `Mark ${price(c.markPrice)} → ${price(c.targetPrice)}: the first round liquidates ${f.positions} positions in ${f.scopes} scopes (${f.alreadyLiquidatable} already liquidatable), `,
        h('b', {}, money(f.notionalAtLiquidationPrices, c.settlementAsset, 0)),
        ` at their liquidation prices: ${num(f.sellSize, 4)} sold, ${num(f.buySize, 4)} bought.`,
      ),
      f.largest.length
        ? table(
            ['account', 'scope', 'side', 'size', 'liq. price', 'notional'],
            f.largest.map((x) => [
              h('td', {}, h('a', { href: `#/account/${encodeURIComponent(x.account)}` }, x.account)),
              x.scope,
              x.side,
              numCell(num(x.size, 4)),
              numCell(price(x.liquidationPrice)),
              numCell(money(x.notional, c.settlementAsset, 0)),
            ]),
          )
        : null,
      h(
        'p',
        { 'data-testid': 'cascade-after' },
        `After the cascade through the book: ${a.positions} positions in ${a.scopes} scopes, `,
        h('b', {}, money(a.notionalAtLiquidationPrices, c.settlementAsset, 0)),
        ` in ${a.rounds} round${a.rounds === 1 ? '' : 's'}${a.truncated ? ' (stopped at the round limit)' : ''}; the price ends at `,
        h('b', {}, price(a.finalPrice)),
        ` (${num(a.finalMovePct, 2)} % from the mark).`,
      ),
      a.byRound.length
        ? table(
            ['round', 'reached at', 'positions', 'sold', 'bought', 'notional', 'price after'],
            a.byRound.map((r) => [
              numCell(String(r.round)),
              numCell(price(r.triggerPrice)),
              numCell(String(r.positions)),
              numCell(num(r.sellSize, 4)),
              numCell(num(r.buySize, 4)),
              numCell(money(r.notionalAtLiquidationPrices, c.settlementAsset, 0)),
              numCell(price(r.priceAfter)),
            ]),
          )
        : null,
      h(
        'p',
        { class: 'note' },
        `First round: each position at its own liquidation price with every other price held (exact). Cascade: every liquidated position is closed in full into a book holding ${num(c.depthModel.depthPerPct, 4)} × k^${c.depthModel.exponent} base units within k % of the price on each side (${c.depthModel.basis === 'open interest' ? 'scaled to the open interest' : 'as asked'}), which moves the price on and liquidates the next round; nothing refills between rounds.`,
      ),
    );
  };

  const load = async () => {
    const q = new URLSearchParams({ stepPct: step.value, steps: steps.value });
    if (symbol.value) q.set('symbol', symbol.value);
    const r = await ctx.api.get<MapResponse>(`/v1/risk/liquidation-map?${q}`);
    if (!symbol.options.length) {
      symbol.append(...r.markets.map((m) => h('option', { value: m.symbol }, m.symbol)));
      symbol.value = r.markets[0]?.symbol ?? '';
    }
    render(r);
    const sym = symbol.value;
    if (sym) {
      const c = await ctx.api.get<Cascade>(
        `/v1/risk/cascade?symbol=${encodeURIComponent(sym)}&movePct=${Number(move.value)}`,
      );
      renderCascade(c);
    }
    if (askedAt !== undefined) ctx.noteUpdate('map', performance.now() - askedAt);
    askedAt = undefined;
    return r.seq < ctx.live.head;
  };
  const refresher = new Refresher(load, 500);
  refresher.request();
  for (const c of [symbol, step, steps, move])
    c.addEventListener('change', () => {
      if (c !== move) {
        plot?.destroy();
        plot = undefined;
      }
      refresher.request();
    });

  return {
    el,
    onEvents(_e: readonly StreamEvent[]) {
      askedAt ??= performance.now();
      refresher.request();
    },
    dispose() {
      refresher.dispose();
      plot?.destroy();
    },
  };
}
