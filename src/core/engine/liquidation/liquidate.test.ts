/**
 * Liquidation engine cases. Numbers are derived in the comments from the policy's
 * stated rules (penalty ramp, target MM × 1.1, waterfall order), by hand.
 */
import { describe, expect, it } from 'vitest';
import { newVenue, ref } from '../../../../test/support/fixtures.ts';
import { driftFundingDeltaToResolveBankruptcy, driftSocializedPayment } from '../../reference/drift-v2.ts';
import type { Engine } from '../engine.ts';
import type { Sequenced } from '../events.ts';

const U = 1_000_000n;
const usdc = (e: Engine, who: string) => e.state.subaccounts.get(`${who}/0`)?.balances.get('USDC') ?? 0n;
const pos = (e: Engine, who: string) => e.state.subaccounts.get(`${who}/0`)?.positions.get('BTC-PERP');

/** alice: 1000 USDC, long 0.1 BTC @ 60000 (taker fee 3 → balance 997); bob: the short side. */
function aliceLong(opts: { insurance?: string; policy?: Record<string, unknown> } = {}): Engine {
  const e = newVenue();
  e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '1000' });
  e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'USDC', amount: '100000' });
  if (opts.insurance)
    e.executeOrThrow({
      type: 'fund_insurance',
      from: ref('backstop'),
      asset: 'USDC',
      amount: opts.insurance,
    });
  if (opts.policy) e.executeOrThrow({ type: 'set_policy', liquidation: opts.policy });
  e.executeOrThrow({
    type: 'fill',
    market: 'BTC-PERP',
    buyer: ref('alice'),
    seller: ref('bob'),
    size: '0.1',
    price: '60000',
  });
  return e;
}

const mark = (e: Engine, px: string, timeMs: number) =>
  e.executeOrThrow({ type: 'prices', timeMs, marks: { 'BTC-PERP': px } });
const ofType = <T extends Sequenced['type']>(evs: Sequenced[], t: T) =>
  evs.filter((x) => x.type === t) as Extract<Sequenced, { type: T }>[];

