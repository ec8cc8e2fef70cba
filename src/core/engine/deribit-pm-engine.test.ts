/**
 * Deribit's portfolio margin in the engine (`portfolio.model: 'deribit-pm'`): a portfolio
 * subaccount of a coin-settled engine gets its requirement in the coin.
 *
 * Golden numbers: Deribit's own published simulations (test/vectors/deribit_pm_published.json):
 * the docs.deribit.com private/pme/simulate example (BTC-PERPETUAL 0.314538364 BTC, BTC-28JUN24
 * −0.001187534 BTC: RMM 0.06284313098, MM 0.050274504784 BTC) and the live ETH response
 * (ETH-PERPETUAL −0.999487053 ETH: RMM 0.157461562265, MM 0.125969249812 ETH), held as inverse
 * positions of Deribit's contract values (10 USD BTC, 1 USD ETH). The engine adds neither MMP nor
 * open-orders margin (it reserves orders itself), so its IM is Deribit's RMM; both are rounded up
 * to the settlement unit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertConserved } from '../../../test/support/conservation.ts';
import { crossView, evaluate } from '../account/figures.ts';
import { portfolioRequirementQuote } from '../account/portfolio-scope.ts';
import type { MarketConfigInput } from '../model/config.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import { deribitPortfolioMargin } from '../portfolio/deribit-pm.ts';
import { yearFraction } from '../pricing/black76.ts';
import { impliedVolBlack76 } from '../pricing/implied-vol.ts';
import { ConfigError, Engine } from './engine.ts';

const vectors = JSON.parse(
  readFileSync(new URL('../../../test/vectors/deribit_pm_published.json', import.meta.url), 'utf8'),
).cases as {
  name: string;
  model_params: unknown;
  input: { nowMs: number; positions: Record<string, number>; ticker: Record<string, { mark_price: number }> };
  expected: { risk_matrix_margin: number; maintenance_margin: number };
}[];
const btcCase = vectors.find((c) => c.name === 'btc_docs_example')!;
const ethCase = vectors.find((c) => c.name === 'eth_live_short_perpetual')!;

const inverse = (id: string, base: string, cv: string, expiryMs?: number): MarketConfigInput => ({
  id,
  kind: expiryMs === undefined ? 'perpetual' : 'future',
  base,
  contractType: 'inverse',
  contractValue: cv,
  ...(expiryMs === undefined ? {} : { expiryMs }),
  margin: { kind: 'fixed', initialRatio: '0.02', maintenance: { ratio: '0.01' } },
});
const ref = (account: string) => ({ account, sub: '0' });
/** Contracts of cv USD worth `coins` at `mark` (Deribit states PM positions in the coin). */
const contracts = (coins: number, mark: number, cv: number) => ((coins * mark) / cv).toFixed(9);

function book(
  settlement: string,
  decimals: number,
  markets: MarketConfigInput[],
  marks: Record<string, string>,
  positions: [string, string][],
  nowMs: number,
  extra: Partial<EngineConfigInput> = {},
): Engine {
  const e = Engine.create({
    settlementAsset: settlement,
    assets: [{ id: settlement, decimals }],
    markets,
    liquidation: { dustNotional: '0.0001' },
    portfolio: { model: 'deribit-pm' },
    ...extra,
  });
  e.executeOrThrow({ type: 'prices', timeMs: nowMs, marks });
  for (const who of ['a', 'b'])
    e.executeOrThrow({ type: 'deposit', to: ref(who), asset: settlement, amount: '100', timeMs: nowMs });
  e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref('a'), enabled: true, timeMs: nowMs });
  openPositions(e, positions, marks, nowMs);
  return e;
}

/** `a` takes each signed position from `b` at its mark ('-' = short). */
function openPositions(
  e: Engine,
  positions: readonly (readonly [string, string])[],
  prices: Readonly<Record<string, string>>,
  timeMs: number,
): void {
  for (const [market, size] of positions) {
    const long = !size.startsWith('-');
    e.executeOrThrow({
      type: 'fill',
      market,
      buyer: ref(long ? 'a' : 'b'),
      seller: ref(long ? 'b' : 'a'),
      size: long ? size : size.slice(1),
      price: prices[market]!,
      timeMs,
    });
  }
}
const figures = (e: Engine, who: string) =>
  evaluate(e.state, crossView(e.state.subaccounts.get(`${who}/0`)!));
