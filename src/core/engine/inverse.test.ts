/**
 * Inverse (coin-margined) markets in the engine, on hand-checked numbers:
 *  - the average entry is harmonic (total contracts × cv / Σ contracts × cv / price), PnL is
 *    n·cv·(1/entry − 1/mark) in the coin, and a close realizes exactly that;
 *  - funding is rate × the position's coin notional (contracts × cv / mark), and expiry settles
 *    in coin;
 *  - malformed inverse configurations (zero or negative contract value, none at all, one on a
 *    linear market, a base that is not the settlement coin, an inverse option, the linear-only
 *    dydx penalty, changing a market's contract type or value) are typed errors that change nothing.
 */
import { describe, expect, it } from 'vitest';
import { crossView, evaluate } from '../account/figures.ts';
import { subaccountReport } from '../account/report.ts';
import type { MarketConfigInput } from '../model/config.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import { formatDecimal } from '../num/index.ts';
import { ConfigError, Engine } from './engine.ts';

const PERP: MarketConfigInput = {
  id: 'BTCUSD',
  kind: 'perpetual',
  base: 'BTC',
  contractType: 'inverse',
  contractValue: '100',
  stepSize: '1',
  tickSize: '0.5',
  margin: { kind: 'fixed', initialRatio: '0.02', maintenance: { ratio: '0.01' } },
};

function config(
  markets: MarketConfigInput[] = [PERP],
  extra: Partial<EngineConfigInput> = {},
): EngineConfigInput {
  return { settlementAsset: 'BTC', assets: [{ id: 'BTC', decimals: 8 }], markets, ...extra };
}

function venue(markets?: MarketConfigInput[]) {
  const e = Engine.create(config(markets));
  let t = 1;
  const run = (c: Record<string, unknown>) => e.executeOrThrow({ timeMs: t++, ...c } as never);
  run({ type: 'prices', marks: { BTCUSD: '40000' } });
  for (const who of ['a', 'b']) run({ type: 'deposit', to: { account: who }, asset: 'BTC', amount: '10' });
  const fill = (buyer: string, seller: string, size: string, price: string, market = 'BTCUSD') =>
    run({ type: 'fill', market, buyer: { account: buyer }, seller: { account: seller }, size, price });
  return { e, run, fill };
}

const btc = (units: bigint) => formatDecimal(units, 8);
const cross = (e: Engine, who: string) => evaluate(e.state, crossView(e.state.subaccounts.get(`${who}/0`)!));

describe('inverse positions', () => {
  it('average entry is harmonic; PnL n·cv·(1/entry − 1/mark) in BTC; a close realizes it', () => {
    const { e, run, fill } = venue();
    fill('a', 'b', '1000', '40000'); // 100,000 USD at 40,000 = 2.5 BTC
    run({ type: 'prices', marks: { BTCUSD: '50000' } });
    fill('a', 'b', '1000', '50000'); // 100,000 USD at 50,000 = 2 BTC
    const p = e.state.subaccounts.get('a/0')!.positions.get('BTCUSD')!;
    expect(p.size).toBe(2000n * 10n ** 9n);
    expect(p.entryValue).toBe(-450_000_000n); // −4.5 BTC: a long's entry value is negative
    // harmonic: 200,000 / (2.5 + 2) = 44,444.44…, not the arithmetic 45,000
    const report = subaccountReport(e.state, e.state.subaccounts.get('a/0')!);
    expect(report.cross.positions[0]!.entryPrice).toBe('44444.44444444');
    // at 50,000 the long gains 200,000·(1/44,444.44 − 1/50,000) = 4.5 − 4 = 0.5 BTC; the short loses it
    expect(btc(cross(e, 'a').unrealizedPnlQuote)).toBe('0.5');
    expect(btc(cross(e, 'b').unrealizedPnlQuote)).toBe('-0.5');
    // closing 1,000 at 50,000 realizes half: 0.25 BTC (fees 0)
    fill('b', 'a', '1000', '50000');
    expect(btc(e.state.subaccounts.get('a/0')!.balances.get('BTC')!)).toBe('10.25');
    expect(btc(e.state.subaccounts.get('b/0')!.balances.get('BTC')!)).toBe('9.75');
    expect(btc(cross(e, 'a').unrealizedPnlQuote)).toBe('0.25');
  });

  it('requirements are on the coin notional: 2,000 contracts × 100 USD at 40,000 = 5 BTC, IM 2%, MM 1%', () => {
    const { e, fill } = venue();
    fill('a', 'b', '2000', '40000');
    const f = cross(e, 'a');
    expect(btc(f.positions[0]!.notionalQuote)).toBe('5');
    expect(btc(f.initialMarginQuote)).toBe('0.1');
    expect(btc(f.maintenanceMarginQuote)).toBe('0.05');
  });

  it('funding: the long pays rate × contracts × cv / mark in BTC, the short receives it', () => {
    const { e, run, fill } = venue();
    fill('a', 'b', '2000', '40000');
    // premium 0.0002 with interest 0.0001 and clamp 0.0005: rate = 0.0002 + clamp(−0.0001) = 0.0001
    run({ type: 'funding_tick', market: 'BTCUSD', premiumIndex: '0.0002' });
    // 0.0001 × 200,000 / 40,000 = 0.0005 BTC
    expect(btc(e.state.subaccounts.get('a/0')!.balances.get('BTC')!)).toBe('9.9995');
    expect(btc(e.state.subaccounts.get('b/0')!.balances.get('BTC')!)).toBe('10.0005');
  });

  it('expiry settles a dated inverse future in BTC at the settlement price', () => {
    const fut: MarketConfigInput = { ...PERP, id: 'BTCUSD-FUT', kind: 'future', expiryMs: 1_000 };
    const { e, run, fill } = venue([PERP, fut]);
    run({ type: 'prices', marks: { 'BTCUSD-FUT': '40000' } });
    fill('a', 'b', '1000', '40000', 'BTCUSD-FUT'); // 2.5 BTC
    run({ type: 'settle_expiry', market: 'BTCUSD-FUT', price: '50000', timeMs: 1_000 });
    // long gains 100,000·(1/40,000 − 1/50,000) = 0.5 BTC
    expect(btc(e.state.subaccounts.get('a/0')!.balances.get('BTC')!)).toBe('10.5');
    expect(btc(e.state.subaccounts.get('b/0')!.balances.get('BTC')!)).toBe('9.5');
    expect(e.state.subaccounts.get('a/0')!.positions.size).toBe(0);
  });

  it('coin collateral against a short inverse perp is a hedge: USD value fixed, no liquidation price', () => {
    const { e, run, fill } = venue();
    // 'a' holds 10 BTC and shorts 10 BTC worth at 40,000 (4,000 contracts × 100 USD = 400,000 USD)
    fill('b', 'a', '4000', '40000');
    for (const px of ['30000', '20000', '30000', '40000', '55000', '80000']) {
      run({ type: 'prices', marks: { BTCUSD: px } });
      const f = cross(e, 'a');
      // USD value = equity (BTC) × price: 10 BTC × 40,000 whatever the price
      // (the position value rounds down by at most one satoshi: under a cent here)
      const cents = (f.netValueQuote * BigInt(px)) / 10n ** 6n;
      expect(40_000_000n - cents).toBeGreaterThanOrEqual(0n);
      expect(40_000_000n - cents).toBeLessThanOrEqual(1n);
    }
    const report = subaccountReport(e.state, e.state.subaccounts.get('a/0')!);
    expect(report.cross.positions[0]!.liquidationPrice).toBeNull();
    expect(report.cross.positions[0]!.bankruptcyPrice).toBeNull();
  });
});

