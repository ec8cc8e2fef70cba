/**
 * One account: every subaccount's balances and figures per scope and position (GET
 * /v1/accounts/ID), the margin breakdown of each figure — collateral weights (haircuts), bracket
 * tiers, add-ons, the portfolio scenario terms — (GET …/margin-breakdown), liquidation and
 * bankruptcy prices, the account's event history from the journal (newest first, older pages on
 * request), and a what-if panel (POST …/what-if).
 */
import type { AppCtx, Page } from '../app.ts';
import { fill, h, numCell, table, tree } from '../dom.ts';
import { clock, money, num, pct, price } from '../format.ts';
import { Refresher, type StreamEvent } from '../live.ts';

interface WirePosition {
  symbol: string;
  side: string;
  contracts: string;
  entryPrice: string;
  markPrice: string;
  notional: string;
  unrealizedPnl: string;
  initialMargin: string;
  maintenanceMargin: string;
  liquidationPrice: string | null;
  bankruptcyPrice: string | null;
  marginMode: string;
  collateral?: string;
}
interface WireScope {
  scope: string;
  collateral: string;
  collateralInitial: string;
  unrealizedPnl: string;
  equity: string;
  initialMargin: string;
  maintenanceMargin: string;
  freeCollateral: string;
  health: string;
  marginRatio: string | null;
  liquidatable: boolean;
  bankrupt: boolean;
  positions: WirePosition[];
}
interface WireSub {
  account: string;
  sub: string;
  balances: Record<string, string>;
  portfolioMargin: boolean;
  cross: WireScope;
  isolated: WireScope[];
}
interface ReportScope {
  scope: string;
  equity: string;
  initialMargin: string;
  maintenanceMargin: string;
  freeCollateral: string;
  marginRatio: string | null;
  positions: { market: string; liquidationPrice: string | null }[];
}
interface WhatIfResult {
  before: { cross: ReportScope; isolated: ReportScope[] };
  after: { cross: ReportScope; isolated: ReportScope[] };
}