const up = (x: number, decimals: number) => BigInt(Math.ceil(x * 10 ** decimals - 1e-6));

describe("Deribit PM in the engine: Deribit's published numbers, in coin", () => {
  it('the docs.deribit.com simulate example: BTC book, IM = RMM 0.06284313098, MM 0.050274504784 BTC', () => {
    const t = btcCase.input;
    const perpMark = t.ticker['BTC-PERPETUAL']!.mark_price;
    const futMark = t.ticker['BTC-28JUN24']!.mark_price;
    const e = book(
      'BTC',
      8,
      [inverse('BTC-PERPETUAL', 'BTC', '10'), inverse('BTC-28JUN24', 'BTC', '10', Date.UTC(2024, 5, 28, 8))],
      { 'BTC-PERPETUAL': String(perpMark), 'BTC-28JUN24': String(futMark) },
      [
        ['BTC-PERPETUAL', contracts(t.positions['BTC-PERPETUAL']!, perpMark, 10)],
        ['BTC-28JUN24', contracts(t.positions['BTC-28JUN24']!, futMark, 10)],
      ],
      t.nowMs,
    );
    const f = figures(e, 'a');
    // Deribit states RMM 0.06284313098 and MM 0.050274504784: rounded up to satoshis
    expect(f.initialMarginQuote).toBe(up(0.062843131, 8)); // 6,284,314 sat
    expect(f.initialMarginQuote).toBe(6_284_314n);
    expect(f.maintenanceMarginQuote).toBe(5_027_451n);
    expect(up(btcCase.expected.maintenance_margin, 8)).toBe(5_027_451n);
    // the breakdown: worst case at −16 % and the roll shock's floor on both legs
    const d = portfolioRequirementQuote(e.state, [...e.state.subaccounts.get('a/0')!.positions.values()]);
    expect(d.deribit!.currency).toBe('btc');
    expect(d.deribit!.rollShock).toBeCloseTo(0.00315725898, 11);
    expect(d.deribit!.worstCase).toBeCloseTo(0.05968587238, 10);
    expect(d.deribit!.worstCaseBucket).toMatchObject({ bucket: 1, side: 'left' });
    assertConserved(e.state);
  });

  it('the live ETH response with its own model_params: IM 0.157461562, MM 0.125969249812 ETH', () => {
    const t = ethCase.input;
    const mark = t.ticker['ETH-PERPETUAL']!.mark_price;
    const e = book(
      'ETH',
      9,
      [inverse('ETH-PERPETUAL', 'ETH', '1')],
      { 'ETH-PERPETUAL': String(mark) },
      [['ETH-PERPETUAL', contracts(t.positions['ETH-PERPETUAL']!, mark, 1)]],
      t.nowMs,
      { portfolio: { model: 'deribit-pm', deribitParams: ethCase.model_params as never } },
    );
    const f = figures(e, 'a');
    // Deribit states initial_margin 0.157461562 ETH (no MMP, no open orders): to the 1e-9 ETH unit
    expect(f.initialMarginQuote).toBe(157_461_562n);
    expect(f.maintenanceMarginQuote).toBe(up(ethCase.expected.maintenance_margin, 9)); // 0.125969250
  });
});

