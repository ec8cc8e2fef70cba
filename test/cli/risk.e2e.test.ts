/**
 * `plimsoll risk` end to end: the example scenario's figures agree with values
 * derived by hand (big.js, independent of the engine's arithmetic), and bad
 * input exits with code 2 and a message.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Big from 'big.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, REPO } from './run-cli.ts';

interface PositionReport {
  market: string;
  side: string;
  size: string;
  entryPrice: string;
  markPrice: string;
  notional: string;
  unrealizedPnl: string;
  initialMargin: string;
  maintenanceMargin: string;
  liquidationPrice: string | null;
  bankruptcyPrice: string | null;
  isolatedMargin?: string;
}
interface ScopeReport {
  scope: string;
  collateralValue: string;
  collateralValueInitial: string;
  unrealizedPnl: string;
  equity: string;
  initialMargin: string;
  maintenanceMargin: string;
  freeCollateral: string;
  health: string;
  marginRatio: string | null;
  liquidatable: boolean;
  bankrupt: boolean;
  positions: PositionReport[];
}
interface Report {
  account: string;
  sub: string;
  balances: Record<string, string>;
  cross: ScopeReport;
  isolated: ScopeReport[];
}

const EXAMPLE = 'examples/risk-scenario.json';
const example = JSON.parse(readFileSync(join(REPO, EXAMPLE), 'utf8'));
const eq = (actual: string, expected: Big) =>
  expect(new Big(actual).eq(expected), `${actual} = ${expected}`).toBe(true);

let reports: Report[];

beforeAll(() => {
  const r = cli(['risk', EXAMPLE]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  reports = JSON.parse(r.stdout).accounts;
});

describe('plimsoll risk examples/risk-scenario.json', () => {
  it('reports_every_scenario_account_and_not_the_counterparty', () => {
    expect(reports.map((a) => a.account)).toEqual(['alice', 'bob']);
    expect(JSON.stringify(reports)).not.toContain('__risk_counterparty__');
  });

  it('isolated_long_matches_the_closed_form', () => {
    // bob: ETH-PERP long, fixed model, isolated margin M; no fees touched the balances.
    const acct = example.accounts[1];
    const pos = acct.positions[0];
    const market = example.config.markets.find((m: { id: string }) => m.id === 'ETH-PERP');
    const mmr = new Big(market.margin.maintenance.ratio);
    const imr = new Big(market.margin.initialRatio);
    const size = new Big(pos.size);
    const entry = new Big(pos.entryPrice);
    const margin = new Big(pos.isolatedMargin);
    const mark = new Big(example.prices.marks['ETH-PERP']);
    const leverage = new Big(acct.leverage['ETH-PERP']);

    const bob = reports[1]!;
    eq(bob.balances.USDC!, new Big(acct.deposits.USDC).minus(margin));
    const iso = bob.isolated[0]!;
    expect(iso.scope).toBe('isolated:ETH-PERP');
    const notional = size.times(mark);
    const pnl = size.times(mark.minus(entry));
    const mm = notional.times(mmr);
    const im = notional.times(imr).gt(notional.div(leverage)) ? notional.times(imr) : notional.div(leverage);
    eq(iso.collateralValue, margin);
    eq(iso.unrealizedPnl, pnl);
    eq(iso.equity, margin.plus(pnl));
    eq(iso.maintenanceMargin, mm);
    eq(iso.initialMargin, im);
    eq(iso.freeCollateral, margin.plus(pnl).minus(im));
    eq(iso.health, margin.plus(pnl).minus(mm));
    eq(iso.marginRatio!, mm.div(margin.plus(pnl)));
    expect(iso.liquidatable).toBe(false);

    const p = iso.positions[0]!;
    eq(p.isolatedMargin!, margin);
    eq(p.entryPrice, entry);
    // Liquidation price p = (entry·size − margin) / (size·(1 − mmr)): equity = MM.
    const liq = entry
      .times(size)
      .minus(margin)
      .div(size.times(new Big(1).minus(mmr)));
    const liqDiff = new Big(p.liquidationPrice!).minus(liq);
    // The engine's trigger is the highest 1e-8 price still liquidatable; rounding is
    // conservative (equity down, MM up), so it sits at or just above the exact root.
    expect(liqDiff.gte('-0.00000001'), `liq ${p.liquidationPrice} vs ${liq}`).toBe(true);
    expect(liqDiff.lt('0.000001'), `liq ${p.liquidationPrice} vs ${liq}`).toBe(true);
    // Bankruptcy price (entry·size − margin) / size: equity = 0.
    const bkr = entry.times(size).minus(margin).div(size);
    const bkrDiff = new Big(p.bankruptcyPrice!).minus(bkr);
    expect(bkrDiff.abs().lte('0.00000001'), `bkr ${p.bankruptcyPrice} vs ${bkr}`).toBe(true);
  });

  it('cross_account_with_btc_collateral_and_two_positions', () => {
    const acct = example.accounts[0];
    const cfg = example.config;
    const btc = cfg.assets.find((a: { id: string }) => a.id === 'BTC');
    const btcPx = new Big(example.prices.assets.BTC);
    const btcBal = new Big(acct.deposits.BTC);
    const usdc = new Big(acct.deposits.USDC);
    const collM = usdc.plus(btcBal.times(btcPx).times(btc.maintenanceWeight));
    const collI = usdc.plus(btcBal.times(btcPx).times(btc.initialWeight));

    // BTC-PERP: brackets; notional 1.5 × 58,000 = 87,000 lies in the 50k–250k bracket.
    const [btcPos, ethPos] = acct.positions;
    const bMark = new Big(example.prices.marks['BTC-PERP']);
    const bSize = new Big(btcPos.size);
    const bNotional = bSize.times(bMark);
    const bracket = cfg.markets[0].margin.brackets[1];
    expect(bNotional.gte('50000') && bNotional.lt(bracket.notionalCap)).toBe(true);
    const bMm = bNotional.times(bracket.maintenanceRatio).minus(bracket.maintenanceAmount);
    const bImModel = bNotional.times(bracket.initialRatio);
    const bImLev = bNotional.div(acct.leverage['BTC-PERP']);
    const bIm = bImModel.gt(bImLev) ? bImModel : bImLev;
    const bPnl = bSize.times(bMark.minus(btcPos.entryPrice));
    // ETH-PERP: fixed 5% / 2.5%, short.
    const eMark = new Big(example.prices.marks['ETH-PERP']);
    const eSize = new Big(ethPos.size); // negative
    const eNotional = eSize.abs().times(eMark);
    const eMm = eNotional.times(cfg.markets[1].margin.maintenance.ratio);
    const eIm = eNotional.times(cfg.markets[1].margin.initialRatio);
    const ePnl = eSize.times(eMark.minus(ethPos.entryPrice));

    const cross = reports[0]!.cross;
    eq(cross.collateralValue, collM);
    eq(cross.collateralValueInitial, collI);
    eq(cross.unrealizedPnl, bPnl.plus(ePnl));
    eq(cross.equity, collM.plus(bPnl).plus(ePnl));
    eq(cross.maintenanceMargin, bMm.plus(eMm));
    eq(cross.initialMargin, bIm.plus(eIm));
    eq(cross.freeCollateral, collI.plus(bPnl).plus(ePnl).minus(bIm).minus(eIm));
    eq(cross.health, collM.plus(bPnl).plus(ePnl).minus(bMm).minus(eMm));
    const [pb, pe] = cross.positions;
    eq(pb!.maintenanceMargin, bMm);
    eq(pe!.maintenanceMargin, eMm);
    expect(pe!.side).toBe('short');

    // BTC-PERP liquidation price, everything else fixed (ETH mark, BTC collateral price):
    // below 50k notional the first bracket applies (mmr 0.4%, amount 0), so
    // collM + size·(p − entry) + ethPnl = size·p·mmr0 + ethMm.
    const mmr0 = new Big(cfg.markets[0].margin.brackets[0].maintenanceRatio);
    const liq = bSize
      .times(btcPos.entryPrice)
      .minus(collM)
      .minus(ePnl)
      .plus(eMm)
      .div(bSize.times(new Big(1).minus(mmr0)));
    expect(bSize.times(liq).lt('50000')).toBe(true);
    const diff = new Big(pb!.liquidationPrice!).minus(liq);
    expect(diff.gte('-0.00000001') && diff.lt('0.000001'), `liq ${pb!.liquidationPrice} vs ${liq}`).toBe(
      true,
    );
  });

  it('account_filter', () => {
    const r = cli(['risk', EXAMPLE, '--account', 'bob']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).accounts.map((a: Report) => a.account)).toEqual(['bob']);
  });

  it('bin_launcher_gives_the_same_output', () => {
    const r = cli(['risk', EXAMPLE], { viaBin: true });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).accounts).toEqual(reports);
  });
});

describe('plimsoll risk: bad input exits 2 with a message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plimsoll-risk-'));
  const write = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const variant = (name: string, edit: (s: typeof example) => void) => {
    const s = structuredClone(example);
    edit(s);
    return write(name, JSON.stringify(s));
  };
  const cases: [string, () => string[], RegExp][] = [
    ['bad_json', () => ['risk', write('bad.json', '{ "config": ')], /not valid JSON/],
    ['missing_file', () => ['risk', join(dir, 'nope.json')], /cannot read/],
    [
      'unknown_market',
      () => ['risk', variant('m.json', (s) => (s.accounts[0].positions[0].market = 'DOGE-PERP'))],
      /unknown market "DOGE-PERP"/,
    ],
    [
      'nan_size',
      () => ['risk', variant('n.json', (s) => (s.accounts[0].positions[0].size = 'NaN'))],
      /"NaN"/,
    ],
    [
      'number_instead_of_string',
      () => ['risk', variant('f.json', (s) => (s.accounts[0].positions[0].entryPrice = 60000.5))],
      /decimal string/,
    ],
    [
      'schema_error_in_config',
      () => ['risk', variant('c.json', (s) => (s.config.settlementAsset = 'EUR'))],
      /settlement asset EUR/,
    ],
    [
      'missing_mark',
      () => ['risk', variant('k.json', (s) => delete s.prices.marks['ETH-PERP'])],
      /no mark price for ETH-PERP/,
    ],
    [
      'isolated_margin_beyond_deposit',
      () => ['risk', variant('i.json', (s) => (s.accounts[1].positions[0].isolatedMargin = '6000'))],
      /INSUFFICIENT_BALANCE/,
    ],
    ['unknown_account_filter', () => ['risk', EXAMPLE, '--account', 'carol'], /no such account/],
    ['missing_argument', () => ['risk'], /missing required argument/],
  ];
  for (const [name, args, message] of cases) {
    it(name, () => {
      const r = cli(args());
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    });
  }
});
