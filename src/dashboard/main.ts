/**
 * The risk console's shell: sign-in bar (key id + secret, kept in sessionStorage), navigation by
 * URL hash (#/overview, #/at-risk, #/map, #/account/ID, #/operator), the live stream, and a status
 * line (connection, journal head, events received, last update lag).
 */
import { Api, type Key, storedKey, storeKey } from './api.ts';
import type { AppCtx, Page, Role } from './app.ts';
import { fill, h } from './dom.ts';
import { num } from './format.ts';
import { Live } from './live.ts';
import { accountPage } from './pages/account.ts';
import { atRiskPage } from './pages/at-risk.ts';
import { liquidationMapPage } from './pages/liquidation-map.ts';
import { operatorPage } from './pages/operator.ts';
import { overviewPage } from './pages/overview.ts';
import { noteUpdate, startFrameClock, stats } from './perf.ts';

const main = document.getElementById('main')!;
const nav = document.getElementById('nav')!;
const login = document.getElementById('login') as HTMLFormElement;
const status = document.getElementById('status')!;

/** Which scope the key has, from which reads it may make (the server decides; this only picks the views). */
async function discoverRole(api: Api): Promise<{ role: Role; accounts: string[] }> {
  if (!api.key) return { role: 'public', accounts: [] };
  const ok = async (p: string) => {
    try {
      return await api.get<unknown>(p);
    } catch {
      return undefined;
    }
  };
  if (await ok('/v1/state')) return { role: 'operator', accounts: [] };
  if (await ok('/v1/adl-queue')) return { role: 'liquidator', accounts: [] };
  const acc = (await ok('/v1/accounts')) as { accounts?: { account: string }[] } | undefined;
  if (acc?.accounts) return { role: 'trader', accounts: acc.accounts.map((a) => a.account) };
  return { role: 'other', accounts: [] };
}

const ROUTES: { id: string; label: string; roles: Role[] }[] = [
  { id: 'overview', label: 'Overview', roles: ['public', 'trader', 'liquidator', 'operator', 'other'] },
  { id: 'at-risk', label: 'Accounts at risk', roles: ['trader', 'liquidator', 'operator'] },
  { id: 'map', label: 'Liquidation map', roles: ['liquidator', 'operator'] },
  { id: 'account', label: 'Account', roles: ['trader', 'liquidator', 'operator'] },
  { id: 'operator', label: 'Operator', roles: ['operator'] },
];

let page: Page | undefined;
let ctx: AppCtx;

function renderLogin(key: Key | undefined, role: Role): void {
  if (key) {
    fill(
      login,
      h('span', { class: 'who', 'data-testid': 'who' }, `${key.id} · ${role}`),
      h('button', { type: 'button', onclick: () => signIn(undefined) }, 'Sign out'),
    );
    return;
  }
  const id = h('input', { name: 'keyId', placeholder: 'key id', size: 12, 'aria-label': 'API key id' });
  const secret = h('input', {
    name: 'secret',
    type: 'password',
    placeholder: 'secret',
    size: 20,
    'aria-label': 'API key secret',
  });
  fill(
    login,
    h('span', { class: 'who' }, 'public viewer'),
    id,
    secret,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  login.onsubmit = (e) => {
    e.preventDefault();
    if (id.value && secret.value) signIn({ id: id.value.trim(), secret: secret.value.trim() });
  };
}

function signIn(key: Key | undefined): void {
  storeKey(key);
  location.reload();
}

function route(): void {
  const [, id = 'overview', arg] = /^#\/([^/]*)\/?(.*)$/.exec(location.hash) ?? [];
  const allowed = ROUTES.filter((r) => r.roles.includes(ctx.role));
  const target = allowed.find((r) => r.id === id) ?? allowed[0]!;
  fill(
    nav,
    ...allowed.map((r) =>
      h('a', { href: `#/${r.id}`, class: r.id === target.id ? 'active' : '', 'data-nav': r.id }, r.label),
    ),
  );
  page?.dispose();
  const arg0 = decodeURIComponent(arg ?? '');
  page =
    target.id === 'at-risk'
      ? atRiskPage(ctx)
      : target.id === 'map'
        ? liquidationMapPage(ctx)
        : target.id === 'account'
          ? accountPage(ctx, arg0 || ctx.accounts[0] || '')
          : target.id === 'operator'
            ? operatorPage(ctx)
            : overviewPage(ctx);
  fill(main, page.el);
}

function renderStatus(live: Live): void {
  stats.eventsReceived = live.received;
  stats.head = live.head;
  const last = stats.updates.at(-1);
  fill(
    status,
    h('span', { class: `dot ${live.state}`, 'data-testid': 'stream-state' }, `stream ${live.state}`),
    h('span', {}, `journal head ${num(live.head, 0)}`),
    h('span', {}, `events ${num(live.received, 0)}`),
    last ? h('span', {}, `last update ${last.view} ${num(last.lagMs, 0)} ms after its event`) : null,
  );
}

async function boot(): Promise<void> {
  startFrameClock();
  const key = storedKey();
  const api = new Api(key);
  try {
    await api.syncClock();
  } catch {
    // the clock only matters for signatures; a public viewer does without
  }
  const { role, accounts } = await discoverRole(api);
  if (key && role === 'other') console.warn('this key may read none of the console views');
  renderLogin(key, role);
  const live = new Live(api);
  ctx = { api, live, role, accounts, noteUpdate };
  live.onEvents((events) => page?.onEvents(events));
  let statusQueued = false;
  live.onStatus(() => {
    if (statusQueued) return;
    statusQueued = true;
    setTimeout(() => {
      statusQueued = false;
      renderStatus(live);
    }, 250);
  });
  // start the stream at the journal head the pages load from
  const head = await api.get<{ seq: number; cursor?: string }>(
    '/v1/dashboard/overview?since=8640000000000000',
  );
  await live.start(head.seq, head.cursor);
  window.addEventListener('hashchange', route);
  route();
  renderStatus(live);
}

void boot().catch((e) => {
  fill(main, h('p', { class: 'error' }, `The console could not start: ${(e as Error).message}`));
});
