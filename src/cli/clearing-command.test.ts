/**
 * `plimsoll clearing` end to end (a child process, as a user runs it) on examples/clearing/:
 * the plan in JSON and text (figures derived by hand in src/trader/clearing.test.ts), the HTML
 * page, and usage errors (exit 2, a message on stderr, nothing written).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../test/cli/run-cli.ts';
import { parseBand } from './clearing-command.ts';

const FILES = ['binance', 'bybit', 'hyperliquid'].map((v) => `examples/clearing/${v}.json`);
const ROUTES = ['--routes', 'examples/clearing/routes.json'];

describe('plimsoll clearing', () => {
  it('band_flag_takes_percent_or_fraction', () => {
    expect(parseBand('20%')).toBe(200_000n);
    expect(parseBand('0.2')).toBe(200_000n);
    expect(parseBand('12.5%')).toBe(125_000n);
    expect(() => parseBand('100%')).toThrow(/\[0%, 100%\)/);
    expect(() => parseBand('abc')).toThrow(/percentage/);
  });

  it('json_view_holds_the_hand_derived_plan', () => {
    const r = cli(['clearing', ...FILES, ...ROUTES, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.plan).toEqual({
      status: 'ok',
      transfers: [
        { from: 'binance', to: 'hyperliquid', amount: '3903', fee: '1' },
        { from: 'bybit', to: 'hyperliquid', amount: '577', fee: '1.077' },
      ],
      totalFee: '2.077',
    });
    expect(j.closest).toEqual({ venue: 'hyperliquid', market: 'ETH', distance: '-0.047619' });
    expect(j.netting.freedByNetting).toEqual({ initialMargin: '3000', maintenanceMargin: '1800' });
    expect(j.arrival.venues.map((a: { venue: string }) => a.venue)).toEqual([
      'binance',
      'bybit',
      'hyperliquid',
    ]);
  }, 120_000);

  it('text_view_and_html_page', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clearing-'));
    const html = join(dir, 'view.html');
    const r = cli(['clearing', ...FILES, ...ROUTES, '--band', '20%', '--html', html]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('closest to liquidation: hyperliquid ETH, −4.76% from its mark');
    expect(r.stdout).toContain('binance → hyperliquid  3,903.00 USD  (fee 1)');
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<h2>Transfers</h2>');
    expect(page).not.toMatch(/<script|<link|src=|https?:/);
  }, 120_000);

  it('without_routes_no_plan_is_possible_and_says_so', () => {
    const r = cli(['clearing', ...FILES]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('NO PLAN');
    expect(r.stdout).toContain('no route reaches hyperliquid');
  }, 120_000);

  it('unknown_venue_is_a_usage_error_and_writes_nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clearing-'));
    const html = join(dir, 'view.html');
    const r = cli([
      'clearing',
      'examples/clearing/binance.json',
      'examples/liq-price-aave.json',
      '--html',
      html,
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/INVALID_EXPORT/);
    expect(existsSync(html)).toBe(false);
  }, 120_000);
});
