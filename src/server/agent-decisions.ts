/**
 * Decisions of trader-side agents (`plimsoll agent`): what a margin-management strategy saw, what
 * it did and how that went, posted by the agent so the operator and the trader see the same
 * record on the console as the agent's own log.
 *
 * A decision is the agent's statement, not an engine fact: the engine's journal holds only what
 * the engine executed (the agent's transfers and orders are ordinary commands there, under the
 * command ids a decision names). The service keeps the newest `perAccount` decisions of each
 * account in memory and, when given a file, appends each one as a JSON line next to the journal
 * so they survive a restart (the same scheme as the operator audit trail). A decision id is
 * unique per account: a repeated post (an agent retrying after a lost reply) is answered with the
 * stored record and changes nothing.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { commandId, idString } from './wire/common.ts';
import { decimal } from './wire/decimal.ts';

const text = (max: number) => z.string().max(max);

export const AgentActionSchema = z.strictObject({
  kind: z.enum(['top_up', 'repay', 'reduce', 'delever', 'swap', 'hedge']),
  /** Money (top_up, repay, delever, swap) in the settlement asset, or a size (reduce, hedge) in base units. */
  amount: decimal,
  /** The engine command id the action was sent under (its idempotency key). */
  commandId: commandId.optional(),
  outcome: z.enum(['applied', 'replayed', 'placed', 'failed', 'skipped']),
  /** Journal seq of the command's last event when it was applied. */
  seq: z.number().int().nonnegative().optional(),
  error: text(500).optional(),
});

export const AgentDecisionBody = z.strictObject({
  /** Unique per account (the agent derives it from the trigger), 1-128 of [A-Za-z0-9_.:-]. */
  id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, { error: 'id: 1-128 letters, digits and _ . : -' }),
  /** When the agent decided (ms since the epoch). */
  timeMs: z.number().int().nonnegative(),
  strategy: text(64),
  sub: idString.optional(),
  /** What woke the agent: the event's seq and type ('start' on start-up). */
  trigger: z.strictObject({ seq: z.number().int().nonnegative(), event: text(64) }),
  /** The figures the strategy saw: decimal strings (or null), e.g. equity, maintenanceMargin, marginRatio. */
  figures: z
    .record(idString, text(64).nullable())
    .refine((r) => Object.keys(r).length <= 24, { error: 'figures: at most 24 entries' }),
  verdict: z.enum(['started', 'act', 'hold', 'cooldown', 'stopped']),
  actions: z.array(AgentActionSchema).max(10),
  reason: text(500),
});
export type AgentDecisionInput = z.infer<typeof AgentDecisionBody>;

/** A stored decision: the posted body with the account, the posting key and the receive time. */
export interface AgentDecision extends AgentDecisionInput {
  readonly account: string;
  readonly keyId: string;
  readonly receivedMs: number;
}

export const AgentDecisionSchema = AgentDecisionBody.extend({
  account: z.string(),
  keyId: z.string(),
  receivedMs: z.number(),
});

export const DEFAULT_DECISIONS_PER_ACCOUNT = 200;

/** The newest decisions per account, optionally appended to a JSON-lines file (module header). */
export class AgentDecisionLog {
  private readonly byAccount = new Map<string, AgentDecision[]>();
  private readonly listeners = new Set<(d: AgentDecision) => void>();
  private readonly perAccount: number;
  private readonly file: string | undefined;

  constructor(opts: { file?: string; perAccount?: number } = {}) {
    this.perAccount = opts.perAccount ?? DEFAULT_DECISIONS_PER_ACCOUNT;
    this.file = opts.file;
    if (this.file !== undefined && existsSync(this.file)) {
      for (const line of readFileSync(this.file, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          this.keep(JSON.parse(line) as AgentDecision);
        } catch {
          // a line cut short by a crash mid-append: the decisions before it stand
        }
      }
    }
  }

  /**
   * Stores a decision; a decision id already stored for the account returns the stored one with
   * `replayed` (nothing written, nobody notified).
   */
  record(d: AgentDecision): { decision: AgentDecision; replayed: boolean } {
    const prior = this.byAccount.get(d.account)?.find((x) => x.id === d.id);
    if (prior) return { decision: prior, replayed: true };
    if (this.file !== undefined) appendFileSync(this.file, `${JSON.stringify(d)}\n`, { mode: 0o600 });
    this.keep(d);
    for (const l of this.listeners) l(d);
    return { decision: d, replayed: false };
  }

  /** The newest `limit` decisions of an account, oldest first. */
  list(account: string, limit: number): AgentDecision[] {
    const all = this.byAccount.get(account) ?? [];
    return all.slice(Math.max(0, all.length - limit));
  }

  /** Calls `listener` with every newly stored decision; returns an unsubscribe function. */
  onRecord(listener: (d: AgentDecision) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private keep(d: AgentDecision): void {
    const list = this.byAccount.get(d.account) ?? [];
    list.push(d);
    if (list.length > this.perAccount) list.splice(0, list.length - this.perAccount);
    this.byAccount.set(d.account, list);
  }
}