describe('partial liquidation', () => {
  it('closes_the_least_size_that_restores_mm_plus_buffer', () => {
    const e = aliceLong();
    mark(e, '52600', 2);
    // equity = 997 + 0.1 × (52600 − 60000) = 257 < MM = 5% × 5260 = 263 → liquidatable.
    // penalty = 0.5% + 1.5% × ceil_ppm((263 − 257)/263 = 22814 ppm) = 5000 + 342 = 5342 ppm; half each.
    // target: 257 − 0.005342·52600·q ≥ 1.1 · 0.05·52600·(0.1 − q) ⇔ q ≥ 0.012366 → 0.013 (step 0.001).
    const evs = e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 });
    const done = ofType(evs, 'liquidation_completed')[0]!;
    expect(done.mode).toBe('partial');
    expect(done.closedQty9).toBe(13_000_000n);
    // reward = fee = ceil(683.8 × 0.002671) = 1.826430
    expect(done.liquidatorRewardQuote).toBe(1_826_430n);
    expect(done.insuranceFeeQuote).toBe(1_826_430n);
    expect(e.state.insurance.get('USDC')).toBe(1_826_430n);
    expect(pos(e, 'alice')!.size).toBe(87_000_000n);
    expect(pos(e, 'backstop')!.size).toBe(13_000_000n);
    expect(done.healthAfterQuote).toBeGreaterThan(done.healthBeforeQuote);
    expect(e.liquidatable()).toEqual([]);
  });

  it('dust_remainder_is_closed_in_full', () => {
    const e = aliceLong({ policy: { dustNotional: '5000' } });
    mark(e, '52600', 2);
    // the remainder 0.087 × 52600 = 4576.2 < 5000 → the whole 0.1 closes
    const done = ofType(
      e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 }),
      'liquidation_completed',
    )[0]!;
    expect(done.mode).toBe('full');
    expect(done.closedQty9).toBe(100_000_000n);
    expect(pos(e, 'alice')).toBeUndefined();
  });

  it('initial_margin_target_closes_more', () => {
    const e = aliceLong({ policy: { target: 'initial' } });
    mark(e, '52600', 2);
    // target equity ≥ IM: 257 − 280.99·q ≥ 526 − 5260·q ⇔ q ≥ 269 / 4979.01 = 0.05403 → 0.055
    const done = ofType(
      e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 }),
      'liquidation_completed',
    )[0]!;
    expect(done.closedQty9).toBe(55_000_000n);
  });

  it('per_window_cap_limits_and_then_refuses', () => {
    const e = aliceLong({ policy: { maxAccountNotionalPerWindow: '100', windowMs: 60000 } });
    mark(e, '52600', 2);
    // room 100 / 52600 = 0.0019 BTC → 0.001 (step)
    const done = ofType(
      e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 }),
      'liquidation_completed',
    )[0]!;
    expect(done.closedQty9).toBe(1_000_000n);
    // 52.6 used; room 47.4 < one step's 52.6 → refused until the window ends
    const r = e.execute({ type: 'liquidate', subaccount: ref('alice'), timeMs: 3 });
    expect(r.ok ? '' : r.rejection.code).toBe('LIQUIDATION_CAP_REACHED');
    expect(e.execute({ type: 'liquidate', subaccount: ref('alice'), timeMs: 60_002 }).ok).toBe(true);
  });

  it('paused_market_refuses_liquidation', () => {
    const e = aliceLong();
    mark(e, '52600', 2);
    e.executeOrThrow({ type: 'pause_liquidations', market: 'BTC-PERP', paused: true });
    const r = e.execute({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 });
    expect(r.ok ? '' : r.rejection.code).toBe('LIQUIDATIONS_PAUSED');
  });

  it('isolated_liquidation_leaves_the_cross_balance_alone', () => {
    const e = newVenue();
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '5000' });
    e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'USDC', amount: '100000' });
    e.executeOrThrow({
      type: 'set_margin_mode',
      subaccount: ref('alice'),
      market: 'BTC-PERP',
      mode: 'isolated',
    });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '0.1',
      price: '60000',
    });
    const cross = usdc(e, 'alice'); // 5000 − 3 fee − 600 isolated margin
    expect(cross).toBe(4397n * U);
    mark(e, '56000', 2); // isolated equity 600 − 400 = 200 < MM 280
    expect(e.liquidatable()).toEqual([
      { ref: ref('alice'), scope: { kind: 'isolated', market: 'BTC-PERP' } },
    ]);
    expect(e.execute({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 }).ok).toBe(false); // cross scope is healthy
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), isolatedMarket: 'BTC-PERP', timeMs: 2 });
    expect(usdc(e, 'alice')).toBe(cross);
  });
});

