/**
 * Inverse (coin-margined) positions through the CLI, as a user runs it:
 *  - `liq-price` on the binance-coinm and bitmex-inverse presets, text and --json: Binance's
 *    calculator example (33,599.40) and the MCS/BitMEX-style isolated example (9,132.42), amounts
 *    in BTC, and an already-liquidatable position said in words;
 *  - `risk examples/risk-inverse-hedge.json`, JSON and --text: the hedged account (10 BTC against a
 *    short of 10 BTC) has no liquidation price, the 10x long's is 404,000/11 (hand-derived:
 *    1 + 400,000·(1/40,000 − 1/P) = 0.01·400,000/P);
 *  - a zero contract value in a scenario is a usage error (exit 2) naming the field.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, REPO } from './run-cli.ts';

const EXAMPLE = join(REPO, 'examples', 'risk-inverse-hedge.json');

describe('plimsoll liq-price with inverse positions', () => {
  it('binance-coinm, text: the calculator example, amounts in BTC', () => {
    const r = cli([
      'liq-price',
      '--preset',
      'binance-coinm',
      '--wallet',
      '101',
      '--position',
      'BTCUSD_PERP:long:100000@45000',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('100000 contracts × 100 USD');
    expect(r.stdout).toMatch(/liquidation price\s+33,599\.4[0-2]/);
    expect(r.stdout).toContain('wallet balance     101.00000000 BTC');
    expect(r.stdout).not.toContain('ALREADY LIQUIDATABLE');
  });

  it('binance-coinm, --json: exact strings, the inverse unit and the venue formula', () => {
    const r = cli([
      'liq-price',
      '--preset',
      'binance-coinm',
      '--wallet',
      '101',
      '--position',
      'BTCUSD_PERP:long:100000@45000',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.inverse).toEqual({ settlementAsset: 'BTC', contractValue: '100' });
    expect(Math.abs(Number(j.liquidationPrice) - 33599.4)).toBeLessThan(0.02);
    expect(j.venueFormula.bracket).toBe(6);
    // 10,000,000 USD / 45,000 = 222.2222… BTC, rounded up (a requirement's basis never understates)
    expect(j.breakdown.positions[0].notional).toBe('222.22222223');
  });

  it('bitmex-inverse isolated 10× long at 10,000: 9,132.42', () => {
    const r = cli([
      'liq-price',
      '--preset',
      'bitmex-inverse',
      '--position',
      'XBTUSD:long:10000@10000:isolated:lev=10',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Math.abs(Number(j.liquidationPrice) - 9132.42)).toBeLessThan(0.01);
    expect(j.breakdown.walletBalance).toBe('0.1'); // IM = 1 BTC / 10
  });

  it('an already-liquidatable inverse position is flagged in words', () => {
    const r = cli([
      'liq-price',
      '--preset',
      'binance-coinm',
      '--wallet',
      '101',
      '--position',
      'BTCUSD_PERP:long:100000@45000',
      '--mark',
      'BTCUSD_PERP=33000',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('ALREADY LIQUIDATABLE');
  });
});

describe('plimsoll risk with inverse positions', () => {
  it('JSON: the hedge has no liquidation price; the 10x long liquidates at 404,000/11', () => {
    const r = cli(['risk', EXAMPLE]);
    expect(r.status, r.stderr).toBe(0);
    const { accounts } = JSON.parse(r.stdout);
    const hedged = accounts.find((a: { account: string }) => a.account === 'hedged').cross;
    const long = accounts.find((a: { account: string }) => a.account === 'long').cross;
    expect(hedged.positions[0].liquidationPrice).toBeNull();
    expect(hedged.positions[0].bankruptcyPrice).toBeNull();
    expect(hedged.positions[0].notional).toBe('10');
    // 404,000 / 11 = 36,727.2727…; the engine's price is on the conservative side by < 1e-4
    const lp = Number(long.positions[0].liquidationPrice);
    expect(lp).toBeGreaterThanOrEqual(404_000 / 11);
    expect(lp - 404_000 / 11).toBeLessThan(1e-4);
    expect(Number(long.positions[0].bankruptcyPrice)).toBeCloseTo(400_000 / 11, 4);
  });

  it('--text: amounts in BTC, "none" for the hedge', () => {
    const r = cli(['risk', EXAMPLE, '--text']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('hedged/0');
    expect(r.stdout).toMatch(/BTCUSD short 4000 .* liquidation none · bankruptcy none/);
    expect(r.stdout).toMatch(/BTCUSD long 4000 .* liquidation 36,727\.27/);
    expect(r.stdout).toContain('equity 10.00000000 BTC');
  });

  it('--text says "ALREADY LIQUIDATABLE" for a scope under its maintenance margin', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-inverse-'));
    const s = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    s.prices.marks.BTCUSD = '36000';
    const file = join(dir, 'down.json');
    writeFileSync(file, JSON.stringify(s));
    const r = cli(['risk', file, '--text']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/long\/0[\s\S]*(ALREADY LIQUIDATABLE|BANKRUPT)/);
  });

  it('a zero contract value is a usage error naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plimsoll-inverse-'));
    const s = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    s.config.markets[0].contractValue = '0';
    const file = join(dir, 'zero.json');
    writeFileSync(file, JSON.stringify(s));
    const r = cli(['risk', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('contractValue');
  });
});
