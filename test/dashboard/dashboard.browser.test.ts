/**
 * The risk console end to end: a real `plimsoll serve` service (SQLite journal, keeper, event
 * stream) on a free port with a seeded population, the console built by vite and served by the
 * service, loaded in headless Chromium (Debian's /usr/bin/chromium through playwright-core).
 * Price moves go through the API as a feed would; the test asserts that the at-risk table, the
 * liquidation map and the insurance-fund chart follow from the live stream within a bound, that
 * a trader key sees only its own account, that the what-if panel and the operator's pause work,
 * and writes a screenshot of each page (checked non-empty: bytes and canvas pixel variance).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKey } from '../../src/server/auth.ts';
import { PlimsollClient } from '../../src/server/client.ts';
import { createLogger } from '../../src/server/log.ts';
import { type RunningService, startService } from '../../src/server/service.ts';
import { BROWSER_MISSING, CHROMIUM, CHROMIUM_FLAGS } from '../support/chromium.ts';

if (BROWSER_MISSING)
  console.warn(
    `skipping the dashboard browser test: ${CHROMIUM} is missing (npm test installs Debian's chromium when run as root; ` +
      'or set PLIMSOLL_CHROMIUM to a Chromium binary)',
  );
/** How long the console may take to show a change after the API accepted it. */
const LIVE_BOUND_MS = 8_000;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const secret = (id: string) => `${id}-${'s'.repeat(40)}`;
const TRADERS = Array.from({ length: 30 }, (_, i) => `t${String(i).padStart(2, '0')}`);
const KEYS: ApiKey[] = [
  { id: 'op', secret: secret('op'), scopes: ['operator'] },
  { id: 'feed', secret: secret('feed'), scopes: ['feed'] },
  { id: 'venue', secret: secret('venue'), scopes: ['venue'] },
  { id: 'liq', secret: secret('liq'), scopes: ['liquidator'], accounts: ['keeper'] },
  { id: 'alice', secret: secret('alice'), scopes: ['trader'], accounts: ['alice'] },
];
const client = (url: string, id: string) => new PlimsollClient({ url, keyId: id, secret: secret(id) });

let dir: string;
let out: string;
let service: RunningService | undefined;
let browser: Browser | undefined;
let op: PlimsollClient;
let feed: PlimsollClient;

async function open(keyId: string | undefined, hash: string): Promise<{ ctx: BrowserContext; page: Page }> {
  // playwright gives the browser a fresh temporary profile (it refuses a --user-data-dir flag)
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (keyId !== undefined)
    await ctx.addInitScript(
      `sessionStorage.setItem('plimsoll.dashboard.key', ${JSON.stringify(JSON.stringify({ id: keyId, secret: secret(keyId) }))})`,
    );
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.host !== new URL(service!.url).host) errors.push(`external request ${r.url()}`);
  });
  (page as unknown as { errors: string[] }).errors = errors;
  await page.goto(`${service!.url}/dashboard/${hash}`);
  await page.locator('[data-testid=stream-state]').filter({ hasText: 'open' }).waitFor({ timeout: 15_000 });
  return { ctx, page };
}

/** Every canvas of the page has drawn something: the variance of its pixels is not zero. */
async function canvasVariance(page: Page): Promise<number[]> {
  // a string: the test's own types have no DOM
  return page.evaluate(`[...document.querySelectorAll('canvas')].map((c) => {
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let sum = 0, sq = 0, n = 0;
    for (let i = 0; i < data.length; i += 16) {
      const v = data[i] + data[i + 1] + data[i + 2] + data[i + 3];
      sum += v; sq += v * v; n++;
    }
    return sq / n - (sum / n) ** 2;
  })`);
}