describe('bankruptcy waterfall', () => {
  it('insurance_fund_covers_the_deficit_first', () => {
    const e = aliceLong({ insurance: '10000' });
    mark(e, '45000', 2);
    // net value = 997 + 0.1 × (45000 − 60000) = −503 → the fund pays 503, backstop takes 0.1 at 45000
    const evs = e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 });
    expect(ofType(evs, 'liquidation_started')[0]!.mode).toBe('bankrupt');
    expect(e.state.insurance.get('USDC')).toBe(9497n * U);
    expect(usdc(e, 'alice')).toBe(0n);
    expect(pos(e, 'backstop')!.entryValue).toBe(4500n * U);
    expect(ofType(evs, 'traded').map((t) => t.reason)).toEqual(['backstop']);
  });

  it('adl_absorbs_what_the_fund_cannot_at_the_bankruptcy_price', () => {
    const e = aliceLong();
    mark(e, '45000', 2);
    // empty fund → bob's profitable short takes alice's 0.1 at the bankruptcy price (4500 + 503)/0.1 = 50030
    const evs = e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 });
    const adl = ofType(evs, 'traded').filter((t) => t.reason === 'adl');
    expect(adl).toHaveLength(1);
    expect(adl[0]!.valueQuote).toBe(5003n * U);
    expect(adl[0]!.pricePx8).toBe(5_003_000_000_000n);
    expect(usdc(e, 'alice')).toBe(0n);
    // bob: short entry −6000 closed for 5003 → realizes 997 (he gives up 503 of his 1500 profit)
    expect(usdc(e, 'bob')).toBe(100_000n * U - 1_200_000n + 997n * U);
    expect(pos(e, 'bob')).toBeUndefined();
    expect(e.state.socializedLedger).toBe(0n);
  });

  it('socialized_loss_when_no_opposing_position_is_profitable', () => {
    const e = aliceLong();
    e.executeOrThrow({ type: 'deposit', to: ref('carol'), asset: 'USDC', amount: '10000' });
    mark(e, '44000', 2);
    // bob closes his short by buying from carol, who goes short at 44000
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('bob'),
      seller: ref('carol'),
      size: '0.1',
      price: '44000',
      taker: 'seller',
    });
    mark(e, '45000', 3);
    // carol's short (entry 44000) loses at 45000: nobody to deleverage → the 503 deficit is socialized
    const evs = e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 3 });
    expect(ofType(evs, 'traded').map((t) => t.reason)).toEqual(['backstop']);
    expect(e.state.socializedLedger).toBe(-503n * U);
    expect(usdc(e, 'alice')).toBe(0n);
    const soc = ofType(evs, 'moved').filter((m) => m.reason === 'socialized_loss');
    expect(soc.map((m) => m.amount)).toEqual([503n * U]);
  });

  it('seized_collateral_goes_to_the_insurance_fund', () => {
    const e = aliceLong({ insurance: '10000' });
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'ETH', amount: '0.01' });
    mark(e, '45000', 2);
    e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 });
    expect(e.state.insurance.get('ETH')).toBe(10n ** 16n);
    expect(e.state.subaccounts.get('alice/0')!.balances.get('ETH')).toBe(0n);
  });
});

describe('edge cases', () => {
  it('debt_with_haircut_collateral_and_no_positions_is_not_a_crash', () => {
    const e = aliceLong();
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'BTC', amount: '0.017' }); // BTC asset stays at 60000
    mark(e, '40530', 2);
    // alice closes at a 1947 loss (maker fee 0.02% × 4053 = 0.8106): USDC = 997 − 1947 − 0.8106 = −950.8106.
    // BTC 0.017 × 60000 = 1020 at full weight (net value +69.19), 918 at 0.9 (equity −32.81 < MM = 0).
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('bob'),
      seller: ref('alice'),
      size: '0.1',
      price: '40530',
    });
    expect(usdc(e, 'alice')).toBe(-950_810_600n);
    const before = e.stateHash();
    const r = e.execute({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 });
    expect(r.ok ? '' : r.rejection.code).toBe('NOT_LIQUIDATABLE');
    expect(e.stateHash()).toBe(before);
  });
});

describe('bankrupt isolated scope', () => {
  it('insurance_cover_is_not_paid_twice', () => {
    // isolated long 1 BTC @ 60000 with 6000 isolated margin (IM 10%), 4000 left in the balance;
    // at 50000 the isolated scope is worth 6000 − 10000 = −4000: the fund pays 4000, nothing is socialized.
    const e = newVenue();
    e.executeOrThrow({
      type: 'set_market',
      config: {
        id: 'BTC-PERP',
        kind: 'perpetual',
        base: 'BTC',
        stepSize: '0.001',
        margin: { kind: 'fixed', initialRatio: '0.1', maintenance: { ratio: '0.05' } },
      },
    });
    e.executeOrThrow({ type: 'deposit', to: ref('alice'), asset: 'USDC', amount: '10000' });
    e.executeOrThrow({ type: 'deposit', to: ref('bob'), asset: 'USDC', amount: '100000' });
    e.executeOrThrow({ type: 'fund_insurance', from: ref('backstop'), asset: 'USDC', amount: '100000' });
    e.executeOrThrow({
      type: 'set_margin_mode',
      subaccount: ref('alice'),
      market: 'BTC-PERP',
      mode: 'isolated',
    });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '1',
      price: '60000',
    });
    expect(usdc(e, 'alice')).toBe(4000n * U);
    mark(e, '50000', 2);
    const evs = e.executeOrThrow({
      type: 'liquidate',
      subaccount: ref('alice'),
      isolatedMarket: 'BTC-PERP',
      timeMs: 2,
    });
    const moved = ofType(evs, 'moved');
    expect(moved.filter((m) => m.reason === 'insurance_cover').map((m) => m.amount)).toEqual([4000n * U]);
    expect(moved.filter((m) => m.reason === 'socialized_loss')).toEqual([]);
    expect(usdc(e, 'alice')).toBe(4000n * U);
    expect(e.state.insurance.get('USDC')).toBe(96_000n * U);
  });
});

