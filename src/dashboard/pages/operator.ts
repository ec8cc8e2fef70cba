/**
 * Operator panel (operator keys; the server refuses anyone else): pause and resume liquidations
 * per market, force safe mode on or release it, each market's oracle safe mode and breaker
 * (entered and left by the oracle itself, docs/oracle.md), configuration changes through the API's own
 * operator routes with a confirmation that shows exactly what will be sent, and the audit trail.
 */
import type { AppCtx, Page } from '../app.ts';
import { fill, h, table, tree } from '../dom.ts';
import { clock, dateTime, price } from '../format.ts';
import { Refresher, type StreamEvent } from '../live.ts';
import type { Overview } from './overview.ts';

/** Asks in a modal <dialog>; resolves true on "Confirm". */
function confirmDialog(title: string, detail: Node): Promise<boolean> {
  const d = document.getElementById('confirm') as HTMLDialogElement;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      d.close();
      resolve(ok);
    };
    fill(
      d,
      h('h3', {}, title),
      detail,
      h(
        'div',
        { class: 'buttons' },
        h('button', { onclick: () => done(false), 'data-testid': 'confirm-cancel' }, 'Cancel'),
        h('button', { class: 'danger', onclick: () => done(true), 'data-testid': 'confirm-ok' }, 'Confirm'),
      ),
    );
    d.showModal();
  });
}

const TEMPLATES: Record<string, { method: string; path: (id: string) => string; body: string }> = {
  policy: { method: 'PUT', path: () => '/v1/policy', body: '{\n  "guards": {}\n}' },
  market: {
    method: 'PUT',
    path: (id) => `/v1/markets/${encodeURIComponent(id)}`,
    body: '{\n  "config": {}\n}',
  },
  oracle: {
    method: 'PUT',
    path: (id) => `/v1/oracles/${encodeURIComponent(id)}`,
    body: '{\n  "config": {}\n}',
  },
  asset: {
    method: 'PUT',
    path: (id) => `/v1/assets/${encodeURIComponent(id)}`,
    body: '{\n  "config": {}\n}',
  },
};