describe('Deribit PM in the engine: the hand-worked example of docs/portfolio-margin.md', () => {
  it('1 BTC of inverse perpetual long: worst 1 − 1/0.84, roll 0.01, IM 0.20047619 BTC, MM 0.16038096 BTC', () => {
    // 5,000 contracts × 10 USD at 50,000 = 1 BTC of Deribit size.
    // worst case at −16 %: 1 − 1/0.84 = 0.190476190…; roll shock 1 × max(0.075 × 0, 0.01) = 0.01;
    // delta shock 0 (1 BTC × 50,000 USD is below the 20,000,000 USD threshold).
    // RMM = round₉(0.190476190…) + 0.01 = 0.200476190 → IM 0.20047619 BTC (a whole satoshi count);
    // MM = 0.8 × 0.200476190 = 0.160380952 → 0.16038096 BTC (up to the satoshi).
    const e = book(
      'BTC',
      8,
      [inverse('BTC-PERPETUAL', 'BTC', '10')],
      { 'BTC-PERPETUAL': '50000' },
      [['BTC-PERPETUAL', '5000']],
      Date.UTC(2026, 0, 5),
    );
    const f = figures(e, 'a');
    expect(f.initialMarginQuote).toBe(20_047_619n);
    expect(f.maintenanceMarginQuote).toBe(16_038_096n);
  });
});

describe('Deribit PM in the engine: cross-currency collateral at the index', () => {
  it('USDC collateral counts at its BTC price against the BTC requirement (index 50,000)', () => {
    const e = Engine.create({
      settlementAsset: 'BTC',
      assets: [
        { id: 'BTC', decimals: 8 },
        { id: 'USDC', decimals: 6 },
      ],
      markets: [inverse('BTC-PERPETUAL', 'BTC', '10')],
      liquidation: { dustNotional: '0.0001' },
      portfolio: { model: 'deribit-pm' },
    });
    const now = Date.UTC(2026, 0, 5);
    // 1 USDC = 1/50,000 BTC: the index converts USD collateral into the book's coin
    e.executeOrThrow({
      type: 'prices',
      timeMs: now,
      marks: { 'BTC-PERPETUAL': '50000' },
      assets: { USDC: '0.00002' },
    });
    e.executeOrThrow({ type: 'deposit', to: ref('b'), asset: 'BTC', amount: '100', timeMs: now });
    e.executeOrThrow({ type: 'deposit', to: ref('a'), asset: 'USDC', amount: '10000', timeMs: now });
    e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref('a'), enabled: true, timeMs: now });
    const fill = (size: string) =>
      e.execute({
        type: 'fill',
        market: 'BTC-PERPETUAL',
        buyer: ref('a'),
        seller: ref('b'),
        size,
        price: '50000',
        timeMs: now,
      });
    // 10,000 USDC = 0.2 BTC of collateral; 1 BTC of perpetual needs IM 0.20047619 BTC (the example
    // above): refused; 0.99 BTC (4,950 contracts) needs round₉(0.99 × 0.190476190…) + 0.99 × 0.01
    // = 0.188571429 + 0.0099 = 0.198471429 → 0.19847143 BTC: accepted.
    const before = e.stateHash();
    expect(fill('5000')).toMatchObject({ ok: false, rejection: { code: 'INSUFFICIENT_MARGIN' } });
    expect(e.stateHash()).toBe(before);
    expect(fill('4950').ok).toBe(true);
    const f = figures(e, 'a');
    expect(f.equityQuote).toBe(20_000_000n);
    expect(f.initialMarginQuote).toBe(19_847_143n);
    assertConserved(e.state);
  });
});

