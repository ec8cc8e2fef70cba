/**
 * The agent loop against a fake service: the top-up it sends (amount by hand), the command id it
 * sends it under and its retry after a lost reply (applied once), the reduce-only order when
 * there is no reserve, the cool-down, coalesced triggers, "hold" logged once, and a start that
 * fails before anything is done. Which stream events wake it.
 */
import { describe, expect, it } from 'vitest';
import { BandRebalancer } from '../strategies/band-rebalancer.ts';
import {
  type ActionReply,
  AgentLoop,
  type AgentPort,
  type DecisionRecord,
  formatDecision,
  PortError,
} from './agent-loop.ts';
import { movesRisk } from './event-stream.ts';
import type { AccountSnapshot, WireSubaccount } from './wire-observe.ts';

const sub = (equity: string, mm: string, ratio: string): WireSubaccount => ({
  account: 'alice',
  sub: '0',
  balances: { USDT: '5270' },
  cross: {
    equity,
    maintenanceMargin: mm,
    freeCollateral: '0',
    marginRatio: ratio,
    positions: [
      {
        symbol: 'BTCUSDT',
        side: 'long',
        contracts: '1',
        markPrice: '55000',
        liquidationPrice: '54954.773869',
        marginMode: 'cross',
      },
    ],
  },
});
const reserveSub = (amount: string): WireSubaccount => ({
  account: 'alice',
  sub: 'reserve',
  balances: { USDT: amount },
  cross: { equity: amount, maintenanceMargin: '0', freeCollateral: amount, marginRatio: null, positions: [] },
});

/** A service that applies each command id once and can lose the reply of the first attempt. */
class FakeService implements AgentPort {
  seq = 10;
  timeMs = 1_000_000;
  account = sub('270', '225', '0.833333');
  reserve: WireSubaccount | undefined = reserveSub('10000');
  readonly applied = new Map<string, { kind: string; amount: string }>();
  readonly requests: string[] = [];
  readonly posted: DecisionRecord[] = [];
  snapshots = 0;
  loseFirstReply = false;
  refusePost: PortError | undefined;

  async snapshot(): Promise<AccountSnapshot> {
    this.snapshots++;
    return {
      timeMs: this.timeMs,
      seq: this.seq,
      settlementAsset: 'USDT',
      decimals: 6,
      sub: this.account,
      reserve: this.reserve,
      markets: [{ symbol: 'BTCUSDT', takerFee: '0.0005' }],
    };
  }
  async head(): Promise<number> {
    return this.seq;
  }
  private apply(kind: string, amount: string, commandId: string): ActionReply {
    this.requests.push(commandId);
    if (this.applied.has(commandId)) return { seq: this.seq, replayed: true };
    this.applied.set(commandId, { kind, amount });
    this.seq += 2;
    if (this.loseFirstReply) {
      this.loseFirstReply = false;
      throw new PortError('UNREACHABLE', 'socket hang up', true);
    }
    return { seq: this.seq };
  }
  async transfer(r: Parameters<AgentPort['transfer']>[0]): Promise<ActionReply> {
    expect(r).toMatchObject({ fromSub: 'reserve', toSub: '0', asset: 'USDT' });
    return this.apply('transfer', r.amount, r.commandId);
  }
  async placeOrder(r: Parameters<AgentPort['placeOrder']>[0]): Promise<ActionReply> {
    expect(r.orderId).toBe(r.commandId);
    return this.apply(`order ${r.side} ${r.symbol} @${r.price}`, r.amount, r.commandId);
  }
  async postDecision(d: DecisionRecord): Promise<void> {
    if (this.refusePost) throw this.refusePost;
    this.posted.push(d);
  }
}

const band = (cooldownMs = 60_000) =>
  new BandRebalancer({
    account: 'perp',
    triggerPpm: 500_000n,
    targetPpm: 200_000n,
    cooldownMs,
    minAction: 0n,
  });
const loop = (svc: FakeService, over: Partial<ConstructorParameters<typeof AgentLoop>[1]> = {}) =>
  new AgentLoop(svc, {
    account: 'alice',
    reserveSub: 'reserve',
    strategy: band(),
    sleep: async () => {},
    now: () => 42,
    ...over,
  });