describe('fraction sizing with cooldown, and backstop takeover (Hyperliquid-style policies)', () => {
  const fraction = {
    sizing: { kind: 'fraction', fraction: '0.2', aboveNotional: '5000', cooldownMs: 30_000 },
    minPenalty: '0',
    maxPenalty: '0',
  };

  it('closes 20% of a large position, then the whole position within the cooldown', () => {
    const e = aliceLong({ policy: fraction });
    mark(e, '52600', 2);
    // notional 0.1 × 52600 = 5260 > 5000 → 20% = 0.02
    const first = ofType(
      e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 }),
      'liquidation_completed',
    )[0]!;
    expect(first.mode).toBe('partial');
    expect(first.closedQty9).toBe(20_000_000n);
    // 0.08 left; at 51500: equity 997 − 0.1·(60000 − 52600) − 0.08·(52600 − 51500) = 257 − 88 = 169 < MM 206
    mark(e, '51500', 1_000);
    const second = ofType(
      e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 1_000 }),
      'liquidation_completed',
    )[0]!;
    expect(second.closedQty9).toBe(80_000_000n); // inside the 30 s cooldown: all of it
    expect(pos(e, 'alice')).toBeUndefined();
  });

  it('closes a position under the threshold in full', () => {
    const e = aliceLong({ policy: { ...fraction, sizing: { ...fraction.sizing, aboveNotional: '10000' } } });
    mark(e, '52600', 2);
    const done = ofType(
      e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 }),
      'liquidation_completed',
    )[0]!;
    expect(done.closedQty9).toBe(100_000_000n);
  });

  it('backstop takes positions and collateral below two thirds of maintenance', () => {
    const e = aliceLong({ policy: { backstopBelowMaintenanceShare: '0.666667' } });
    const backstopBefore = usdc(e, 'backstop');
    mark(e, '51000', 2);
    // equity = 997 + 0.1 × (51000 − 60000) = 97 ≥ 0, MM = 255, ⅔·MM = 170 > 97 → takeover
    const evs = e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 });
    expect(ofType(evs, 'liquidation_started')[0]!.mode).toBe('backstop');
    expect(pos(e, 'alice')).toBeUndefined();
    expect(usdc(e, 'alice')).toBe(0n);
    expect(usdc(e, 'backstop') - backstopBefore).toBe(97n * U);
    expect(pos(e, 'backstop')!.entryValue).toBe(5100n * U); // 0.1 at the 51000 mark
  });

  it('above two thirds of maintenance it is an ordinary liquidation', () => {
    const e = aliceLong({ policy: { backstopBelowMaintenanceShare: '0.666667' } });
    mark(e, '52600', 2); // equity 257 ≥ ⅔ × 263
    expect(
      ofType(
        e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 }),
        'liquidation_started',
      )[0]!.mode,
    ).toBe('partial');
  });
});

