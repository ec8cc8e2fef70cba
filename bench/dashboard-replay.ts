/**
 * The risk console under the live crash replay: `plimsoll serve --replay 2025-10-10` (in this
 * process, driven through the API as the CLI does) with a large population, and the console open
 * in headless Chromium on two pages at once — the overview and the at-risk table — signed in with
 * the operator key. When the replay ends it reads the page's own measurements (window.__plimsoll:
 * requestAnimationFrame frame times and, per view, the time from the stream event that asked for
 * a refresh to the redraw after the API answered) and the server's risk-snapshot compute time.
 *
 *   npm run build                                  # the console is served from dist/dashboard
 *   npx tsx bench/dashboard-replay.ts [--accounts 2000] [--minutes 40] [--speed 60] [--json FILE]
 *
 * Everything shares the machine: the replay driver, the service, its keeper and the browser.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { chromium, type Page } from 'playwright-core';
import { runServeReplay } from '../src/cli/serve-replay.ts';
import { DEFAULT_DASHBOARD_DIR } from '../src/server/app.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const accounts = Number(arg('accounts', '2000'));
const minutes = Number(arg('minutes', '40'));
const speed = Number(arg('speed', '60'));
const jsonOut = arg('json', '');
const CHROMIUM = process.env.PLIMSOLL_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(`${DEFAULT_DASHBOARD_DIR}/index.html`)) throw new Error('run `npm run build` first');

interface Stats {
  frames: number[];
  updates: { view: string; lagMs: number }[];
  refreshes: Record<string, number>;
  eventsReceived: number;
}
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : Number.NaN;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const pages: { name: string; page: Page }[] = [];
const started = Date.now();
const { service, summary } = await runServeReplay({
  day: '2025-10-10',
  speed,
  accounts,
  seed: 42,
  host: '127.0.0.1',
  port: 0,
  minutes,
  report: (r) => {
    if (r.kind === 'start') {
      const keys = JSON.parse(readFileSync(r.keysFile, 'utf8')) as { id: string; secret: string }[];
      const op = keys.find((k) => k.id === 'operator')!;
      void (async () => {
        // one browser context (its own window) per page: a background tab gets no animation frames
        for (const name of ['overview', 'at-risk']) {
          const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
          await ctx.addInitScript(
            `sessionStorage.setItem('plimsoll.dashboard.key', ${JSON.stringify(JSON.stringify({ id: op.id, secret: op.secret }))})`,
          );
          const page = await ctx.newPage();
          await page.goto(`${r.url}/dashboard/#/${name}`);
          pages.push({ name, page });
        }
      })();
      process.stderr.write(`replay started: ${r.traders} traders at ${r.url}\n`);
    } else process.stderr.write(`${r.time} mark ${r.markPrice} liquidations ${r.liquidations}\n`);
  },
});
const results: Record<string, unknown> = {
  accounts,
  minutes,
  speed,
  wallSeconds: r1((Date.now() - started) / 1000),
  liquidations: summary.liquidations,
  journalEvents: summary.seq,
};
for (const { name, page } of pages) {
  const s = (await page.evaluate('window.__plimsoll')) as Stats;
  const lags = s.updates.filter((u) => u.view === name).map((u) => u.lagMs);
  const info = name === 'at-risk' ? await page.locator('[data-testid=at-risk-info]').textContent() : null;
  results[name] = {
    frames: s.frames.length,
    frameMsP50: r1(q(s.frames, 0.5)),
    frameMsP95: r1(q(s.frames, 0.95)),
    frameMsMax: r1(Math.max(...s.frames)),
    framesOver50ms: s.frames.filter((f) => f > 50).length,
    updates: lags.length,
    updateLagMsP50: r1(q(lags, 0.5)),
    updateLagMsP95: r1(q(lags, 0.95)),
    updateLagMsMax: r1(Math.max(...lags)),
    eventsReceived: s.eventsReceived,
    ...(info ? { lastAtRiskLine: info } : {}),
  };
}
console.log(JSON.stringify(results, null, 2));
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(results, null, 2)}\n`);
await browser.close();
await service.close();
