/**
 * The `accrue_interest` command (docs/funding-and-interest.md): one accrual of an
 * interest-bearing asset. The handler computes the rates at the asset's utilization now, the new
 * indexes and what every balance becomes (collateral/interest.ts), and records them in one
 * `interest_accrued` event; evolve re-applies the indexes and checks the protocol's amount.
 */
import { accrual, fromScaled } from '../collateral/interest.ts';
import { InvariantError } from '../num/index.ts';
import type { Command } from './commands.ts';
import type { CommandContext } from './context.ts';
import { reject } from './errors.ts';

type Cmd<T extends Command['type']> = Extract<Command, { type: T }>;

export function accrueInterest(ctx: CommandContext, c: Cmd<'accrue_interest'>): void {
  const asset = ctx.asset(c.asset);
  const state = ctx.state;
  const i = state.interest?.get(asset.id);
  if (!asset.interest || !i) reject('INVALID_CONFIG', `asset ${asset.id} bears no interest`);
  if (c.elapsedMs < 0) reject('STALE_TIME', `elapsedMs ${c.elapsedMs}: interest cannot run backwards`);
  ctx.checkTime(c.timeMs);
  if (c.elapsedMs === 0) return;
  let deposits = 0n;
  let borrows = 0n;
  for (const key of i.scaled.keys()) {
    const b = state.subaccounts.get(key)?.balances.get(asset.id) ?? 0n;
    if (b > 0n) deposits += b;
    else borrows -= b;
  }
  const next = accrual(asset.interest, i, { deposits, borrows }, BigInt(c.elapsedMs));
  let paid = 0n;
  let received = 0n;
  for (const [key, scaled] of i.scaled) {
    const before = state.subaccounts.get(key)?.balances.get(asset.id) ?? 0n;
    const after = fromScaled(scaled, next.depositIndex, next.borrowIndex);
    if (scaled >= 0n) received += after - before;
    else paid += before - after;
  }
  const protocolAmount = paid - received;
  // Deposits earn D·R·U·(1 − share) ≤ B·R with U ≤ B/D, rounded in the protocol's favour.
  if (protocolAmount < 0n || received < 0n || paid < 0n)
    throw new InvariantError(`interest on ${asset.id}: paid ${paid} < received ${received}`);
  ctx.emit({
    type: 'interest_accrued',
    asset: asset.id,
    timeMs: c.timeMs ?? state.timeMs,
    elapsedMs: c.elapsedMs,
    ...next,
    interestPaid: paid,
    interestReceived: received,
    protocolAmount,
  });
}