describe("socializeVia: 'funding_index' (Drift v2)", () => {
  it('charges the opposite side pro rata to size, largest remainder, instead of the ledger', () => {
    const e = aliceLong({ policy: { socializeVia: 'funding_index' } });
    e.executeOrThrow({ type: 'deposit', to: ref('carol'), asset: 'USDC', amount: '10000' });
    e.executeOrThrow({ type: 'deposit', to: ref('dave'), asset: 'USDC', amount: '10000' });
    e.executeOrThrow({ type: 'deposit', to: ref('erin'), asset: 'USDC', amount: '10000' });
    mark(e, '44000', 2);
    // bob closes his short to carol (short 0.1 @ 44000); dave shorts 0.2 @ 44000 to erin.
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('bob'),
      seller: ref('carol'),
      size: '0.1',
      price: '44000',
      taker: 'seller',
    });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('erin'),
      seller: ref('dave'),
      size: '0.2',
      price: '44000',
    });
    mark(e, '45000', 3);
    const carol = usdc(e, 'carol');
    const dave = usdc(e, 'dave');
    // Shorts lose at 45000 → no ADL; deficit 997 + 0.1 × (45000 − 60000) = −503 USDC.
    // Shorts carol 0.1, dave 0.2 share 503,000,000 units 1:2:
    //   carol 503e6 × 1/3 = 167,666,666 rem ⅔; dave 503e6 × 2/3 = 335,333,333 rem ⅓;
    //   1 unit left → the larger remainder (carol): 167,666,667 + 335,333,333 = 503,000,000.
    const evs = e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 3 });
    expect(ofType(evs, 'traded').map((t) => t.reason)).toEqual(['backstop']);
    const soc = ofType(evs, 'loss_socialized');
    expect(soc.map((s) => [s.market, s.side, s.amount])).toEqual([['BTC-PERP', 'short', 503n * U]]);
    expect(ofType(evs, 'moved').filter((m) => m.reason === 'socialized_loss')).toEqual([]);
    expect(carol - usdc(e, 'carol')).toBe(167_666_667n);
    expect(dave - usdc(e, 'dave')).toBe(335_333_333n);
    expect(e.state.socializedLedger).toBe(0n);
    expect(usdc(e, 'alice')).toBe(0n);
    expect(pos(e, 'alice')).toBeUndefined();
  });

  it("socializeSides 'both': every other open position pays pro rata to |size|, as Drift's funding delta charges", () => {
    const e = aliceLong({ policy: { socializeVia: 'funding_index', socializeSides: 'both' } });
    for (const who of ['carol', 'dave', 'erin'])
      e.executeOrThrow({ type: 'deposit', to: ref(who), asset: 'USDC', amount: '10000' });
    mark(e, '44000', 2);
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('bob'),
      seller: ref('carol'),
      size: '0.1',
      price: '44000',
      taker: 'seller',
    });
    e.executeOrThrow({
      type: 'fill',
      market: 'BTC-PERP',
      buyer: ref('erin'),
      seller: ref('dave'),
      size: '0.2',
      price: '44000',
    });
    mark(e, '45000', 3);
    const before = { carol: usdc(e, 'carol'), dave: usdc(e, 'dave'), erin: usdc(e, 'erin') };
    // Same deficit, 503 USDC; payers: erin long 0.2, carol short 0.1, dave short 0.2 (alice excluded).
    // Drift: δ = ⌈503e6 × 1e9 / (0.2e9 + 0.3e9)⌉ × 1e3, each position pays ⌈|base| × δ / 1e12⌉.
    const delta = driftFundingDeltaToResolveBankruptcy(503n * U, 200_000_000n, -300_000_000n);
    const drift = (base: bigint) => driftSocializedPayment(base, delta);
    const evs = e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 3 });
    const soc = ofType(evs, 'loss_socialized');
    expect(soc.map((x) => [x.side, x.amount, x.exclude])).toEqual([['both', 503n * U, 'alice/0']]);
    expect(before.erin - usdc(e, 'erin')).toBe(drift(200_000_000n)); // 201.2 USDC
    expect(before.carol - usdc(e, 'carol')).toBe(drift(-100_000_000n)); // 100.6 USDC
    expect(before.dave - usdc(e, 'dave')).toBe(drift(-200_000_000n)); // 201.2 USDC
    expect(drift(200_000_000n) + drift(-100_000_000n) + drift(-200_000_000n)).toBe(503n * U);
    expect(e.state.socializedLedger).toBe(0n);
  });

  it('the default policy still writes the deficit to the ledger', () => {
    const e = aliceLong();
    expect(e.state.policy.socializeVia).toBe('ledger');
    expect(e.state.policy.penalty).toEqual({ kind: 'ramp' });
  });
});