export function operatorPage(ctx: AppCtx): Page {
  const el = h('section', { class: 'page operator' });
  const marketsBox = h('div', { 'data-testid': 'operator-markets' });
  const result = h('div', { class: 'result', 'data-testid': 'operator-result' });
  const auditBox = h('div', { 'data-testid': 'audit' });
  const kind = h(
    'select',
    { 'aria-label': 'what to change' },
    ...Object.keys(TEMPLATES).map((k) => h('option', { value: k }, k)),
  );
  const target = h('input', { placeholder: 'market / asset id', size: 14, 'aria-label': 'target id' });
  const body = h('textarea', { rows: 10, cols: 70, spellcheck: 'false', 'aria-label': 'request body' });
  body.value = TEMPLATES.policy!.body;
  kind.addEventListener('change', () => {
    body.value = TEMPLATES[kind.value]!.body;
  });
  let askedAt: number | undefined;

  const send = async (method: string, path: string, payload: unknown, title: string) => {
    const ok = await confirmDialog(
      title,
      h(
        'div',
        {},
        h('p', {}, 'This request will be signed with your operator key and sent:'),
        h('pre', {}, `${method} ${path}\n${JSON.stringify(payload, null, 2)}`),
        h('p', {}, 'It is journaled and written to the audit trail.'),
      ),
    );
    if (!ok) {
      fill(result, 'Cancelled: nothing was sent.');
      return;
    }
    try {
      const r = await ctx.api.request<{ seq: number }>(method, path, payload);
      fill(result, h('span', { class: 'ok' }, `Accepted at journal position ${r.seq}.`));
    } catch (e) {
      fill(result, h('span', { class: 'error' }, (e as Error).message));
    }
    refresher.request();
  };

  const load = async () => {
    const o = await ctx.api.get<Overview>('/v1/dashboard/overview?since=8640000000000000');
    fill(
      marketsBox,
      table(
        ['market', 'mark', 'liquidations', 'safe mode', 'oracle safe mode', 'breaker', '', ''],
        o.markets.map((m) => [
          h('th', {}, m.symbol),
          price(m.markPrice),
          h(
            'td',
            { class: m.liquidationsPaused ? 'bad' : 'ok', 'data-testid': `paused-${m.symbol}` },
            m.liquidationsPaused ? 'PAUSED' : 'running',
          ),
          h(
            'td',
            { class: m.safeMode ? 'bad' : 'ok', 'data-testid': `safe-mode-${m.symbol}` },
            m.safeModeForced ? 'FORCED' : m.safeMode ? 'ON (oracle)' : 'off',
          ),
          m.oracle
            ? m.oracle.safeMode
              ? `on (${m.oracle.safeModeReasons.join(', ')}) since ${clock(m.oracle.safeModeSinceMs)}`
              : 'off'
            : 'no oracle',
          m.oracle
            ? m.oracle.breakerTripped
              ? `tripped ${clock(m.oracle.breakerTrippedAtMs)}`
              : 'armed'
            : '—',
          h(
            'td',
            {},
            h(
              'button',
              {
                'data-testid': `toggle-${m.symbol}`,
                onclick: () =>
                  void send(
                    'PUT',
                    `/v1/markets/${encodeURIComponent(m.symbol)}/liquidations`,
                    { paused: !m.liquidationsPaused },
                    `${m.liquidationsPaused ? 'Resume' : 'Pause'} liquidations in ${m.symbol}?`,
                  ),
              },
              m.liquidationsPaused ? 'Resume liquidations' : 'Pause liquidations',
            ),
          ),
          h(
            'td',
            {},
            h(
              'button',
              {
                'data-testid': `safe-mode-toggle-${m.symbol}`,
                onclick: () =>
                  void send(
                    'PUT',
                    `/v1/markets/${encodeURIComponent(m.symbol)}/safe-mode`,
                    { forced: !m.safeModeForced },
                    m.safeModeForced
                      ? `Release the safe-mode hold on ${m.symbol}? (the oracle's own reasons still apply)`
                      : `Force ${m.symbol} into safe mode? Liquidations wait, and withdrawals and risk-increasing trades against it are refused.`,
                  ),
              },
              m.safeModeForced ? 'Release safe mode' : 'Force safe mode',
            ),
          ),
        ]),
        'wide',
      ),
    );
    const audit = await ctx.api.get<{
      records: {
        keyId: string;
        timeMs: number;
        command: string;
        target: string;
        before: unknown;
        after: unknown;
        seq: number;
      }[];
    }>('/v1/audit?limit=50');
    fill(
      auditBox,
      audit.records.length
        ? table(
            ['time', 'key', 'command', 'target', 'journal', 'before → after'],
            [...audit.records]
              .reverse()
              .map((r) => [
                dateTime(r.timeMs),
                r.keyId,
                r.command,
                r.target,
                String(r.seq),
                h(
                  'td',
                  {},
                  h(
                    'details',
                    {},
                    h('summary', {}, 'show'),
                    h('div', { class: 'grid2' }, tree(r.before), tree(r.after)),
                  ),
                ),
              ]),
            'wide',
          )
        : h('p', { class: 'note' }, 'No configuration changes yet.'),
    );
    if (askedAt !== undefined) ctx.noteUpdate('operator', performance.now() - askedAt);
    askedAt = undefined;
    return false;
  };
  const refresher = new Refresher(load, 1_000);
  refresher.request();

  el.append(
    h('h2', {}, 'Liquidations and safe mode'),
    marketsBox,
    h(
      'p',
      { class: 'note' },
      'Safe mode is entered and left by each market’s guarded oracle (no mark, unreliable index, tripped breaker, recovery), or forced by the operator; while it is on, liquidations there wait and withdrawals and risk-increasing trades against the market are refused. Releasing the operator’s hold leaves the oracle’s own reasons in force. Pausing stops liquidations only.',
    ),
    h('h2', {}, 'Change parameters'),
    h(
      'div',
      { class: 'controls' },
      kind,
      target,
      h(
        'button',
        {
          'data-testid': 'review-change',
          onclick: () => {
            let payload: unknown;
            try {
              payload = JSON.parse(body.value);
            } catch (e) {
              fill(result, h('span', { class: 'error' }, `not JSON: ${(e as Error).message}`));
              return;
            }
            const t = TEMPLATES[kind.value]!;
            if (kind.value !== 'policy' && !target.value) {
              fill(result, h('span', { class: 'error' }, 'name the market or asset to change'));
              return;
            }
            void send(
              t.method,
              t.path(target.value),
              payload,
              `Change the ${kind.value}${target.value ? ` ${target.value}` : ''}?`,
            );
          },
        },
        'Review and send…',
      ),
    ),
    body,
    h(
      'p',
      { class: 'note' },
      'Bodies as in docs/server.md (configurations in the engine configuration’s form). The server validates them; a refused change changes nothing.',
    ),
    result,
    h('h2', {}, 'Audit trail'),
    auditBox,
  );

  return {
    el,
    onEvents(events: readonly StreamEvent[]) {
      const relevant = events.some((e) =>
        /configured|paused|policy|oracle_transition|safe_mode_forced/.test(e.event.type),
      );
      if (!relevant) return;
      askedAt ??= performance.now();
      refresher.request();
    },
    dispose: () => refresher.dispose(),
  };
}
