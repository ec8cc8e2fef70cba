/**
 * The account page's "Agent decisions" panel: what the account's margin agent (`plimsoll agent`)
 * decided, newest first — when, after which event, the figures it saw (margin ratio, equity,
 * maintenance margin, reserve, mark and liquidation price), what it did and how each action went
 * (applied, replayed on a retry, an order placed, failed, skipped), and why in its own words
 * (GET /v1/accounts/ID/agent-decisions). It re-reads when the page's stream brings events, like
 * the rest of the page: an agent's top-up is itself an event of the account.
 */
import type { AppCtx } from '../app.ts';
import { fill, h, numCell, table } from '../dom.ts';
import { dateTime, money, num, pct, price } from '../format.ts';
import { Refresher } from '../live.ts';

interface AgentAction {
  kind: string;
  amount: string;
  commandId?: string;
  outcome: string;
  seq?: number;
  error?: string;
}
interface AgentDecision {
  id: string;
  timeMs: number;
  strategy: string;
  sub?: string;
  keyId: string;
  trigger: { seq: number; event: string };
  figures: Record<string, string | null>;
  verdict: string;
  actions: AgentAction[];
  reason: string;
}

const VERDICT_CLASS: Record<string, string> = { act: 'bad', cooldown: 'bad', hold: 'ok', started: 'ok' };

export interface AgentDecisionsPanel {
  readonly el: HTMLElement;
  /** Re-read (throttled). */
  refresh(): void;
  dispose(): void;
}

export function agentDecisionsPanel(ctx: AppCtx, account: string, asset: () => string): AgentDecisionsPanel {
  const el = h('div', { class: 'agent-decisions', 'data-testid': 'agent-decisions' });
  const actionText = (a: AgentAction) =>
    `${a.kind.replace('_', ' ')} ${a.kind === 'reduce' || a.kind === 'hedge' ? num(a.amount, 4) : money(a.amount, asset())} → ${a.outcome}${a.error ? ` (${a.error})` : ''}`;
  const load = async () => {
    if (!account) return false;
    let r: { decisions: AgentDecision[] };
    try {
      r = await ctx.api.get(`/v1/accounts/${encodeURIComponent(account)}/agent-decisions?limit=50`);
    } catch (e) {
      fill(el, h('p', { class: 'note' }, `Agent decisions unavailable: ${(e as Error).message}`));
      return false;
    }
    const list = [...r.decisions].reverse();
    fill(
      el,
      list.length
        ? table(
            [
              'time',
              'agent',
              'after',
              'margin ratio',
              'equity',
              'maint. margin',
              'reserve',
              'mark / liq.',
              'decision',
              'actions',
              'why',
            ],
            list.map((d) => {
              const f = d.figures;
              return [
                dateTime(d.timeMs),
                `${d.strategy} (${d.keyId}${d.sub ? `, sub ${d.sub}` : ''})`,
                `${d.trigger.event} #${d.trigger.seq}`,
                numCell(pct(f.marginRatio), f.marginRatio ?? undefined),
                numCell(money(f.equity, asset()), f.equity ?? undefined),
                numCell(money(f.maintenanceMargin, asset()), f.maintenanceMargin ?? undefined),
                numCell(money(f.reserve, asset()), f.reserve ?? undefined),
                f.markPrice ? `${f.symbol ?? ''} ${price(f.markPrice)} / ${price(f.liquidationPrice)}` : '—',
                h(
                  'td',
                  { class: f.state === 'liquidatable' ? 'bad' : (VERDICT_CLASS[d.verdict] ?? '') },
                  f.state === 'liquidatable' ? `${d.verdict} · LIQUIDATABLE` : d.verdict,
                ),
                h(
                  'td',
                  { title: d.actions.map((a) => a.commandId ?? '').join(' ') },
                  d.actions.length ? d.actions.map(actionText).join('; ') : '—',
                ),
                h('td', { class: 'note' }, d.reason),
              ];
            }),
            'wide',
          )
        : h(
            'p',
            { class: 'note' },
            'No agent has posted decisions for this account (run `plimsoll agent`, docs/trader.md).',
          ),
    );
    return false;
  };
  const refresher = new Refresher(load, 1_000);
  refresher.request();
  return { el, refresh: () => refresher.request(), dispose: () => refresher.dispose() };
}