describe("penalty: { kind: 'to_bankruptcy' } (Binance clearance)", () => {
  it('closes the whole position at the bankruptcy price; the remaining margin goes to the fund', () => {
    const e = aliceLong({ policy: { penalty: { kind: 'to_bankruptcy' } } });
    mark(e, '52600', 2);
    // equity = net value = 997 − 740 = 257 < MM 263. The whole 0.1 closes (released MM = all 263),
    // penalty = 257 × 263/263 = 257, all to the fund; the backstop buys at the mark (5260).
    const evs = e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 });
    const done = ofType(evs, 'liquidation_completed')[0]!;
    expect(done.mode).toBe('full');
    expect(done.closedQty9).toBe(100_000_000n);
    expect(done.insuranceFeeQuote).toBe(257n * U);
    expect(done.liquidatorRewardQuote).toBe(0n);
    expect(e.state.insurance.get('USDC')).toBe(257n * U);
    expect(usdc(e, 'alice')).toBe(0n); // 997 − 740 − 257
    expect(pos(e, 'backstop')!.entryValue).toBe(5260n * U);
    // health −6 → 0: a whole-scope close leaves net value exactly 0 (never below bankruptcy).
    expect(done.healthBeforeQuote).toBe(-6n * U);
    expect(done.healthAfterQuote).toBe(0n);
  });

  it('insuranceShare splits the remaining margin with the liquidator as a price discount', () => {
    const e = aliceLong({ policy: { penalty: { kind: 'to_bankruptcy', insuranceShare: '0.4' } } });
    mark(e, '52600', 2);
    // fee = floor(257 × 0.4) = 102.8, reward = 257 − 102.8 = 154.2 → fill 5260 − 154.2 = 5105.8
    const done = ofType(
      e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 }),
      'liquidation_completed',
    )[0]!;
    expect(done.insuranceFeeQuote).toBe(102_800_000n);
    expect(done.liquidatorRewardQuote).toBe(154_200_000n);
    expect(pos(e, 'backstop')!.entryValue).toBe(5_105_800_000n);
    expect(usdc(e, 'alice')).toBe(0n); // 997 + (5105.8 − 6000) − 102.8
  });

  it('a window cap trims the close; the penalty is the closed part’s share of the margin', () => {
    const e = aliceLong({
      policy: { penalty: { kind: 'to_bankruptcy' }, maxAccountNotionalPerWindow: '2630' },
    });
    mark(e, '52600', 2);
    // room 2630 / 52600 = 0.05 BTC; released MM = 263 − 131.5 = 131.5 → penalty = 257 × ½ = 128.5
    const done = ofType(
      e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 }),
      'liquidation_completed',
    )[0]!;
    expect(done.mode).toBe('partial');
    expect(done.closedQty9).toBe(50_000_000n);
    expect(done.insuranceFeeQuote).toBe(128_500_000n);
    // balance 997 − 370 − 128.5 = 498.5; equity 498.5 − 370 = 128.5 vs MM 131.5: health −6 → −3
    expect(usdc(e, 'alice')).toBe(498_500_000n);
    expect(done.healthAfterQuote).toBe(-3n * U);
  });
});

