/**
 * Accounts at risk: margin scopes ranked by the probability that the mark touches their
 * liquidation price within the chosen horizon (GET /v1/risk/at-risk: the engine's exact
 * liquidation prices, src/analytics first-passage probabilities under a driftless GBM at the
 * chosen volatility), with distance to liquidation, margin ratio, size and collateral mix.
 * Filter by market and account, sort by any column, click a row for the account. Refreshed when
 * the stream says something changed; a trader key sees only its own scopes (the server filters).
 */
import type { AppCtx, Page } from '../app.ts';
import { fill, h, numCell, table } from '../dom.ts';
import { compact, money, num, pct, price, prob } from '../format.ts';
import { Refresher, type StreamEvent } from '../live.ts';

interface Position {
  symbol: string;
  side: 'long' | 'short';
  size: string;
  markPrice: string | null;
  notional: string;
  liquidationPrice: string | null;
  distancePct: number | null;
  liquidationProbability: number;
}
export interface ScopeRow {
  rank: number;
  account: string;
  sub: string;
  scope: string;
  liquidationProbability: number;
  score: number;
  leverage: number | null;
  distancePct: number | null;
  equity: string;
  maintenanceMargin: string;
  marginRatio: string | null;
  liquidatable: boolean;
  notional: string;
  collateral: { asset: string; amount: string; value: number; maintenanceWeight: string }[];
  positions: Position[];
}
interface AtRisk {
  seq: number;
  timeMs: number;
  computeMs: number;
  horizon: string;
  sigma: number;
  settlementAsset: string;
  total: number;
  scopes: ScopeRow[];
}

type SortKey =
  | 'liquidationProbability'
  | 'distancePct'
  | 'marginRatio'
  | 'notional'
  | 'equity'
  | 'score'
  | 'leverage'
  | 'account';
const SORT_VALUE: Record<SortKey, (r: ScopeRow) => number | string> = {
  liquidationProbability: (r) => r.liquidationProbability,
  distancePct: (r) => r.distancePct ?? Number.POSITIVE_INFINITY,
  marginRatio: (r) => (r.marginRatio === null ? Number.POSITIVE_INFINITY : Number(r.marginRatio)),
  notional: (r) => Number(r.notional),
  equity: (r) => Number(r.equity),
  score: (r) => r.score,
  leverage: (r) => r.leverage ?? Number.POSITIVE_INFINITY,
  account: (r) => `${r.account}/${r.sub}`,
};