describe('agent loop', () => {
  it('tops_up_the_hand_computed_amount_under_a_command_id_of_the_state_seen', async () => {
    // Equity 270, MM 225: ratio 83.3% ≥ 50%. Target 20%: equity must reach 225 / 0.2 = 1,125 → 855.
    const svc = new FakeService();
    const d = await loop(svc).decide(10, 'prices_updated');
    expect([...svc.applied]).toEqual([['agent.alice.0.10.0', { kind: 'transfer', amount: '855' }]]);
    expect(d).toMatchObject({
      id: 'agent.alice.0.10',
      verdict: 'act',
      trigger: { seq: 10, event: 'prices_updated' },
      figures: { equity: '270', maintenanceMargin: '225', reserve: '10000', markPrice: '55000' },
      actions: [{ kind: 'top_up', amount: '855', outcome: 'applied', seq: 12 }],
    });
    expect(svc.posted).toEqual([d]);
  });

  it('a_lost_reply_is_retried_with_the_same_id_and_applied_once', async () => {
    const svc = new FakeService();
    svc.loseFirstReply = true;
    const d = await loop(svc).decide(10, 'prices_updated');
    expect(svc.requests).toEqual(['agent.alice.0.10.0', 'agent.alice.0.10.0']);
    expect(svc.applied.size).toBe(1);
    expect(d.actions).toEqual([
      { kind: 'top_up', amount: '855', commandId: 'agent.alice.0.10.0', outcome: 'replayed', seq: 12 },
    ]);
  });

  it('a_refused_request_is_not_retried_and_says_why', async () => {
    const svc = new FakeService();
    svc.transfer = async () => {
      svc.requests.push('x');
      throw new PortError('INSUFFICIENT_FREE_COLLATERAL', 'the reserve cannot cover it', false);
    };
    const d = await loop(svc).decide(10, 'prices_updated');
    expect(svc.requests).toHaveLength(1);
    expect(d.actions[0]).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/^INSUFFICIENT/) });
  });

  it('without_a_reserve_places_a_reduce_only_order_at_the_mark', async () => {
    // f = (MM − τE)/(MM − τφN) = (225 − 0.2·270)/(225 − 0.2·0.0005·55,000) = 171/219.5
    // = 0.779043280… of 1 BTC → ⌈779,043,280.18⌉ = 779,043,281 qty9.
    const svc = new FakeService();
    svc.reserve = undefined;
    const d = await loop(svc, { reserveSub: undefined }).decide(10, 'prices_updated');
    expect([...svc.applied.values()]).toEqual([{ kind: 'order sell BTCUSDT @55000', amount: '0.779043281' }]);
    expect(d.actions[0]).toMatchObject({ kind: 'reduce', outcome: 'placed' });
  });

  it('the_reduce_order_is_put_on_the_market_grid', async () => {
    // Lot 0.001 BTC: 0.779043281 rounds up to 0.78; tick 0.1: a sell at 55,000.05 rounds down.
    const svc = new FakeService();
    svc.reserve = undefined;
    const p = svc.account.cross.positions[0]!;
    svc.account = {
      ...svc.account,
      cross: { ...svc.account.cross, positions: [{ ...p, markPrice: '55000.05' }] },
    };
    const snapshot = svc.snapshot.bind(svc);
    svc.snapshot = async () => ({
      ...(await snapshot()),
      markets: [
        {
          symbol: 'BTCUSDT',
          takerFee: '0.0005',
          stepSize: '0.001',
          contractSize: '0.000000001',
          tickSize: '0.1',
        },
      ],
    });
    await loop(svc, { reserveSub: undefined }).decide(10, 'prices_updated');
    expect([...svc.applied.values()]).toEqual([{ kind: 'order sell BTCUSDT @55000', amount: '0.78' }]);
  });

  it('cool_down_holds_and_hold_is_logged_once', async () => {
    const svc = new FakeService();
    const logged: DecisionRecord[] = [];
    const agent = loop(svc, { onDecision: (d) => logged.push(d) });
    await agent.decide(10, 'prices_updated'); // acts at engine time 1,000,000
    svc.timeMs += 30_000; // still crossed 30 s later: the 60 s cool-down holds
    const held = await agent.decide(12, 'prices_updated');
    expect(held.verdict).toBe('cooldown');
    expect(svc.applied.size).toBe(1);
    svc.account = sub('1125', '225', '0.2');
    await agent.decide(13, 'prices_updated');
    await agent.decide(14, 'prices_updated');
    expect(logged.map((d) => d.verdict)).toEqual(['act', 'cooldown', 'hold']);
    expect(svc.posted).toHaveLength(3);
  });

  it('coalesces_triggers_that_arrive_while_deciding', async () => {
    const svc = new FakeService();
    svc.account = sub('1125', '225', '0.2');
    const agent = loop(svc);
    for (let s = 11; s <= 20; s++) agent.trigger(s, 'prices_updated');
    await agent.idle();
    // the first trigger, then one more run for the nine that waited
    expect(svc.snapshots).toBeLessThanOrEqual(2);
  });

  it('a_start_the_service_refuses_does_nothing', async () => {
    const svc = new FakeService();
    svc.refusePost = new PortError('FORBIDDEN', 'this key may not act on account alice', false);
    await expect(loop(svc).start()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(svc.applied.size).toBe(0);
  });

  it('swaps_and_hedges_are_logged_as_skipped_and_send_nothing', async () => {
    // A strategy answering with the two collateral actions: neither is sent to the service.
    const svc = new FakeService();
    const strategy = {
      name: 'collateral',
      decide: () => ({
        actions: [
          { kind: 'swap', fromAsset: 'ETH', toAsset: 'USDT', amount: 300_000_000n },
          { kind: 'hedge', market: 'ETHUSDT', deltaQty9: -1_500_000_000n },
        ] as const,
        reason: 'test',
      }),
    };
    const d = await loop(svc, { strategy }).decide(10, 'prices_updated');
    expect(svc.applied.size).toBe(0);
    expect(svc.requests).toEqual([]);
    expect(d.actions).toEqual([
      {
        kind: 'swap',
        amount: '300',
        outcome: 'skipped',
        error: 'swap ETH → USDT: not executable through the service yet',
      },
      {
        kind: 'hedge',
        amount: '-1.5',
        outcome: 'skipped',
        error: 'hedge on ETHUSDT: not executable through the service yet',
      },
    ]);
    expect(formatDecision(d, 'alice')).toMatch(/hedge -1\.5 → skipped: hedge on ETHUSDT/);
  });

  it('two_cross_positions_need_a_market', async () => {
    const svc = new FakeService();
    const p = svc.account.cross.positions[0]!;
    svc.account = {
      ...svc.account,
      cross: { ...svc.account.cross, positions: [p, { ...p, symbol: 'ETHUSDT' }] },
    };
    await expect(loop(svc).start()).rejects.toThrow(/--market/);
    expect((await loop(svc, { market: 'BTCUSDT' }).start()).verdict).toBe('started');
  });
});