describe("penalty: { kind: 'to_bankruptcy', closeAll } (Binance's whole-scope clearance)", () => {
  /** aliceLong plus long 1 ETH-PERP @ 3,000 (no fee; MM 3 %), marks BTC 52,600 / ETH 2,900. */
  function twoPositions(penalty: Record<string, unknown>): Engine {
    const e = aliceLong({ policy: { penalty } });
    e.executeOrThrow({
      type: 'fill',
      market: 'ETH-PERP',
      buyer: ref('alice'),
      seller: ref('bob'),
      size: '1',
      price: '3000',
    });
    e.executeOrThrow({ type: 'prices', timeMs: 2, marks: { 'BTC-PERP': '52600', 'ETH-PERP': '2900' } });
    return e;
  }
  // net value = 997 − 740 − 100 = 157 < MM = 263 (BTC) + 87 (ETH) = 350.

  it('one liquidate closes every position, largest MM first, each at its bankruptcy price: net value 0', () => {
    const e = twoPositions({ kind: 'to_bankruptcy', closeAll: true });
    const done = ofType(
      e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 }),
      'liquidation_completed',
    );
    expect(done.map((d) => d.market)).toEqual(['BTC-PERP', 'ETH-PERP']);
    // BTC: ⌊157 × 263 / 350⌋ = 117.974285; ETH: the rest of the margin, 157 − 117.974285 = 39.025715.
    expect(done[0]!.insuranceFeeQuote).toBe(117_974_285n);
    expect(done[1]!.insuranceFeeQuote).toBe(39_025_715n);
    expect(e.state.insurance.get('USDC')).toBe(157n * U);
    expect(e.state.subaccounts.get('alice/0')!.positions.size).toBe(0);
    expect(usdc(e, 'alice')).toBe(0n);
  });

  it('without closeAll the same step closes only the largest-MM position', () => {
    const e = twoPositions({ kind: 'to_bankruptcy' });
    const done = ofType(
      e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 }),
      'liquidation_completed',
    );
    expect(done.map((d) => d.market)).toEqual(['BTC-PERP']);
    expect(e.state.subaccounts.get('alice/0')!.positions.has('ETH-PERP')).toBe(true);
  });

  it('a per-symbol clearance fee goes to the fund first; insuranceShare splits the rest (hand-derived)', () => {
    const e = twoPositions({
      kind: 'to_bankruptcy',
      closeAll: true,
      insuranceShare: '0.5',
      clearanceFeeByMarket: { 'BTC-PERP': '0.01' },
    });
    const done = ofType(
      e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 }),
      'liquidation_completed',
    );
    // BTC: margin left 117.974285; clearance 1 % × 5,260 = 52.6; half of the other 65.374285 →
    // fund 52.6 + 32.687142 = 85.287142, liquidator 32.687143.
    expect(done[0]!.insuranceFeeQuote).toBe(85_287_142n);
    expect(done[0]!.liquidatorRewardQuote).toBe(32_687_143n);
    // ETH (no clearance fee): 39.025715 halved → fund 19.512857, liquidator 19.512858.
    expect(done[1]!.insuranceFeeQuote).toBe(19_512_857n);
    expect(done[1]!.liquidatorRewardQuote).toBe(19_512_858n);
    expect(usdc(e, 'alice')).toBe(0n);
  });

  it('the clearance fee never takes more than the margin left', () => {
    const e = twoPositions({ kind: 'to_bankruptcy', closeAll: true, clearanceFee: '0.5' });
    const done = ofType(
      e.executeOrThrow({ type: 'liquidate', subaccount: ref('alice'), timeMs: 2 }),
      'liquidation_completed',
    );
    expect(done[0]!.insuranceFeeQuote + done[1]!.insuranceFeeQuote).toBe(157n * U);
    expect(usdc(e, 'alice')).toBe(0n);
  });

  it('a bad clearance fee is refused with a typed error, nothing changes', () => {
    const e = aliceLong();
    const hash = e.stateHash();
    for (const penalty of [
      { kind: 'to_bankruptcy', clearanceFee: '1.5' },
      { kind: 'to_bankruptcy', clearanceFeeByMarket: { 'BTC-PERP': '-0.01' } },
      { kind: 'to_bankruptcy', closeAll: 'yes' },
    ]) {
      const r = e.execute({ type: 'set_policy', liquidation: { penalty } } as never);
      expect(r.ok).toBe(false);
    }
    expect(e.stateHash()).toBe(hash);
  });
});
