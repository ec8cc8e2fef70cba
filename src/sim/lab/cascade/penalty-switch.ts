/**
 * The dynamic-penalty mechanism (../mechanisms.ts `penalty`): while the book's mid is more than
 * `displacementAbove` from the market price, the engine's liquidation policy carries the lower
 * penalty ramp; when the book has recovered, the policy's own ramp comes back. Each switch is a
 * `set_policy` command (the engine's rules are not bypassed). The policy's own liquidation
 * settings are tracked through `base` (a policy may change them in its minute tick).
 */

import type { PenaltyOptions } from '../mechanisms.ts';
import type { LiquidationPolicyInput } from '../policies.ts';
import type { RunContext } from './context.ts';

export class PenaltySwitch {
  /** Whether the lower ramp is in force. */
  private low = false;
  switches = 0;

  constructor(
    private readonly ctx: RunContext,
    private readonly opts: PenaltyOptions,
    private base: LiquidationPolicyInput,
  ) {}

  /** The policy changed its liquidation settings: the new base (re-applied with the low ramp if in force). */
  rebase(base: LiquidationPolicyInput): void {
    this.base = base;
    if (this.low) this.apply();
  }

  /** Looks at the book's displacement and switches the ramp when it crosses the bound. */
  update(): void {
    const stressed = Math.abs(this.ctx.book.displacement) > this.opts.displacementAbove;
    if (stressed === this.low) return;
    this.low = stressed;
    this.switches++;
    this.apply();
  }

  private apply(): void {
    this.ctx.exec({
      type: 'set_policy',
      liquidation: this.low
        ? { ...this.base, minPenalty: this.opts.minPenalty, maxPenalty: this.opts.maxPenalty }
        : this.base,
    });
  }
}
