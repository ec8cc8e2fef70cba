/**
 * The risk console against a cluster: a two-partition cluster on the local NATS and PostgreSQL,
 * its gateway on a free port serving the console (built by vite) and the merged event stream,
 * loaded in headless Chromium. The overview shows the open interest summed over both partitions,
 * the liquidation map and its cascade draw from the gathered views, and the page makes no error
 * and no request elsewhere.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, stopTestCluster, type TestCluster } from '../../src/cluster/cluster.testkit.ts';
import { listenGateway, type RunningGateway } from '../../src/cluster/gateway.ts';
import { partitionOf } from '../../src/cluster/partition.ts';
import { getPreset } from '../../src/core/presets/index.ts';
import { BROWSER_MISSING, CHROMIUM, CHROMIUM_FLAGS } from '../support/chromium.ts';
import { freshClusterName, natsAvailable } from '../support/nats.ts';
import { PG_URL, postgresAvailable } from '../support/postgres.ts';

const READY =
  !BROWSER_MISSING &&
  (await postgresAvailable('the console against a cluster')) &&
  (await natsAvailable('the console against a cluster'));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const N = 2;

let dir: string;
let cluster: TestCluster | undefined;
let gateway: RunningGateway | undefined;
let browser: Browser | undefined;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${gateway!.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** `asOperator`: a key in the console (the gateway has no keys: it answers every read). */
async function open(hash: string, asOperator = false): Promise<{ page: Page; errors: string[] }> {
  browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  if (asOperator)
    await ctx.addInitScript(
      `sessionStorage.setItem('plimsoll.dashboard.key', ${JSON.stringify(JSON.stringify({ id: 'op', secret: 's'.repeat(40) }))})`,
    );
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    if (new URL(r.url()).host !== new URL(gateway!.url).host) errors.push(`external request ${r.url()}`);
  });
  await page.goto(`${gateway!.url}/dashboard/${hash}`);
  await page.locator('[data-testid=stream-state]').filter({ hasText: 'open' }).waitFor({ timeout: 20_000 });
  return { page, errors };
}

describe.runIf(READY)('the risk console served by the cluster gateway', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plimsoll-cluster-console-'));
    const web = join(dir, 'web');
    await build({
      configFile: join(ROOT, 'src/dashboard/vite.config.ts'),
      root: join(ROOT, 'src/dashboard'),
      logLevel: 'error',
      build: { outDir: web, emptyOutDir: true },
    });
    cluster = await startTestCluster({
      name: freshClusterName(),
      partitions: N,
      config: getPreset('binance-usdm')!.config(),
      settlement: { id: 'USDT', decimals: 8 },
    });
    gateway = await listenGateway(
      cluster.client,
      { host: '127.0.0.1', port: 0 },
      { events: { pgUrl: PG_URL, pollMs: 50 }, dashboardDir: web },
    );
    await call('POST', '/v1/prices', { marks: { BTCUSDT: '60000', ETHUSDT: '3000' } });
    // in each partition a long and a short of different leverage: 0.3 BTC and 0.2 BTC of open interest
    for (const [p, size] of [
      [0, '0.3'],
      [1, '0.2'],
    ] as const) {
      const ids: string[] = [];
      for (let i = 0; ids.length < 2; i++) if (partitionOf(`c${i}`, N) === p) ids.push(`c${i}`);
      await call('POST', '/v1/deposits', { account: ids[0], asset: 'USDT', amount: '3000' });
      await call('POST', '/v1/deposits', { account: ids[1], asset: 'USDT', amount: '1500' });
      await call('POST', '/v1/fills', {
        symbol: 'BTCUSDT',
        buyer: { account: ids[0] },
        seller: { account: ids[1] },
        amount: size,
        price: '60000',
      });
    }
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    if (cluster) await stopTestCluster(cluster);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the overview with the open interest of both partitions', async () => {
    const { page, errors } = await open('#/overview');
    await page.locator('[data-testid=insurance-fund]').waitFor();
    const markets = page.locator('[data-testid=markets]');
    await markets.filter({ hasText: 'BTCUSDT' }).waitFor();
    expect(((await call('GET', '/v1/markets/BTCUSDT')) as { openInterest: string }).openInterest).toBe('0.5');
    expect(await markets.textContent()).toMatch(/\b0\.50*\b/);
    expect(errors).toEqual([]);
  });

  it('draws the liquidation map and its cascade from the gathered views', async () => {
    const { page, errors } = await open('#/map', true);
    expect(await page.locator('nav a').allTextContents()).toContain('Liquidation map');
    await page.locator('[data-testid=map-ladder] tbody tr').first().waitFor({ timeout: 20_000 });
    await page.locator('[data-testid=cascade-summary]').waitFor();
    expect(errors).toEqual([]);
  });
});