describe('decision log line', () => {
  it('says_what_was_seen_and_done_and_flags_a_liquidatable_account_in_words', async () => {
    const svc = new FakeService();
    svc.account = { ...svc.account, cross: { ...svc.account.cross, liquidatable: true } };
    const d = await loop(svc).decide(10, 'prices_updated');
    const text = formatDecision(d, 'alice');
    expect(text).toMatch(/alice\/0 ACT after prices_updated #10/);
    expect(text).toMatch(/ratio 83\.33%/);
    expect(text).toMatch(/LIQUIDATABLE/);
    expect(text).toMatch(/top_up 855 → applied \(seq 12\) \[agent\.alice\.0\.10\.0\]/);
  });
});

describe('events that move an account', () => {
  it('prices_and_own_trades_yes_other_accounts_and_own_transfers_no', () => {
    expect(movesRisk({ type: 'prices_updated' }, 'alice')).toBe(true);
    expect(movesRisk({ type: 'traded', buyer: 'alice/0', seller: 'bob/0' }, 'alice')).toBe(true);
    expect(movesRisk({ type: 'traded', buyer: '*', seller: '*' }, 'alice')).toBe(false);
    expect(movesRisk({ type: 'liquidation_started', sub: 'alice/0' }, 'alice')).toBe(true);
    expect(movesRisk({ type: 'moved', reason: 'transfer' }, 'alice')).toBe(false);
  });
});