describe('bad inverse configuration: a typed error, nothing changed', () => {
  const bad: [string, EngineConfigInput, RegExp][] = [
    ['zero contract value', config([{ ...PERP, contractValue: '0' }]), /contractValue/],
    ['negative contract value', config([{ ...PERP, contractValue: '-100' }]), /contractValue/],
    ['no contract value', config([{ ...PERP, contractValue: undefined }]), /needs a contractValue/],
    [
      'a contract value on a linear market',
      config([{ ...PERP, contractType: 'linear' }]),
      /contractType 'inverse'/,
    ],
    [
      'settled in another coin than its base',
      {
        ...config(),
        assets: [
          { id: 'BTC', decimals: 8 },
          { id: 'USD', decimals: 6 },
        ],
        settlementAsset: 'USD',
      },
      /settles in BTC, but the settlement asset is USD/,
    ],
    [
      'the linear-only dydx penalty',
      config([PERP], { liquidation: { penalty: { kind: 'dydx_fillable' } } }),
      /dydx_fillable penalty is linear only/,
    ],
  ];
  it.each(bad)('Engine.create refuses %s', (_name, cfg, message) => {
    expect(() => Engine.create(cfg)).toThrow(ConfigError);
    expect(() => Engine.create(cfg)).toThrow(message);
  });

  it('set_market refuses a bad contract value, a changed contract type or value, and a foreign base', () => {
    const { e } = venue();
    const hash = e.stateHash();
    const seq = e.state.seq;
    const cases: [Record<string, unknown>, string][] = [
      [{ ...PERP, id: 'NEW', contractValue: '0' }, 'MALFORMED_COMMAND'],
      [{ ...PERP, id: 'NEW', contractValue: '-1' }, 'MALFORMED_COMMAND'],
      [{ ...PERP, id: 'NEW', contractValue: 'abc' }, 'MALFORMED_COMMAND'],
      [{ ...PERP, contractValue: '10' }, 'INVALID_CONFIG'],
      [{ ...PERP, contractType: 'linear', contractValue: undefined }, 'INVALID_CONFIG'],
      [{ ...PERP, id: 'ETHUSD', base: 'ETH' }, 'INVALID_CONFIG'],
      [{ ...PERP, id: 'NEW', contractValue: undefined }, 'INVALID_CONFIG'],
    ];
    for (const [market, code] of cases) {
      const r = e.execute({ type: 'set_market', config: market, timeMs: 100 });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.rejection.code, JSON.stringify(market)).toBe(code);
    }
    const p = e.execute({
      type: 'set_policy',
      liquidation: { penalty: { kind: 'dydx_fillable' } },
      timeMs: 100,
    });
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.rejection.code).toBe('INVALID_CONFIG');
    expect(e.stateHash()).toBe(hash);
    expect(e.state.seq).toBe(seq);
  });
});
