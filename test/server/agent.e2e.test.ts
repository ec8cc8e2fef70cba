/**
 * `plimsoll agent` against a real running service: the service on a free port with its SQLite
 * journal, accounts seeded through the API, the agent started in-process (the same function the
 * command runs) following the event stream; a price move pushed through the API must make it top
 * up exactly the hand-computed amount from the reserve subaccount, with the decision readable from
 * the endpoint and on the account's stream — also when the first reply of the top-up is lost and
 * the agent retries (applied once); without a reserve, the reduce-only order the engine accepts
 * (size on the market's lot). Then the command itself, as a user runs it: one decision with --once --json, and each
 * bad input refused with a clear message and nothing done.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  AGENT_DEFAULTS,
  type AgentCliOptions,
  type RunningAgent,
  startAgent,
} from '../../src/cli/agent-command.ts';
import { signedHeaders } from '../../src/server/auth.ts';
import { PlimsollClient } from '../../src/server/client.ts';
import { createLogger } from '../../src/server/log.ts';
import { type RunningService, startService } from '../../src/server/service.ts';
import { type AgentPort, PortError } from '../../src/trader/agent/agent-loop.ts';
import { REPO } from '../cli/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'plimsoll-agent-'));
const secret = (id: string) => `${id}-${'s'.repeat(40)}`;
const KEYS = [
  { id: 'op', secret: secret('op'), scopes: ['operator'] },
  { id: 'feed', secret: secret('feed'), scopes: ['feed'] },
  { id: 'venue', secret: secret('venue'), scopes: ['venue'] },
  { id: 'alice', secret: secret('alice'), scopes: ['trader'], accounts: ['alice'] },
  { id: 'carol', secret: secret('carol'), scopes: ['trader'], accounts: ['carol'] },
  { id: 'dave', secret: secret('dave'), scopes: ['trader'], accounts: ['dave'] },
];
const keyFile = (id: string) => {
  const f = join(dir, `${id}.key.json`);
  const k = KEYS.find((x) => x.id === id)!;
  writeFileSync(f, JSON.stringify({ id: k.id, secret: k.secret }));
  return f;
};

let service: RunningService;
const client = (id: string) =>
  new PlimsollClient({ url: service.url, keyId: id, secret: KEYS.find((k) => k.id === id)!.secret });
const running: RunningAgent[] = [];

beforeAll(async () => {
  const keysFile = join(dir, 'keys.json');
  writeFileSync(keysFile, JSON.stringify(KEYS));
  service = await startService({
    store: join(dir, 'venue.sqlite'),
    keysFile,
    port: 0,
    preset: 'binance-usdm',
    dashboardDir: false,
    logger: createLogger({ level: 'silent' }),
  });
  const op = client('op');
  // Each trader: 5,300 USDT in subaccount 0, 10,000 in its reserve subaccount; 1 BTC long at
  // 60,000 bought from bob as taker (fee 0.05% × 60,000 = 30): wallet 5,270.
  for (const a of ['alice', 'carol']) {
    await op.deposit({ account: a, asset: 'USDT', amount: '5300' });
    await op.deposit({ account: a, sub: 'reserve', asset: 'USDT', amount: '10000' });
  }
  await op.deposit({ account: 'dave', asset: 'USDT', amount: '5300' }); // no reserve
  await op.deposit({ account: 'bob', asset: 'USDT', amount: '100000' });
  await client('feed').prices({ marks: { BTCUSDT: '60000' } });
  for (const a of ['alice', 'carol', 'dave'])
    await client('venue').fill({
      symbol: 'BTCUSDT',
      buyer: { account: a },
      seller: { account: 'bob' },
      amount: '1',
      price: '60000',
    });
}, 60_000);

afterAll(async () => {
  for (const a of running) await a.stop().catch(() => {});
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

const options = (account: string, over: Partial<AgentCliOptions> = {}): AgentCliOptions => ({
  ...AGENT_DEFAULTS,
  strategy: 'band',
  account,
  server: service.url,
  key: over.key ?? keyFile(account),
  trigger: '50%',
  target: '20%',
  ...over,
});

async function until<T>(f: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Decisions = {
  decisions: { verdict: string; actions: { amount: string; outcome: string; commandId: string }[] }[];
};
const decisionsOf = (account: string) =>
  client(account).request<Decisions>('GET', `/v1/accounts/${account}/agent-decisions`);
const balance = async (account: string, sub: string) =>
  ((await client(account).subaccount(account, sub)) as { balances: Record<string, string> }).balances.USDT;

describe('plimsoll agent against a running service', () => {
  it('tops_up_the_hand_computed_amount_after_a_price_move_even_when_a_reply_is_lost_or_reduces_without_a_reserve', async () => {
    const lines: string[] = [];
    running.push(await startAgent(options('alice'), { write: (l) => lines.push(l), retryDelayMs: 20 }));
    // carol's agent loses the reply of its first top-up: the service applied it, the agent retries
    let lost = 0;
    const lossy = (p: AgentPort): AgentPort => ({
      snapshot: () => p.snapshot(),
      head: () => p.head(),
      placeOrder: (r) => p.placeOrder(r),
      postDecision: (d) => p.postDecision(d),
      transfer: async (r) => {
        const reply = await p.transfer(r);
        if (lost++ === 0) throw new PortError('UNREACHABLE', 'reply lost', true);
        return reply;
      },
    });
    running.push(await startAgent(options('carol'), { write: () => {}, wrapPort: lossy, retryDelayMs: 20 }));
    // dave has no reserve: his agent can only reduce
    running.push(await startAgent(options('dave', { reserveSub: 'none' }), { write: () => {} }));
    // At 60,000 the ratio is 250 / 5,270 = 4.7%: both agents only watch.
    expect((await decisionsOf('alice')).decisions.map((d) => d.verdict)).toEqual(['started', 'hold']);

    // alice's own stream (her key) gets her agent's decisions as notices
    const notices: { op: string; decision?: { verdict: string } }[] = [];
    const path = '/v1/events?accounts=alice';
    const k = KEYS.find((x) => x.id === 'alice')!;
    const ws = new WebSocket(service.url.replace(/^http/, 'ws') + path, {
      headers: signedHeaders(k, 'GET', path, ''),
    });
    ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', accounts: ['alice'] })));
    ws.on('message', (m) => notices.push(JSON.parse(String(m))));
    await until(async () => (notices.some((n) => n.op === 'subscribed') ? true : undefined), 'subscription');

    // Mark 55,000: equity 5,270 − 5,000 = 270; MM (bracket 50k–250k) 55,000 × 0.5% − 50 = 225;
    // ratio 83.3% ≥ 50%. Target 20%: equity 225 / 0.2 = 1,125 → top up 855 from the reserve.
    await client('feed').prices({ marks: { BTCUSDT: '55000' } });
    for (const a of ['alice', 'carol']) {
      const act = await until(async () => {
        const d = (await decisionsOf(a)).decisions.find((x) => x.verdict === 'act');
        return d;
      }, `${a}'s top-up`);
      expect(act.actions).toHaveLength(1);
      expect(act.actions[0]!.amount).toBe('855');
      expect(await balance(a, '0')).toBe('6125'); // 5,270 + 855, once
      expect(await balance(a, 'reserve')).toBe('9145');
    }
    await until(
      async () =>
        notices.some((n) => n.op === 'agent_decision' && n.decision?.verdict === 'act') ? true : undefined,
      "alice's decision on her stream",
    );
    ws.close();
    const carol = (await decisionsOf('carol')).decisions.find((x) => x.verdict === 'act')!;
    expect(carol.actions[0]!.outcome).toBe('replayed');
    expect(lost).toBe(2); // the first attempt (applied, reply lost) and the retry
    const alice = (await decisionsOf('alice')).decisions.find((x) => x.verdict === 'act')!;
    expect(alice.actions[0]!.outcome).toBe('applied');
    expect(lines.some((l) => /ACT after prices_updated/.test(l) && /top_up 855 → applied/.test(l))).toBe(
      true,
    );

    // dave: reduce f = (MM − τE)/(MM − τφN) = (225 − 0.2·270)/(225 − 0.2·0.0005·55,000) = 171/219.5
    // = 0.7790… of 1 BTC, rounded up to the 0.001 lot: a reduce-only sell of 0.78 at the mark.
    const dave = await until(
      async () => (await decisionsOf('dave')).decisions.find((x) => x.verdict === 'act'),
      "dave's reduction",
    );
    expect(dave.actions).toEqual([
      expect.objectContaining({ kind: 'reduce', amount: '0.78', outcome: 'placed' }),
    ]);
    const orders = await client('dave').request<{ orders: unknown[] }>('GET', '/v1/orders?account=dave');
    expect(orders.orders).toEqual([
      expect.objectContaining({ side: 'sell', amount: '0.78', price: '55000', reduceOnly: true }),
    ]);

    // A further price tick inside the band: the agents hold, nothing moves.
    await client('feed').prices({ marks: { BTCUSDT: '55100' } });
    await new Promise((r) => setTimeout(r, 500));
    expect(await balance('alice', '0')).toBe('6125');
  }, 60_000);

  it('the_command_decides_once_as_json_and_refuses_bad_input_with_nothing_done', async () => {
    const before = await client('op').state();
    const carolBefore = (await decisionsOf('carol')).decisions.length;
    const refused = async (o: AgentCliOptions) => {
      const e = await startAgent(o, { write: () => {}, retryDelayMs: 10 }).then(
        () => undefined,
        (x: unknown) => x as Error,
      );
      expect(e, 'refused').toBeInstanceOf(Error);
      return e!;
    };
    // an impossible band (target beyond the trigger) is refused before the service is asked
    expect((await refused(options('alice', { trigger: '20%', target: '30%' }))).message).toMatch(
      /target margin ratio 30% must be below the trigger 20%.*TARGET_NOT_SAFER/,
    );
    const unknown = await refused(options('nobody', { key: keyFile('op') }));
    expect(unknown).toMatchObject({
      name: 'UsageError',
      message: expect.stringMatching(/unknown subaccount nobody\/0/),
    });
    const forbidden = await refused(options('carol', { key: keyFile('alice') }));
    expect(forbidden.message).toMatch(/key alice may not act on account carol.*FORBIDDEN/);
    const reserve = await refused(options('alice', { reserveSub: 'savings' }));
    expect(reserve.message).toMatch(/no subaccount savings to top up from/);
    const unreachable = await refused(options('alice', { server: 'http://127.0.0.1:9' }));
    expect(unreachable).toMatchObject({ code: 'UNREACHABLE' });
    expect(unreachable.message).toMatch(/cannot reach the service at http:\/\/127\.0\.0\.1:9/);
    // nothing was done: the journal did not move, no decision was stored
    expect((await client('op').state()).seq).toBe(before.seq);
    expect((await decisionsOf('carol')).decisions).toHaveLength(carolBefore);
    expect(
      (await client('op').request<Decisions>('GET', '/v1/accounts/nobody/agent-decisions')).decisions,
    ).toEqual([]);

    // The command as a user runs it: one decision with --once --json; an unknown strategy is a usage error.
    const common = ['--account', 'alice', '--key', keyFile('alice'), '--server', service.url];
    const [once, strategy] = await Promise.all([
      run([
        'agent',
        '--strategy',
        'band',
        ...common,
        '--trigger',
        '50%',
        '--target',
        '20%',
        '--once',
        '--json',
      ]),
      run(['agent', '--strategy', 'martingale', ...common]),
    ]);
    expect(once.code, once.stderr).toBe(0);
    const lines = once.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.verdict)).toEqual(['started', 'hold']);
    expect(lines[1].figures).toMatchObject({ equity: expect.any(String), reserve: '9145' });
    expect(strategy.code).toBe(2);
    expect(strategy.stderr).toMatch(/martingale/);
    expect(strategy.stderr).toMatch(/band, probability/);
  }, 120_000);
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