describe('Deribit PM in the engine: coin-settled options', () => {
  const EXPIRY = Date.UTC(2026, 11, 25, 8);
  const NOW = Date.UTC(2026, 10, 25, 8);
  const opt = (id: string, right: 'call' | 'put', strike: string): MarketConfigInput => ({
    id,
    kind: 'option',
    base: 'BTC',
    expiryMs: EXPIRY,
    option: { underlying: 'BTC-PERPETUAL', right, strike, settlement: 'inverse' },
    margin: { kind: 'standardOption' },
  });
  const markets = [
    inverse('BTC-PERPETUAL', 'BTC', '10'),
    opt('C110', 'call', '110000'),
    opt('P90', 'put', '90000'),
  ];
  const marks = { 'BTC-PERPETUAL': '100000' };
  // 30-day marks at about 60 % vol, in BTC
  const optionMarks = { C110: '0.0275', P90: '0.0185' };

  function venue(positions: [string, string][]): Engine {
    const e = Engine.create({
      settlementAsset: 'BTC',
      assets: [{ id: 'BTC', decimals: 8 }],
      markets,
      liquidation: { dustNotional: '0.0001' },
      portfolio: { model: 'deribit-pm' },
    });
    e.executeOrThrow({ type: 'prices', timeMs: NOW, marks });
    e.executeOrThrow({ type: 'prices', timeMs: NOW, marks: optionMarks });
    for (const who of ['a', 'b'])
      e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'BTC', amount: '10', timeMs: NOW });
    e.executeOrThrow({ type: 'set_portfolio_margin', subaccount: ref('a'), enabled: true, timeMs: NOW });
    openPositions(e, positions, { ...marks, ...optionMarks }, NOW);
    return e;
  }

  it('a short strangle hedged with the perpetual: the same book as Deribit names it, in BTC', () => {
    // 1 BTC of each option short, 0.05 BTC of perpetual long (500 contracts × 10 USD at 100,000)
    const e = venue([
      ['C110', '-1'],
      ['P90', '-1'],
      ['BTC-PERPETUAL', '500'],
    ]);
    const f = figures(e, 'a');
    // The same positions through Deribit's model by instrument name (sizes in BTC, the forward and
    // the vols the coin marks imply, solved here on the quote price mark × S): the mapping adds
    // nothing and loses nothing.
    const iv = (kind: 'call' | 'put', strike: number, coinMark: number) => {
      const r = impliedVolBlack76({
        kind,
        price: coinMark * 100_000,
        forward: 100_000,
        strike,
        timeYears: yearFraction(NOW, EXPIRY),
      });
      if (!r.ok) throw new Error('no implied vol');
      return r.vol;
    };
    const d = portfolioRequirementQuote(e.state, [...e.state.subaccounts.get('a/0')!.positions.values()])
      .deribit!;
    const ivC = d.initialRiskVectors.C110!;
    expect(ivC.standard).toHaveLength(27);
    const lib = deribitPortfolioMargin(
      { ...(btcCase.model_params as object) },
      {
        nowMs: NOW,
        index: { btc_usd: 100000 },
        positions: { 'BTC-PERPETUAL': 0.05, 'BTC-25DEC26-110000-C': -1, 'BTC-25DEC26-90000-P': -1 },
        ticker: {
          'BTC-PERPETUAL': { mark_price: 100000 },
          'BTC-25DEC26-110000-C': { underlying_price: 100000, mark_iv: iv('call', 110_000, 0.0275) },
          'BTC-25DEC26-90000-P': { underlying_price: 100000, mark_iv: iv('put', 90_000, 0.0185) },
        },
      },
    ).books[0]!;
    expect(f.initialMarginQuote).toBe(up(Math.round(lib.riskMatrixMargin * 1e9) / 1e9, 8));
    expect(f.maintenanceMarginQuote).toBe(up(lib.maintenanceMargin, 8));
    expect(d.currency).toBe('btc');
  });

  it('refuses books deribit-pm cannot margin, and coin books under the quote models, with typed errors', () => {
    const cfg =
      (portfolio: EngineConfigInput['portfolio'], ms = markets) =>
      () =>
        Engine.create({
          settlementAsset: 'BTC',
          assets: [{ id: 'BTC', decimals: 8 }],
          markets: ms,
          liquidation: { dustNotional: '0.0001' },
          portfolio,
        });
    expect(cfg({ model: 'crypto-pm' })).toThrow(ConfigError);
    expect(cfg({ model: 'crypto-pm' })).toThrow(/deribit-pm/);
    expect(cfg({ model: 'deribit-pm' }, [inverse('SOL-PERPETUAL', 'SOL', '10')])).toThrow(/sol_usd/);
    const e = venue([]);
    const before = e.stateHash();
    expect(e.execute({ type: 'set_policy', portfolio: { model: 'span-16' }, timeMs: NOW })).toMatchObject({
      ok: false,
      rejection: { code: 'INVALID_CONFIG' },
    });
    expect(e.stateHash()).toBe(before);
  });
});