export function accountPage(ctx: AppCtx, initial: string): Page {
  const el = h('section', { class: 'page account' });
  const who = h('input', {
    value: initial,
    list: 'account-ids',
    size: 18,
    'aria-label': 'account',
    'data-testid': 'account-input',
  });
  const ids = h('datalist', { id: 'account-ids' });
  const figures = h('div', { 'data-testid': 'account-figures' });
  const breakdown = h('div', { class: 'breakdown', 'data-testid': 'account-breakdown' });
  const events = h('div', { 'data-testid': 'account-events' });
  const olderButton = h(
    'button',
    { 'data-testid': 'account-events-older', onclick: () => void loadOlder() },
    'Older events',
  );
  const whatIfBox = h('div', { class: 'what-if', 'data-testid': 'what-if' });
  el.append(
    h(
      'div',
      { class: 'controls' },
      h('label', {}, 'account ', who, ids),
      h('button', { onclick: () => go() }, 'Show'),
    ),
    figures,
    h('h2', {}, 'What if'),
    whatIfBox,
    h('h2', {}, 'Margin breakdown'),
    breakdown,
    h('h2', {}, 'Event history'),
    events,
    olderButton,
  );
  const account = initial;
  let asset = '';
  let askedAt: number | undefined;
  let markets: string[] = [];

  const go = () => {
    if (who.value && who.value !== account) location.hash = `#/account/${encodeURIComponent(who.value)}`;
  };
  who.addEventListener('change', go);

  const scopeTable = (scopes: WireScope[]) =>
    table(
      [
        'scope',
        'collateral (maint.)',
        'collateral (initial)',
        'unrealized PnL',
        'equity',
        'initial margin',
        'maint. margin',
        'free collateral',
        'health',
        'margin ratio',
        'state',
      ],
      scopes.map((s) => [
        h('th', {}, s.scope),
        numCell(money(s.collateral, asset), s.collateral),
        numCell(money(s.collateralInitial, asset), s.collateralInitial),
        numCell(money(s.unrealizedPnl, asset), s.unrealizedPnl),
        numCell(money(s.equity, asset), s.equity),
        numCell(money(s.initialMargin, asset), s.initialMargin),
        numCell(money(s.maintenanceMargin, asset), s.maintenanceMargin),
        numCell(money(s.freeCollateral, asset), s.freeCollateral),
        numCell(money(s.health, asset), s.health),
        numCell(s.marginRatio === null ? 'n/a' : pct(s.marginRatio), s.marginRatio ?? undefined),
        h(
          'td',
          { class: s.bankrupt || s.liquidatable ? 'bad' : 'ok' },
          s.bankrupt ? 'BANKRUPT' : s.liquidatable ? 'LIQUIDATABLE' : 'healthy',
        ),
      ]),
      'wide',
    );

  const positionTable = (scopes: WireScope[]) => {
    const rows = scopes.flatMap((s) =>
      s.positions.map((p) => [
        h('th', {}, p.symbol),
        p.side,
        p.marginMode,
        numCell(num(p.contracts, 4), p.contracts),
        numCell(price(p.entryPrice), p.entryPrice),
        numCell(price(p.markPrice), p.markPrice),
        numCell(money(p.notional, asset), p.notional),
        numCell(money(p.unrealizedPnl, asset), p.unrealizedPnl),
        numCell(money(p.initialMargin, asset), p.initialMargin),
        numCell(money(p.maintenanceMargin, asset), p.maintenanceMargin),
        numCell(price(p.liquidationPrice), p.liquidationPrice ?? undefined, 'liq'),
        numCell(price(p.bankruptcyPrice), p.bankruptcyPrice ?? undefined),
      ]),
    );
    return rows.length
      ? table(
          [
            'market',
            'side',
            'mode',
            'size',
            'entry',
            'mark',
            'notional',
            'uPnL',
            'IM',
            'MM',
            'liquidation price',
            'bankruptcy price',
          ],
          rows,
          'wide',
        )
      : h('p', { class: 'note' }, 'No open positions.');
  };

  const renderBreakdown = (b: Record<string, unknown>) => {
    const scopes = [b.cross, ...((b.isolated as unknown[]) ?? [])] as Record<string, unknown>[];
    fill(
      breakdown,
      ...scopes.map((s) => {
        const col = (s.collateral as Record<string, string | null>[] | undefined) ?? [];
        const pos = (s.positions as Record<string, unknown>[] | undefined) ?? [];
        return h(
          'details',
          { open: pos.length > 0 },
          h(
            'summary',
            {},
            `${String(s.scope)} · ${String(s.marginModel)} model · equity ${money(String(s.equity), asset)} = collateral ${money(String(s.collateralValue), asset)} + uPnL ${money(String(s.unrealizedPnl), asset)} − PnL haircut ${money(String(s.pnlHaircut ?? '0'), asset)}`,
          ),
          col.length
            ? table(
                [
                  'asset',
                  'balance',
                  'price',
                  'initial weight',
                  'maint. weight',
                  'value (initial)',
                  'value (maint.)',
                ],
                col.map((c) => [
                  h('th', {}, String(c.asset)),
                  numCell(num(c.balance, 6), c.balance ?? undefined),
                  numCell(price(c.price), c.price ?? undefined),
                  numCell(pct(c.initialWeight)),
                  numCell(pct(c.maintenanceWeight)),
                  numCell(money(c.valueInitial, asset), c.valueInitial ?? undefined),
                  numCell(money(c.valueMaintenance, asset), c.valueMaintenance ?? undefined),
                ]),
              )
            : null,
          ...pos.map((p) =>
            h(
              'details',
              {},
              h(
                'summary',
                {},
                `${String(p.market)} ${String(p.side)} ${String(p.size)}: model ${String((p.model as { kind?: string })?.kind ?? '')}`,
              ),
              tree(p),
            ),
          ),
          s.portfolio
            ? h(
                'details',
                { open: true },
                h('summary', {}, 'portfolio margin: scenarios and add-ons'),
                tree(s.portfolio),
              )
            : null,
        );
      }),
    );
  };

  const renderEvents = (
    list: { seq: number; timeMs: number; type: string; event: Record<string, unknown> }[],
  ) => {
    fill(
      events,
      list.length
        ? table(
            ['seq', 'time', 'event', 'details'],
            list.map((e) => [
              numCell(num(e.seq, 0)),
              clock(e.timeMs),
              e.type,
              h('td', { class: 'mono' }, summarize(e.event)),
            ]),
            'wide',
          )
        : h('p', { class: 'note' }, 'No events in the journal for this account.'),
      h(
        'p',
        { class: 'note', 'data-testid': 'account-events-range' },
        list.length
          ? `${list.length} events shown, journal positions ${num(list.at(-1)!.seq, 0)} to ${num(list[0]!.seq, 0)}${olderBefore === null ? ' (back to the account’s first event)' : ''}.`
          : '',
      ),
    );
    olderButton.hidden = olderBefore === null;
  };

  // The history as shown: newest first, every event once; older pages come from the journal on
  // request (before = the previous page's nextBefore), the newest page on every refresh.
  type Ev = { seq: number; timeMs: number; type: string; event: Record<string, unknown> };
  type EvPage = { events: Ev[]; nextBefore: number | null };
  let shown: Ev[] = [];
  let olderBefore: number | null = null;
  const pageOf = (before?: number) =>
    ctx.api.get<EvPage>(
      `/v1/accounts/${encodeURIComponent(account)}/events?limit=50${before === undefined ? '' : `&before=${before}`}`,
    );
  const merge = (more: Ev[]) => {
    const bySeq = new Map(shown.map((e) => [e.seq, e]));
    for (const e of more) bySeq.set(e.seq, e);
    shown = [...bySeq.values()].sort((a, b) => b.seq - a.seq);
  };
  const loadNewest = async () => {
    const newestShown = shown[0]?.seq ?? 0;
    let page = await pageOf();
    const first = shown.length === 0;
    merge(page.events);
    if (first) olderBefore = page.nextBefore;
    // more than a page arrived since the last refresh: fill the gap (a few pages at most)
    for (let i = 0; i < 4 && !first && page.nextBefore !== null && page.nextBefore > newestShown + 1; i++) {
      page = await pageOf(page.nextBefore);
      merge(page.events);
    }
    renderEvents(shown);
  };
  const loadOlder = async () => {
    if (olderBefore === null) return;
    const page = await pageOf(olderBefore);
    merge(page.events);
    olderBefore = page.nextBefore;
    renderEvents(shown);
  };

  const load = async () => {
    if (!account) {
      fill(figures, h('p', { class: 'note' }, 'Enter an account id.'));
      return false;
    }
    let r: { account: string; subaccounts: WireSub[] };
    try {
      r = await ctx.api.get(`/v1/accounts/${encodeURIComponent(account)}`);
    } catch (e) {
      fill(figures, h('p', { class: 'error' }, (e as Error).message));
      return false;
    }
    if (!asset) {
      const a = await ctx.api.get<{ assets: { asset: string; settlement: boolean }[] }>('/v1/assets');
      asset = a.assets.find((x) => x.settlement)?.asset ?? '';
      const m = await ctx.api.get<{ markets: { symbol: string }[] }>('/v1/markets');
      markets = m.markets.map((x) => x.symbol);
      renderWhatIf();
    }
    fill(
      figures,
      ...r.subaccounts.map((s) =>
        h(
          'div',
          { class: 'sub' },
          h('h2', {}, `${s.account} / ${s.sub}${s.portfolioMargin ? ' · portfolio margin' : ''}`),
          h(
            'p',
            {},
            'Balances: ',
            Object.entries(s.balances)
              .map(([a, v]) => money(v, a, 6))
              .join(' · ') || 'none',
          ),
          scopeTable([s.cross, ...s.isolated]),
          positionTable([s.cross, ...s.isolated]),
        ),
      ),
    );
    const b = await ctx.api.get<Record<string, unknown>>(
      `/v1/accounts/${encodeURIComponent(account)}/subaccounts/${encodeURIComponent(r.subaccounts[0]?.sub ?? '0')}/margin-breakdown`,
    );
    renderBreakdown(b);
    await loadNewest();
    if (askedAt !== undefined) ctx.noteUpdate('account', performance.now() - askedAt);
    askedAt = undefined;
    return false;
  };

  const renderWhatIf = () => {
    const sym = h(
      'select',
      { 'aria-label': 'what-if market' },
      ...markets.map((m) => h('option', { value: m }, m)),
    );
    const side = h(
      'select',
      { 'aria-label': 'side' },
      h('option', { value: 'buy' }, 'buy'),
      h('option', { value: 'sell' }, 'sell'),
    );
    const amount = h('input', { placeholder: 'size (e.g. 0.1)', size: 10, 'data-testid': 'what-if-amount' });
    const px = h('input', { placeholder: 'price (default mark)', size: 12 });
    const dep = h('input', { placeholder: `deposit ${asset} (− withdraw)`, size: 14 });
    const shock = h('input', { placeholder: 'move all prices %', size: 10, 'data-testid': 'what-if-shock' });
    const out = h('div', { 'data-testid': 'what-if-result' });
    const run = async () => {
      const body: Record<string, unknown> = {};
      if (amount.value)
        body.trades = [
          {
            symbol: sym.value,
            side: side.value,
            amount: amount.value,
            ...(px.value ? { price: px.value } : {}),
          },
        ];
      if (dep.value) body.deposits = [{ asset, amount: dep.value }];
      if (shock.value) body.shockPct = shock.value;
      try {
        const r = await ctx.api.request<WhatIfResult>(
          'POST',
          `/v1/accounts/${encodeURIComponent(account)}/what-if`,
          body,
        );
        const scopes = [r.before.cross, ...r.before.isolated].map((b) => ({
          b,
          a: [r.after.cross, ...r.after.isolated].find((x) => x.scope === b.scope),
        }));
        for (const a of r.after.isolated)
          if (!scopes.some((s) => s.b.scope === a.scope)) scopes.push({ b: a, a });
        fill(
          out,
          table(
            ['scope', 'figure', 'before', 'after'],
            scopes.flatMap(({ b, a }) => [
              ...(['equity', 'initialMargin', 'maintenanceMargin', 'freeCollateral'] as const).map((k) => [
                h('th', {}, b.scope),
                k,
                numCell(money(b[k], asset), b[k]),
                numCell(money(a?.[k], asset), a?.[k]),
              ]),
              [
                h('th', {}, b.scope),
                'margin ratio',
                numCell(pct(b.marginRatio)),
                numCell(pct(a?.marginRatio)),
              ],
              ...(a?.positions ?? []).map((p) => [
                h('th', {}, b.scope),
                `${p.market} liquidation price`,
                numCell(price(b.positions.find((x) => x.market === p.market)?.liquidationPrice)),
                numCell(price(p.liquidationPrice), p.liquidationPrice ?? undefined),
              ]),
            ]),
          ),
        );
      } catch (e) {
        fill(out, h('p', { class: 'error' }, (e as Error).message));
      }
    };
    fill(
      whatIfBox,
      h(
        'div',
        { class: 'controls' },
        'trade ',
        sym,
        side,
        amount,
        px,
        ' · ',
        dep,
        ' · ',
        shock,
        h('button', { onclick: () => void run(), 'data-testid': 'what-if-run' }, 'Run what-if'),
      ),
      h(
        'p',
        { class: 'note' },
        'Changes nothing: the engine computes the figures after the hypothetical trade, cash flow and price move.',
      ),
      out,
    );
  };

  const refresher = new Refresher(load, 1_000);
  refresher.request();
  if (ctx.role !== 'trader')
    void ctx.api
      .get<{ accounts: { account: string }[] }>('/v1/accounts')
      .then((r) => ids.append(...r.accounts.slice(0, 5000).map((a) => h('option', { value: a.account }))));
  else ids.append(...ctx.accounts.map((a) => h('option', { value: a })));

  return {
    el,
    onEvents(_e: readonly StreamEvent[]) {
      askedAt ??= performance.now();
      refresher.request();
    },
    dispose: () => refresher.dispose(),
  };
}

function summarize(e: Record<string, unknown>): string {
  const { type: _t, ...rest } = e;
  const text = JSON.stringify(rest);
  return text.length > 220 ? `${text.slice(0, 217)}…` : text;
}
