/**
 * The risk console's endpoints over an in-memory venue: who may see what, the at-risk ranking,
 * the liquidation map and cascade preview against the liquidation prices the account endpoint
 * reports (core/account/report.ts, computed afresh there), and refusals of bad input.
 */
import { describe, expect, it } from 'vitest';
import { parseDecimalUnsafe } from '../../core/num/index.ts';
import { type Harness, harness, seeded } from '../server.testkit.ts';

const units = (t: string, d: number) => parseDecimalUnsafe(t, d);
/** USDT's decimals on the binance-usdm preset. */
const QD = 8;
/** 1 BTC's notional at a price, in USDT units, rounded down as the map does. */
const oneBtcAt = (px: string) => (units(px, 8) * 10n ** BigInt(QD)) / 10n ** 8n;

async function venue(): Promise<Harness> {
  const h = harness();
  await seeded(h); // alice long 1 BTC at 60,000 against bob, 10,000 USDT each
  return h;
}

async function liqOf(h: Harness, account: string): Promise<string> {
  const r = await h.call('op', 'GET', `/v1/accounts/${account}/subaccounts/0`);
  expect(r.status).toBe(200);
  return r.body.cross.positions[0].liquidationPrice;
}

describe('GET /v1/risk/at-risk', () => {
  it('ranks every scope for an operator, with the liquidation prices the account endpoint reports', async () => {
    const h = await venue();
    const r = await h.call('op', 'GET', '/v1/risk/at-risk?horizon=1d&sigma=0.8');
    expect(r.status).toBe(200);
    const accounts = r.body.scopes.map((s: { account: string }) => s.account).sort();
    expect(accounts).toEqual(['alice', 'bob']);
    for (const s of r.body.scopes) {
      expect(s.positions[0].liquidationPrice).toBe(await liqOf(h, s.account));
      expect(s.liquidationProbability).toBeGreaterThan(0);
      expect(s.liquidationProbability).toBeLessThan(1);
    }
    // sorted by probability, descending
    const ps = r.body.scopes.map((s: { liquidationProbability: number }) => s.liquidationProbability);
    expect([...ps].sort((a, b) => b - a)).toEqual(ps);
  });

  it('a longer horizon or a higher volatility raises the probability', async () => {
    const h = await venue();
    const p = async (q: string) =>
      (await h.call('op', 'GET', `/v1/risk/at-risk?${q}`)).body.scopes.find(
        (s: { account: string }) => s.account === 'alice',
      ).liquidationProbability as number;
    expect(await p('horizon=7d&sigma=0.8')).toBeGreaterThan(await p('horizon=1h&sigma=0.8'));
    expect(await p('horizon=1h&sigma=2')).toBeGreaterThan(await p('horizon=1h&sigma=0.5'));
  });

  it('a trader key sees only its own account', async () => {
    const h = await venue();
    const r = await h.call('alice', 'GET', '/v1/risk/at-risk');
    expect(r.status).toBe(200);
    expect(r.body.scopes.map((s: { account: string }) => s.account)).toEqual(['alice']);
    expect(r.body.total).toBe(1);
  });

  it('follows a price move: the figures are recomputed for the new journal position', async () => {
    const h = await venue();
    const before = (await h.call('op', 'GET', '/v1/risk/at-risk')).body;
    await h.call('feed', 'POST', '/v1/prices', { marks: { BTCUSDT: '55000' } });
    // a deposit moves alice's liquidation price: the cached one must be recomputed
    await h.call('op', 'POST', '/v1/deposits', { account: 'alice', asset: 'USDT', amount: '1000' });
    // the snapshot is reused for up to a second while the engine moves; wait it out
    await new Promise((r) => setTimeout(r, 1_100));
    const after = (await h.call('op', 'GET', '/v1/risk/at-risk')).body;
    expect(after.seq).toBeGreaterThan(before.seq);
    const alice = after.scopes.find((s: { account: string }) => s.account === 'alice');
    expect(alice.positions[0].markPrice).toBe('55000');
    expect(alice.positions[0].liquidationPrice).toBe(await liqOf(h, 'alice'));
  });

  it('refuses a bad horizon or volatility with 400 INVALID_REQUEST', async () => {
    const h = await venue();
    for (const q of ['horizon=abc', 'horizon=2y', 'sigma=-1', 'sigma=x', 'limit=0', 'nope=1']) {
      const r = await h.call('op', 'GET', `/v1/risk/at-risk?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.code).toBe('INVALID_REQUEST');
    }
  });
});

describe('GET /v1/risk/liquidation-map and /v1/risk/cascade', () => {
  it('puts each position in the band of its exact liquidation price, cumulative from the mark', async () => {
    const h = await venue();
    const r = await h.call('liq', 'GET', '/v1/risk/liquidation-map?symbol=BTCUSDT&stepPct=1&steps=50');
    expect(r.status).toBe(200);
    const m = r.body.markets[0];
    const usdt = (await h.call(undefined, 'GET', '/v1/assets')).body.assets.find(
      (a: { asset: string }) => a.asset === 'USDT',
    );
    expect(usdt.decimals).toBe(QD);
    expect(m.markPrice).toBe('60000');
    const aliceLiq = await liqOf(h, 'alice');
    const bobLiq = await liqOf(h, 'bob');
    const band = (px: string) =>
      m.levels.find(
        (l: { from: string; to: string }) => Number(l.from) <= Number(px) && Number(px) < Number(l.to),
      );
    // 1 BTC each: the notional at the liquidation price is the price itself
    expect(units(band(aliceLiq).longNotional, QD)).toBe(oneBtcAt(aliceLiq));
    expect(units(band(bobLiq).shortNotional, QD)).toBe(oneBtcAt(bobLiq));
    expect(band(aliceLiq).positions).toBe(1);
    // cumulative below the mark: zero above alice's band, alice's notional at and below it
    const below = m.levels.filter((l: { k: number }) => l.k < 0);
    const lowest = below[0];
    expect(units(lowest.cumulativeNotional, QD)).toBe(oneBtcAt(aliceLiq));
    expect(below.at(-1).cumulativeNotional).toBe('0');
  });

  it('the cascade preview liquidates alice on a move past her liquidation price, not before', async () => {
    const h = await venue();
    const liq = Number(await liqOf(h, 'alice'));
    const past = Math.floor(((liq - 60_000) / 60_000) * 100 - 1);
    const short = Math.ceil(((liq - 60_000) / 60_000) * 100 + 1);
    const hit = await h.call('op', 'GET', `/v1/risk/cascade?symbol=BTCUSDT&movePct=${past}`);
    expect(hit.status).toBe(200);
    expect(hit.body.firstRound.positions).toBe(1);
    expect(hit.body.firstRound.largest[0].account).toBe('alice');
    expect(hit.body.firstRound.sellSize).toBe('1');
    const miss = await h.call('op', 'GET', `/v1/risk/cascade?symbol=BTCUSDT&movePct=${short}`);
    expect(miss.body.firstRound.positions).toBe(0);
  });

  it('walks the cascade through the depth model: a thin linear book moves the price on by 1 %', async () => {
    const h = await venue();
    const liq = Number(await liqOf(h, 'alice'));
    const past = Math.floor(((liq - 60_000) / 60_000) * 100 - 1);
    const target = (60_000 * (100 + past)) / 100;
    // 1 BTC within each 1 % of the mark (D(x) = 100·x): alice's 1 BTC sale moves it 1 % lower
    const thin = await h.call(
      'op',
      'GET',
      `/v1/risk/cascade?symbol=BTCUSDT&movePct=${past}&depthPerPct=1&depthExponent=1`,
    );
    expect(thin.status).toBe(200);
    const a = thin.body.afterCascade;
    expect(a.rounds).toBe(1); // bob is short: a fall never reaches him
    expect(a.positions).toBe(1);
    expect(a.notionalAtLiquidationPrices).toBe(thin.body.firstRound.notionalAtLiquidationPrices);
    expect(Number(a.finalPrice)).toBeCloseTo(target * 0.99, 6);
    expect(thin.body.depthModel.basis).toBe('request');
    // the default book is scaled to the open interest (1 BTC here)
    const dflt = (await h.call('op', 'GET', `/v1/risk/cascade?symbol=BTCUSDT&movePct=${past}`)).body;
    expect(dflt.depthModel.basis).toBe('open interest');
    expect(dflt.depthModel.depthPerPct).toBeCloseTo(2_500 / 90_000, 12);
    const bad = await h.call('op', 'GET', '/v1/risk/cascade?symbol=BTCUSDT&movePct=-5&depthPerPct=-1');
    expect(bad.status).toBe(400);
  });

  it('is for liquidator and operator keys only; unknown markets are 404', async () => {
    const h = await venue();
    expect((await h.call('alice', 'GET', '/v1/risk/liquidation-map')).status).toBe(403);
    expect((await h.call(undefined, 'GET', '/v1/risk/liquidation-map')).status).toBe(401);
    expect((await h.call('alice', 'GET', '/v1/risk/cascade?symbol=BTCUSDT&movePct=-5')).status).toBe(403);
    const r = await h.call('op', 'GET', '/v1/risk/liquidation-map?symbol=NOPE');
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('UNKNOWN_MARKET');
  });
});

describe('GET /v1/dashboard/overview and /v1/accounts/{account}/events', () => {
  it('the overview is public and carries the fund, the markets and the history', async () => {
    const h = await venue();
    const r = await h.call(undefined, 'GET', '/v1/dashboard/overview');
    expect(r.status).toBe(200);
    expect(r.body.insuranceFund.settlementAsset).toBe('USDT');
    const btc = r.body.markets.find((m: { symbol: string }) => m.symbol === 'BTCUSDT');
    expect(btc.markPrice).toBe('60000');
    expect(btc.openInterest).toBe('1');
    // both sides' notional 2 × 60,000; initial margin is positive and well under it
    expect(btc.positionsNotional).toBe('120000');
    expect(btc.imOverNotional).toBeGreaterThan(0);
    expect(btc.imOverNotional).toBeLessThan(1);
    expect(r.body.history.samples.length).toBeGreaterThan(0);
    expect(r.body.history.samples.at(-1).markets.BTCUSDT.mark).toBe(60_000);
  });

  it("an account's events: its own for a trader key, 403 for another's", async () => {
    const h = await venue();
    const r = await h.call('alice', 'GET', '/v1/accounts/alice/events');
    expect(r.status).toBe(200);
    const types = r.body.events.map((e: { type: string }) => e.type);
    expect(types).toContain('traded');
    expect(types).toContain('moved');
    expect((await h.call('alice', 'GET', '/v1/accounts/bob/events')).status).toBe(403);
  });
});
