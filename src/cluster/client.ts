/**
 * Talking to a cluster: route a command (partition.ts), publish it on its partition's subject or
 * the broadcast subject with its command id as the message id, and wait for the worker's outcome
 * on a private inbox. A command without an id gets one (the message id must be stable across a
 * retried publish, so a caller that retries must give its own).
 */
import { createInbox } from '@nats-io/transport-node';
import type { CoordinatorOutcome } from './coordinator.ts';
import type { ClusterNames } from './names.ts';
import { type ClusterBus, publishCommand } from './nats.ts';
import { type RouteRejectionCode, routeCommand } from './partition.ts';
import type { PartitionStatus, WorkerOutcome } from './worker.ts';

export type SubmitResult =
  | WorkerOutcome
  | { ok: false; rejection: { code: RouteRejectionCode; message: string }; cluster: true }
  /** Published (durable in the stream) but no outcome within the wait: it will be applied. */
  | { ok: 'pending'; subject: string; streamSeq: number; duplicate?: true };

let counter = 0;

export class ClusterClient {
  constructor(
    readonly bus: ClusterBus,
    readonly names: ClusterNames,
    readonly partitions: number,
  ) {}

  /**
   * Submits one command; a broadcast answers with partition 0's outcome (every partition applies it).
   * `waitMs: 0` publishes without waiting for the outcome.
   */
  async submit(command: Record<string, unknown>, waitMs = 10_000): Promise<SubmitResult> {
    const route = routeCommand(command, this.partitions);
    if (route.kind === 'rejected') {
      return { ok: false, rejection: { code: route.code, message: route.message }, cluster: true };
    }
    const id =
      typeof command.commandId === 'string'
        ? command.commandId
        : `gw-${process.pid}-${Date.now()}-${++counter}`;
    const body = { ...command, commandId: id };
    const subject =
      route.kind === 'broadcast' ? this.names.broadcastSubject : this.names.commandSubject(route.partition);
    const msgID = `${route.kind === 'broadcast' ? 'b' : 'c'}:${id}`;
    const first = await this.publishAndWait(subject, body, msgID, waitMs);
    if (first.ok !== 'pending' || first.duplicate !== true || route.kind === 'broadcast' || waitMs <= 0)
      return first;
    // JetStream dropped the repeat, so no worker answers it: ask the partition again under a
    // fresh message id; its engine knows the command id and answers with the first outcome
    return this.publishAndWait(subject, body, `${msgID}:again:${++counter}`, waitMs);
  }

  /** Publishes a raw body on a partition's subject (tests: wrong-partition and duplicate deliveries). */
  async submitRaw(subject: string, body: unknown, msgID: string, waitMs = 10_000): Promise<SubmitResult> {
    return this.publishAndWait(subject, body, msgID, waitMs);
  }

  /** Sends a command to the coordinator (fund contributions; shortfalls come from partitions). */
  async coordinator(
    body: unknown,
    msgID: string,
    waitMs = 10_000,
  ): Promise<CoordinatorOutcome | { ok: 'pending' }> {
    const r = await this.publishAndWait(this.names.coordinatorSubject, body, msgID, waitMs);
    return r as unknown as CoordinatorOutcome | { ok: 'pending' };
  }

  /** A partition's status (and one account's subaccounts, when named). */
  async query(partition: number, account?: string, timeoutMs = 5000): Promise<QueryAnswer> {
    const msg = await this.bus.nc.request(
      this.names.querySubject(partition),
      JSON.stringify(account ? { account } : {}),
      {
        timeout: timeoutMs,
      },
    );
    return msg.json<QueryAnswer>();
  }

  private async publishAndWait(
    subject: string,
    body: unknown,
    msgID: string,
    waitMs: number,
  ): Promise<SubmitResult> {
    if (waitMs <= 0) {
      const { seq, duplicate } = await publishCommand(this.bus, subject, body, msgID);
      return { ok: 'pending', subject, streamSeq: seq, ...(duplicate ? { duplicate: true } : {}) };
    }
    const inbox = createInbox();
    const sub = this.bus.nc.subscribe(inbox, { max: 1 });
    try {
      const { seq, duplicate } = await publishCommand(this.bus, subject, body, msgID, inbox);
      // JetStream dropped a repeated message id: no worker will see (or answer) this copy
      if (duplicate) return { ok: 'pending', subject, streamSeq: seq, duplicate: true };
      const timer = setTimeout(() => sub.unsubscribe(), waitMs);
      for await (const m of sub) {
        clearTimeout(timer);
        return m.json<SubmitResult>();
      }
      return { ok: 'pending', subject, streamSeq: seq };
    } finally {
      sub.unsubscribe();
    }
  }
}

export interface QueryAnswer {
  status: PartitionStatus;
  ledger?: Record<string, { ledger: string; netDeposits: string }>;
  account?: string;
  subaccounts?: { sub: string; balances: Record<string, string>; positions: Record<string, string> }[];
}