async function shot(page: Page, name: string): Promise<void> {
  const file = join(out, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  expect(statSync(file).size).toBeGreaterThan(20_000);
}

const journalSeqIn = async (page: Page, testid: string) => {
  const text = (await page.locator(`[data-testid=${testid}]`).textContent()) ?? '';
  const m = /journal\s*([0-9,]+)/.exec(text);
  return m ? Number(m[1]!.replace(/,/g, '')) : -1;
};

async function waitUntil(what: string, f: () => Promise<boolean>, boundMs = LIVE_BOUND_MS): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < boundMs) {
    if (await f()) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${boundMs} ms`);
}

describe.skipIf(BROWSER_MISSING)('risk console in Chromium', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plimsoll-dashboard-'));
    out = process.env.PLIMSOLL_SCREENSHOT_DIR ?? join(dir, 'screenshots');
    mkdirSync(out, { recursive: true });
    const web = join(dir, 'web');
    await build({
      configFile: join(ROOT, 'src/dashboard/vite.config.ts'),
      root: join(ROOT, 'src/dashboard'),
      logLevel: 'error',
      build: { outDir: web, emptyOutDir: true },
    });
    const keysFile = join(dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify(KEYS), { mode: 0o600 });
    service = await startService({
      store: join(dir, 'venue.sqlite'),
      keysFile,
      port: 0,
      preset: 'binance-usdm',
      dashboardDir: web,
      logger: createLogger({ level: 'silent' }),
      liquidator: 'keeper',
      rateLimit: { burst: 10_000, ratePerSec: 10_000 },
    });
    op = client(service.url, 'op');
    feed = client(service.url, 'feed');
    const venue = client(service.url, 'venue');
    await op.deposit({ account: 'keeper', asset: 'USDT', amount: '10000000' });
    await op.deposit({ account: 'whale', asset: 'USDT', amount: '10000000' });
    await feed.prices({ marks: { BTCUSDT: '60000', ETHUSDT: '3000' } });
    // leverage 2× to 30×: liquidation prices spread from a few percent to half the price away
    const traders = ['alice', ...TRADERS];
    for (const [i, t] of traders.entries()) {
      await op.deposit({ account: t, asset: 'USDT', amount: '2000' });
      const leverage = 2 + ((i * 7) % 29);
      const size = ((2000 * leverage) / 60_000).toFixed(3);
      const long = i % 4 !== 3;
      await venue.fill({
        symbol: 'BTCUSDT',
        buyer: { account: long ? t : 'whale' },
        seller: { account: long ? 'whale' : t },
        amount: size,
        price: '60000',
      });
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await service?.close();
    if (process.env.KEEP_DASHBOARD === undefined && dir !== undefined)
      rmSync(dir, { recursive: true, force: true });
  });

  it('the public viewer sees the overview, drawn, and nothing of any account', async () => {
    const { ctx, page } = await open(undefined, '#/overview');
    await page.locator('[data-testid=insurance-fund]').waitFor();
    await page.locator('[data-testid=chart-insurance] canvas').first().waitFor();
    const navs = await page.locator('nav a').allTextContents();
    expect(navs).toEqual(['Overview']);
    expect(await page.locator('[data-testid=markets]').textContent()).toContain('BTCUSDT');
    await page.waitForTimeout(300);
    const v = await canvasVariance(page);
    expect(v.length).toBeGreaterThanOrEqual(4);
    for (const x of v) expect(x).toBeGreaterThan(0);
    await shot(page, 'overview-public');
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await ctx.close();
  });

  it('the at-risk table follows a price move from the live stream', async () => {
    const { ctx, page } = await open('op', '#/at-risk');
    const rows = page.locator('[data-testid=at-risk-table] tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(32); // alice, 30 traders and the whale on the other side
    const before = await page.locator('[data-testid=at-risk-table] tbody tr').first().textContent();
    const { seq } = (await feed.prices({ marks: { BTCUSDT: '57000' } })) as { seq: number };
    const took = await waitUntil(
      'at-risk table at the new journal position',
      async () => (await journalSeqIn(page, 'at-risk-info')) >= seq,
    );
    expect(took).toBeLessThan(LIVE_BOUND_MS);
    expect(await page.locator('[data-testid=at-risk-table] tbody tr').first().textContent()).not.toBe(before);
    // the table's top probability is the API's
    const api = (await op.request('GET', '/v1/risk/at-risk?horizon=1h&sigma=0.8&limit=500')) as {
      scopes: { account: string; liquidationProbability: number }[];
    };
    const top = await page.locator('[data-testid=at-risk-table] tbody tr').first().locator('a').textContent();
    expect(top).toBe(api.scopes[0]!.account);
    // filter and click through
    await page.locator('[data-testid=filter]').fill('alice');
    expect(await rows.count()).toBe(1);
    await shot(page, 'at-risk');
    await rows.first().click();
    await page.waitForURL(/#\/account\/alice/);
    await page.locator('[data-testid=account-figures] table').first().waitFor();
    expect(await page.locator('[data-testid=account-figures]').textContent()).toContain('BTCUSDT');
    await ctx.close();
  });

  it('the liquidation map and its cascade preview follow a price move', async () => {
    const { ctx, page } = await open('liq', '#/map');
    await page.locator('[data-testid=map-ladder] tbody tr').first().waitFor();
    await page.locator('[data-testid=cascade-summary]').waitFor();
    const ladderBefore = await page.locator('[data-testid=map-ladder]').textContent();
    const { seq } = (await feed.prices({ marks: { BTCUSDT: '58500' } })) as { seq: number };
    await waitUntil(
      'map at the new journal position',
      async () => (await journalSeqIn(page, 'map-cards')) >= seq,
    );
    await waitUntil('ladder redrawn around the new mark', async () =>
      ((await page.locator('[data-testid=map-ladder]').textContent()) ?? '').includes('mark 58,500.00'),
    );
    expect(await page.locator('[data-testid=map-ladder]').textContent()).not.toBe(ladderBefore);
    const cascade = (await op.request('GET', '/v1/risk/cascade?symbol=BTCUSDT&movePct=-10')) as {
      firstRound: { positions: number };
      afterCascade: { positions: number; rounds: number };
    };
    expect(await page.locator('[data-testid=cascade-summary]').textContent()).toContain(
      `liquidates ${cascade.firstRound.positions} positions`,
    );
    expect(cascade.afterCascade.positions).toBeGreaterThanOrEqual(cascade.firstRound.positions);
    await waitUntil('cascade through the book shown', async () =>
      ((await page.locator('[data-testid=cascade-after]').textContent()) ?? '').includes(
        `${cascade.afterCascade.positions} positions`,
      ),
    );
    const v = await canvasVariance(page);
    for (const x of v) expect(x).toBeGreaterThan(0);
    await shot(page, 'liquidation-map');
    await ctx.close();
  });

  it('a crash liquidates through the keeper and the insurance-fund chart and counts update live', async () => {
    const { ctx, page } = await open('op', '#/overview');
    await page.locator('[data-testid=insurance-fund]').waitFor();
    await page.locator('[data-testid=chart-insurance] canvas').first().waitFor();
    const fundBefore = await page.locator('[data-testid=insurance-fund]').textContent();
    const chartBefore = await page.locator('[data-testid=chart-insurance] canvas').first().screenshot();
    // down 12 %: the high-leverage longs pass their liquidation prices; the keeper liquidates them
    await feed.prices({ marks: { BTCUSDT: '51500' } });
    await waitUntil('liquidations counted on the overview', async () => {
      const t = (await page.locator('[data-testid=liquidation-totals] .value').textContent()) ?? '0';
      return Number(t.replace(/,/g, '')) > 0;
    });
    const fundOf = async () =>
      ((await op.insuranceFund()) as { balances: Record<string, string> }).balances.USDT!;
    const shown = (v: string) =>
      Number(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    await waitUntil('insurance fund as the API says', async () =>
      ((await page.locator('[data-testid=insurance-fund]').textContent()) ?? '').startsWith(
        shown(await fundOf()),
      ),
    );
    // a contribution to the fund: the card and the chart follow
    await op.request('POST', '/v1/insurance-fund/contributions', {
      account: 'whale',
      asset: 'USDT',
      amount: '250000',
    });
    const after = await fundOf();
    expect(`${shown(after)} USDT`).not.toBe(fundBefore);
    await waitUntil('insurance fund card after the contribution', async () =>
      ((await page.locator('[data-testid=insurance-fund]').textContent()) ?? '').startsWith(shown(after)),
    );
    await page.waitForTimeout(200);
    const chartAfter = await page.locator('[data-testid=chart-insurance] canvas').first().screenshot();
    expect(chartAfter.equals(chartBefore)).toBe(false);
    await shot(page, 'overview-after-crash');
    await ctx.close();
  });

  it('a trader key sees only its own account, and its what-if', async () => {
    const { ctx, page } = await open('alice', '#/at-risk');
    expect(await page.locator('nav a').allTextContents()).toEqual([
      'Overview',
      'Accounts at risk',
      'Account',
    ]);
    const rows = page.locator('[data-testid=at-risk-table] tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('a').textContent()).toBe('alice');
    // the map is not offered, and asking for it by URL falls back to an allowed page
    await page.goto(`${service!.url}/dashboard/#/map`);
    await page.locator('[data-testid=stream-state]').filter({ hasText: 'open' }).waitFor();
    expect(await page.locator('[data-testid=map-ladder]').count()).toBe(0);
    await page.goto(`${service!.url}/dashboard/#/account/alice`);
    await page.locator('[data-testid=account-figures] table').first().waitFor();
    await page.locator('[data-testid=account-breakdown] details').first().waitFor();
    await page.locator('[data-testid=what-if-shock]').fill('-5');
    await page.locator('[data-testid=what-if-run]').click();
    await page.locator('[data-testid=what-if-result] table').waitFor();
    expect(await page.locator('[data-testid=what-if-result]').textContent()).toContain('liquidation price');
    // her history from the journal, back to her first event
    await page.locator('[data-testid=account-events-range]').filter({ hasText: 'first event' }).waitFor();
    const history = (await page.locator('[data-testid=account-events]').textContent()) ?? '';
    expect(history).toContain('subaccount_opened');
    expect(history).toContain('traded');
    await shot(page, 'account-alice');
    // another account through the URL: the server refuses, the page says so
    await page.goto(`${service!.url}/dashboard/#/account/t01`);
    await page.locator('[data-testid=account-figures] .error').waitFor();
    expect(await page.locator('[data-testid=account-figures]').textContent()).toContain('403');
    await ctx.close();
  });

  it('the operator pauses liquidations with a confirmation, and the audit trail shows it', async () => {
    const { ctx, page } = await open('op', '#/operator');
    await page.locator('[data-testid=toggle-BTCUSDT]').waitFor();
    await page.locator('[data-testid=toggle-BTCUSDT]').click();
    await page.locator('[data-testid=confirm-cancel]').click();
    expect(await page.locator('[data-testid=operator-result]').textContent()).toContain('nothing was sent');
    await page.locator('[data-testid=toggle-BTCUSDT]').click();
    await page.locator('[data-testid=confirm-ok]').click();
    await waitUntil(
      'paused shown',
      async () => (await page.locator('[data-testid=paused-BTCUSDT]').textContent()) === 'PAUSED',
    );
    await waitUntil('audit row', async () =>
      ((await page.locator('[data-testid=audit]').textContent()) ?? '').includes('BTCUSDT'),
    );
    const markets = (await op.markets()) as { markets: { symbol: string; liquidationsPaused: boolean }[] };
    expect(markets.markets.find((m) => m.symbol === 'BTCUSDT')!.liquidationsPaused).toBe(true);
    await shot(page, 'operator');
    await ctx.close();
  });

  it('the operator forces safe mode with a confirmation, the overview shows it, and releases it', async () => {
    const { ctx, page } = await open('op', '#/operator');
    const toggle = page.locator('[data-testid=safe-mode-toggle-ETHUSDT]');
    await toggle.waitFor();
    expect(await page.locator('[data-testid=safe-mode-ETHUSDT]').textContent()).toBe('off');
    await toggle.click();
    await page.locator('[data-testid=confirm-cancel]').click();
    expect(await page.locator('[data-testid=operator-result]').textContent()).toContain('nothing was sent');
    await toggle.click();
    expect(await page.locator('#confirm').textContent()).toContain('"forced": true');
    await page.locator('[data-testid=confirm-ok]').click();
    await waitUntil(
      'forced shown',
      async () => (await page.locator('[data-testid=safe-mode-ETHUSDT]').textContent()) === 'FORCED',
    );
    await waitUntil('audit row', async () =>
      ((await page.locator('[data-testid=audit]').textContent()) ?? '').includes('force_safe_mode'),
    );
    const markets = (await op.markets()) as { markets: { symbol: string; safeModeForced: boolean }[] };
    expect(markets.markets.find((m) => m.symbol === 'ETHUSDT')!.safeModeForced).toBe(true);
    // the overview (any viewer) shows the hold
    const viewer = await open(undefined, '#/overview');
    await waitUntil('overview shows the forced safe mode', async () =>
      ((await viewer.page.locator('[data-testid=oracle-ETHUSDT]').textContent()) ?? '').includes(
        'forced by the operator',
      ),
    );
    await shot(page, 'operator-safe-mode');
    // released from the panel, with the same confirmation
    await toggle.click();
    await page.locator('[data-testid=confirm-ok]').click();
    await waitUntil(
      'released shown',
      async () => (await page.locator('[data-testid=safe-mode-ETHUSDT]').textContent()) === 'off',
    );
    await waitUntil(
      'overview shows it released',
      async () =>
        !((await viewer.page.locator('[data-testid=oracle-ETHUSDT]').textContent()) ?? '').includes('forced'),
    );
    await viewer.ctx.close();
    await ctx.close();
  });
});
