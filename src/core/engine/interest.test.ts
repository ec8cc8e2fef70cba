/**
 * Interest-bearing balances through the engine (`accrue_interest`), numbers by hand from the
 * kinked curve (collateral/interest.ts): USDC with U* 80 %, slope1 4 %, slope2 60 %, protocol
 * share 10 %. Alice supplies 1,000 USDC, Bob borrows 400 against BTC: U = 40 %, the borrow rate
 * is 0.04 × 0.4 / 0.8 = 2 % a year and the deposit rate 2 % × 0.4 × 0.9 = 0.72 %.
 */
import { describe, expect, it } from 'vitest';
import { assertConserved } from '../../../test/support/conservation.ts';
import { FaultyJournal } from '../../../test/support/faulty-journal.ts';
import { YEAR_MS } from '../collateral/interest.ts';
import type { EngineConfigInput } from '../model/engine-config.ts';
import type { InterestConfigInput } from '../model/interest-config.ts';
import { Engine } from './engine.ts';

const YEAR = Number(YEAR_MS);
const USDC_INTEREST = { optimalUtilization: '0.8', slope1: '0.04', slope2: '0.6', protocolShare: '0.1' };

function config(interest: InterestConfigInput | null = USDC_INTEREST): EngineConfigInput {
  return {
    settlementAsset: 'USDC',
    assets: [
      { id: 'USDC', decimals: 6, ...(interest ? { interest } : {}) },
      { id: 'BTC', decimals: 8, initialWeight: '0.7', maintenanceWeight: '0.75' },
    ],
    liquidation: { lending: {} },
  };
}

function lending(journal?: FaultyJournal): Engine {
  const e = Engine.create(config(), journal ? { journal } : {});
  e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { BTC: '60000' } });
  e.executeOrThrow({ type: 'deposit', to: { account: 'alice' }, asset: 'USDC', amount: '1000' });
  e.executeOrThrow({ type: 'deposit', to: { account: 'bob' }, asset: 'BTC', amount: '0.1' });
  e.executeOrThrow({ type: 'borrow', subaccount: { account: 'bob' }, amount: '400' });
  return e;
}
const bal = (e: Engine, who: string) => e.state.subaccounts.get(`${who}/0`)!.balances.get('USDC') ?? 0n;