export function atRiskPage(ctx: AppCtx): Page {
  const el = h('section', { class: 'page at-risk' });
  const horizon = h(
    'select',
    { 'aria-label': 'horizon', 'data-testid': 'horizon' },
    ...['15m', '1h', '4h', '1d', '7d'].map((v) => h('option', { value: v, selected: v === '1h' }, v)),
  );
  const sigma = h('input', {
    type: 'number',
    value: '80',
    min: '1',
    max: '2000',
    step: '5',
    size: 5,
    'aria-label': 'volatility',
  });
  const market = h('select', { 'aria-label': 'market' }, h('option', { value: '' }, 'all markets'));
  const search = h('input', {
    type: 'search',
    placeholder: 'account contains…',
    size: 16,
    'data-testid': 'filter',
  });
  const onlyLiq = h('input', { type: 'checkbox', 'aria-label': 'liquidatable only' });
  // rows drawn: a table of hundreds of rows is rebuilt on every refresh, so draw what is read
  const shownRows = h(
    'select',
    { 'aria-label': 'rows shown', 'data-testid': 'rows-shown' },
    ...['50', '100', '500'].map((v) => h('option', { value: v, selected: v === '100' }, `${v} rows`)),
  );
  const info = h('span', { class: 'note', 'data-testid': 'at-risk-info' });
  const body = h('div', { 'data-testid': 'at-risk-table' });
  el.append(
    h(
      'div',
      { class: 'controls' },
      h('label', {}, 'horizon ', horizon),
      h('label', { title: 'annualised volatility of the marks' }, 'volatility ', sigma, ' %/√yr'),
      h('label', {}, market),
      h('label', {}, search),
      h('label', {}, onlyLiq, ' liquidatable now'),
      h('label', {}, shownRows),
      info,
    ),
    body,
  );

  let data: AtRisk | undefined;
  let sort: SortKey = 'liquidationProbability';
  let desc = true;
  let askedAt: number | undefined;

  const header = (text: string, key: SortKey, title?: string) => ({
    text: sort === key ? `${text} ${desc ? '▾' : '▴'}` : text,
    title,
    class: 'sortable',
    onClick: () => {
      if (sort === key) desc = !desc;
      else {
        sort = key;
        desc =
          key === 'liquidationProbability' || key === 'notional' || key === 'score' || key === 'leverage';
      }
      render();
    },
  });

  const render = () => {
    if (!data) return;
    const asset = data.settlementAsset;
    const q = search.value.trim().toLowerCase();
    const matching = data.scopes
      .filter(
        (r) =>
          (!q || `${r.account}/${r.sub}`.toLowerCase().includes(q)) && (!onlyLiq.checked || r.liquidatable),
      )
      .sort((a, b) => {
        const x = SORT_VALUE[sort](a);
        const y = SORT_VALUE[sort](b);
        const c = x < y ? -1 : x > y ? 1 : 0;
        return desc ? -c : c;
      });
    const rows = matching.slice(0, Number(shownRows.value));
    fill(
      info,
      `${num(rows.length, 0)} shown of ${num(matching.length, 0)} matching, ${num(data.total, 0)} scopes with positions · horizon ${data.horizon} · σ ${num(data.sigma * 100, 0)} %/√yr · figures at journal ${num(data.seq, 0)} (computed in ${num(data.computeMs, 1)} ms)`,
    );
    fill(
      body,
      table(
        [
          '#',
          header('account', 'account'),
          'scope',
          header(
            'P(liq)',
            'liquidationProbability',
            `probability of touching the liquidation price within ${data.horizon}`,
          ),
          header('score', 'score', 'composite: probability, leverage, concentration'),
          header('distance', 'distancePct', 'move of the mark to the nearest liquidation price'),
          header('margin ratio', 'marginRatio', 'maintenance margin / equity (100 %: liquidatable)'),
          header('equity', 'equity'),
          header('notional', 'notional'),
          header('leverage', 'leverage'),
          'positions (size @ liq. price)',
          'collateral mix',
        ],
        rows.map((r, i) => {
          const tr: (Node | string)[] = [
            numCell(String(i + 1)),
            h(
              'td',
              {},
              h(
                'a',
                { href: `#/account/${encodeURIComponent(r.account)}`, 'data-account': r.account },
                r.sub === '0' ? r.account : `${r.account}/${r.sub}`,
              ),
            ),
            h('td', {}, r.scope),
            numCell(
              prob(r.liquidationProbability),
              String(r.liquidationProbability),
              r.liquidationProbability > 0.5 ? 'bad' : r.liquidationProbability > 0.05 ? 'warn' : '',
            ),
            numCell(num(r.score, 3)),
            numCell(r.distancePct === null ? '—' : `${num(r.distancePct, 2)} %`),
            numCell(
              r.marginRatio === null ? 'n/a (equity ≤ 0)' : pct(r.marginRatio),
              r.marginRatio ?? undefined,
              r.liquidatable ? 'bad' : '',
            ),
            numCell(money(r.equity, asset), r.equity),
            numCell(compact(r.notional, asset), r.notional),
            numCell(r.leverage === null ? '∞' : `${num(r.leverage, 1)}×`),
            h(
              'td',
              {},
              ...r.positions.map((p) =>
                h(
                  'div',
                  { title: `P ${prob(p.liquidationProbability)}, mark ${p.markPrice}` },
                  `${p.symbol} ${p.side} ${num(p.size, 4)} @ ${price(p.liquidationPrice)}`,
                ),
              ),
            ),
            h('td', {}, mix(r)),
          ];
          return tr;
        }),
        'wide clickable',
      ),
    );
    // a click anywhere on a row opens the account
    for (const tr of body.querySelectorAll('tbody tr')) {
      tr.addEventListener('click', (e) => {
        if ((e.target as Element).closest('a')) return;
        const a = tr.querySelector('a[data-account]') as HTMLAnchorElement | null;
        if (a) location.hash = a.getAttribute('href')!;
      });
    }
  };

  const load = async () => {
    const params = new URLSearchParams({
      horizon: horizon.value,
      sigma: String(Number(sigma.value) / 100),
      limit: '500',
    });
    if (market.value) params.set('symbol', market.value);
    data = await ctx.api.get<AtRisk>(`/v1/risk/at-risk?${params}`);
    render();
    if (askedAt !== undefined) ctx.noteUpdate('at-risk', performance.now() - askedAt);
    askedAt = undefined;
    return data.seq < ctx.live.head;
  };
  const refresher = new Refresher(load, 500);
  refresher.request();
  void ctx.api
    .get<{ markets: { symbol: string }[] }>('/v1/markets')
    .then((r) => market.append(...r.markets.map((m) => h('option', { value: m.symbol }, m.symbol))));
  for (const c of [horizon, sigma, market]) c.addEventListener('change', () => refresher.request());
  search.addEventListener('input', render);
  onlyLiq.addEventListener('change', render);
  shownRows.addEventListener('change', render);

  return {
    el,
    onEvents(_events: readonly StreamEvent[]) {
      askedAt ??= performance.now();
      refresher.request();
    },
    dispose: () => refresher.dispose(),
  };
}

function mix(r: ScopeRow): Node {
  const total = r.collateral.reduce((s, c) => s + c.value, 0);
  if (r.collateral.length === 0)
    return document.createTextNode(r.scope === 'cross' ? '—' : 'isolated margin');
  return h(
    'div',
    { class: 'mix' },
    ...r.collateral.map((c) =>
      h(
        'span',
        { title: `${c.amount} ${c.asset}, maintenance weight ${c.maintenanceWeight}` },
        `${c.asset} ${total > 0 ? num((c.value / total) * 100, 0) : '—'} %`,
      ),
    ),
  );
}
