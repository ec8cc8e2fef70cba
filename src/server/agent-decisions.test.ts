/**
 * Agent decisions over the API: a trader posts only for its own accounts, a repeated id changes
 * nothing, bad input is refused with nothing stored, the ring keeps the newest per account, the
 * file brings them back after a restart, and the event hub hands a notice only to the account's
 * viewers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AgentDecision, AgentDecisionLog } from './agent-decisions.ts';
import { EventHub } from './event-hub.ts';
import { harness, seeded } from './server.testkit.ts';

const decision = (over: Record<string, unknown> = {}) => ({
  id: 'band:alice:7',
  timeMs: 1_000,
  strategy: 'band-rebalancer',
  trigger: { seq: 7, event: 'prices_updated' },
  figures: { equity: '270', maintenanceMargin: '225', marginRatio: '0.833333' },
  verdict: 'act',
  actions: [{ kind: 'top_up', amount: '855', commandId: 'agent:alice:7:0', outcome: 'applied', seq: 9 }],
  reason: 'margin ratio ≥ 50%: top up 855 to bring it to 20%',
  ...over,
});

const dir = mkdtempSync(join(tmpdir(), 'plimsoll-decisions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('agent decisions endpoint', () => {
  it('stores a decision of the own account and lists it; a repeat is replayed', async () => {
    const h = harness();
    await seeded(h);
    const path = '/v1/accounts/alice/agent-decisions';
    const first = await h.call('alice', 'POST', path, decision());
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ replayed: false, decision: { account: 'alice', keyId: 'alice' } });
    const again = await h.call('alice', 'POST', path, decision({ reason: 'changed' }));
    expect(again.body.replayed).toBe(true);
    expect(again.body.decision.reason).toMatch(/^margin ratio/);
    const list = await h.call('alice', 'GET', path);
    expect(list.status).toBe(200);
    expect(list.body.decisions).toHaveLength(1);
    expect(list.body.decisions[0].actions[0]).toMatchObject({ amount: '855', outcome: 'applied' });
    // the operator reads it too
    expect((await h.call('op', 'GET', `${path}?limit=5`)).body.decisions).toHaveLength(1);
  });

  it('accepts skipped collateral swaps and hedges (a hedge size may be negative: a buy-back)', async () => {
    const h = harness();
    await seeded(h);
    const path = '/v1/accounts/alice/agent-decisions';
    const actions = [
      { kind: 'swap', amount: '300', outcome: 'skipped', error: 'not executable through the service yet' },
      { kind: 'hedge', amount: '-1.5', outcome: 'skipped', error: 'not executable through the service yet' },
    ];
    const r = await h.call('alice', 'POST', path, decision({ id: 'agent.alice.0.11', actions }));
    expect(r.status).toBe(201);
    expect(r.body.decision.actions).toEqual(actions);
    const bad = await h.call(
      'alice',
      'POST',
      path,
      decision({ actions: [{ ...actions[0], kind: 'borrow' }] }),
    );
    expect(bad).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
  });

  it('refuses other accounts, unknown accounts and malformed decisions, storing nothing', async () => {
    const h = harness();
    await seeded(h);
    const path = '/v1/accounts/alice/agent-decisions';
    expect((await h.call('bob', 'POST', path, decision())).body.code).toBe('FORBIDDEN');
    expect((await h.call('bob', 'GET', path)).body.code).toBe('FORBIDDEN');
    expect((await h.call('liq', 'POST', path, decision())).status).toBe(403);
    const unknown = await h.call('op', 'POST', '/v1/accounts/nobody/agent-decisions', decision());
    expect(unknown).toMatchObject({ status: 404, body: { code: 'UNKNOWN_SUBACCOUNT' } });
    const bad = await h.call('alice', 'POST', path, decision({ actions: [{ kind: 'top_up', amount: 855 }] }));
    expect(bad).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
    expect((await h.call('alice', 'POST', path, decision({ verdict: 'maybe' }))).status).toBe(400);
    expect((await h.call('alice', 'GET', `${path}?limit=0`)).status).toBe(400);
    expect((await h.call('alice', 'GET', path)).body.decisions).toEqual([]);
  });
});

describe('AgentDecisionLog', () => {
  const stored = (id: string, account = 'alice'): AgentDecision =>
    ({ ...decision({ id }), account, keyId: 'alice', receivedMs: 1 }) as AgentDecision;

  it('keeps the newest per account and survives a restart through its file', () => {
    const file = join(dir, 'decisions.jsonl');
    const log = new AgentDecisionLog({ file, perAccount: 3 });
    for (const id of ['a', 'b', 'c', 'd']) log.record(stored(id));
    log.record(stored('x', 'bob'));
    expect(log.list('alice', 10).map((d) => d.id)).toEqual(['b', 'c', 'd']);
    expect(log.list('alice', 2).map((d) => d.id)).toEqual(['c', 'd']);
    const reopened = new AgentDecisionLog({ file, perAccount: 3 });
    expect(reopened.list('alice', 10).map((d) => d.id)).toEqual(['b', 'c', 'd']);
    expect(reopened.list('bob', 10).map((d) => d.id)).toEqual(['x']);
    // an id already stored is not written again
    expect(reopened.record(stored('d')).replayed).toBe(true);
  });

  it('the hub sends an account notice only to that account and the operator', async () => {
    const hub = new EventHub({ headSeq: 0, readRange: async () => [] });
    const got: Record<string, string[]> = { alice: [], bob: [], op: [] };
    const transport = (who: string) => ({
      send: (t: string) => got[who]!.push(t),
      bufferedAmount: () => 0,
      close: () => {},
    });
    hub.subscribe(transport('alice'), { viewer: { operator: false, accounts: ['alice'] } });
    hub.subscribe(transport('bob'), { viewer: { operator: false, accounts: ['bob'] } });
    hub.subscribe(transport('op'), { viewer: { operator: true } });
    await new Promise((r) => setTimeout(r, 0)); // catch-up finishes: live
    hub.accountNotice('alice', { op: 'agent_decision', decision: { id: 'a' } });
    expect(got.alice).toHaveLength(1);
    expect(got.op).toHaveLength(1);
    expect(got.bob).toHaveLength(0);
  });
});