describe('accrue_interest', () => {
  it('a year at U = 40 %: the debt grows 2 %, the deposit 0.72 %, the protocol keeps the 10 % share', () => {
    const e = lending();
    const [ev] = e.executeOrThrow({ type: 'accrue_interest', asset: 'USDC', elapsedMs: YEAR });
    expect(bal(e, 'bob')).toBe(-408_000_000n);
    expect(bal(e, 'alice')).toBe(1_007_200_000n);
    expect(e.state.insurance.get('USDC')).toBe(800_000n);
    expect(ev).toMatchObject({
      interestPaid: 8_000_000n,
      interestReceived: 7_200_000n,
      protocolAmount: 800_000n,
    });
    assertConserved(e.state);
  });

  it('rates follow utilization: after Bob borrows 400 more, U = 80 % and the rate is 4 %', () => {
    const e = lending();
    e.executeOrThrow({ type: 'deposit', to: { account: 'bob' }, asset: 'BTC', amount: '0.1' });
    e.executeOrThrow({ type: 'borrow', subaccount: { account: 'bob' }, amount: '400' });
    e.executeOrThrow({ type: 'accrue_interest', asset: 'USDC', elapsedMs: YEAR / 2 });
    // half a year at 4 %: 800 → 816; deposits at 4 % × 0.8 × 0.9 = 2.88 % → 1,000 → 1,014.4
    expect(bal(e, 'bob')).toBe(-816_000_000n);
    expect(bal(e, 'alice')).toBe(1_014_400_000n);
    expect(e.state.insurance.get('USDC')).toBe(1_600_000n);
    assertConserved(e.state);
  });

  it('rounds debts up and deposits down; the unit of rounding goes to the protocol', () => {
    const e = lending();
    // 1 ms: the debt grows by 400 × 0.02 / 31,536,000,000 USDC = 0.000254 units → 1 unit;
    // the deposit by 0.000228 units → 0.
    e.executeOrThrow({ type: 'accrue_interest', asset: 'USDC', elapsedMs: 1 });
    expect(bal(e, 'bob')).toBe(-400_000_001n);
    expect(bal(e, 'alice')).toBe(1_000_000_000n);
    expect(e.state.insurance.get('USDC')).toBe(1n);
    assertConserved(e.state);
  });

  it('deposits and withdrawals between accruals keep balances exact (scaled balances read back to the unit)', () => {
    const e = lending();
    e.executeOrThrow({ type: 'accrue_interest', asset: 'USDC', elapsedMs: YEAR / 3 });
    const before = bal(e, 'alice');
    e.executeOrThrow({ type: 'deposit', to: { account: 'alice' }, asset: 'USDC', amount: '0.000001' });
    expect(bal(e, 'alice')).toBe(before + 1n);
    e.executeOrThrow({ type: 'withdraw', from: { account: 'alice' }, asset: 'USDC', amount: '0.000001' });
    expect(bal(e, 'alice')).toBe(before);
    assertConserved(e.state);
  });

  it('replays from the journal to the same state hash', () => {
    const journal = new FaultyJournal();
    const e = lending(journal);
    e.executeOrThrow({ type: 'accrue_interest', asset: 'USDC', elapsedMs: 12_345_678 });
    e.executeOrThrow({ type: 'deposit', to: { account: 'carol' }, asset: 'USDC', amount: '3.3' });
    e.executeOrThrow({ type: 'accrue_interest', asset: 'USDC', elapsedMs: 7 });
    const reopened = Engine.open(journal);
    expect(reopened.stateHash()).toBe(e.stateHash());
    e.snapshot();
    expect(Engine.open(journal).stateHash()).toBe(e.stateHash());
  });

  it.each([
    [{ type: 'accrue_interest', asset: 'USDC', elapsedMs: -1 }, 'STALE_TIME'],
    [{ type: 'accrue_interest', asset: 'BTC', elapsedMs: 1000 }, 'INVALID_CONFIG'],
    [{ type: 'accrue_interest', asset: 'DOGE', elapsedMs: 1000 }, 'UNKNOWN_ASSET'],
    [{ type: 'accrue_interest', asset: 'USDC', elapsedMs: 1.5 }, 'MALFORMED_COMMAND'],
    [
      {
        type: 'set_asset',
        config: {
          id: 'USDC',
          decimals: 6,
          interest: { optimalUtilization: '1', slope1: '0.04', slope2: '0.6' },
        },
      },
      'MALFORMED_COMMAND',
    ],
    [
      {
        type: 'set_asset',
        config: {
          id: 'USDC',
          decimals: 6,
          interest: { optimalUtilization: '0.8', slope1: '-0.04', slope2: '0.6' },
        },
      },
      'MALFORMED_COMMAND',
    ],
  ])('refuses %j with a typed rejection and no state change', (command, code) => {
    const e = lending();
    const h = e.stateHash();
    const r = e.execute(command);
    expect(r.ok ? '' : r.rejection.code).toBe(code);
    expect(e.stateHash()).toBe(h);
  });

  it('an engine configuration with a bad curve is refused', () => {
    expect(() =>
      Engine.create(
        config({ optimalUtilization: '0.8', slope1: '0.04', slope2: '0.6', protocolShare: '-0.1' }),
      ),
    ).toThrow(/protocolShare/);
  });

  it('interest switched on later scales the balances already held', () => {
    const e = Engine.create(config(null));
    e.executeOrThrow({ type: 'prices', timeMs: 1, assets: { BTC: '60000' } });
    e.executeOrThrow({ type: 'deposit', to: { account: 'alice' }, asset: 'USDC', amount: '1000' });
    e.executeOrThrow({ type: 'deposit', to: { account: 'bob' }, asset: 'BTC', amount: '0.1' });
    e.executeOrThrow({ type: 'borrow', subaccount: { account: 'bob' }, amount: '400' });
    expect(e.state.interest).toBeUndefined();
    e.executeOrThrow({ type: 'set_asset', config: { id: 'USDC', decimals: 6, interest: USDC_INTEREST } });
    e.executeOrThrow({ type: 'accrue_interest', asset: 'USDC', elapsedMs: YEAR });
    expect(bal(e, 'bob')).toBe(-408_000_000n);
    expect(bal(e, 'alice')).toBe(1_007_200_000n);
    assertConserved(e.state);
  });
});
