/**
 * The cluster's JetStream plumbing (@nats-io/jetstream): connect, create the three streams and
 * the durable consumers if missing (idempotent, so every process may do it at start), publish
 * with a message id (`Nats-Msg-Id`: the server drops a repeat inside the duplicate window) and
 * delete a cluster's streams.
 *
 * Consumers: explicit ack, deliver-all, `ack_wait` long enough for a journal commit; a message not
 * acked (its worker died before the commit) is delivered again, to the restarted worker.
 */
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, createInbox, headers, type NatsConnection, nanos } from '@nats-io/transport-node';
import type { ClusterNames } from './names.ts';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** Header naming the core NATS subject a command's outcome is sent to. */
export const REPLY_HEADER = 'Plimsoll-Reply';
/** How long JetStream remembers a message id to drop a repeated publish. */
const DUPLICATE_WINDOW_MS = 120_000;
/** How long a partition's consumer waits for an ack before delivering a message again (production). */
export const ACK_WAIT_MS = 30_000;

export interface TopologyOptions {
  /**
   * The partition consumers' `ack_wait` (default ACK_WAIT_MS), applied when a consumer is created
   * (an existing consumer keeps its own). Tests shorten it to make a slow commit outlast it.
   */
  readonly ackWaitMs?: number;
}

export interface ClusterBus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
}

export async function connectBus(url: string = DEFAULT_NATS_URL, name?: string): Promise<ClusterBus> {
  const nc = await connect({
    servers: url,
    ...(name === undefined ? {} : { name }),
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: 5000,
  });
  const jsm = await jetstreamManager(nc);
  return { nc, js: jetstream(nc), jsm };
}

/** Creates the streams and the consumers of `partitions` partitions and the coordinator, if missing. */
export async function ensureTopology(
  bus: ClusterBus,
  names: ClusterNames,
  partitions: number,
  options: TopologyOptions = {},
): Promise<void> {
  const streams: [string, string][] = [
    [names.commandStream, `${names.name}.cmd.*`],
    [names.broadcastStream, names.broadcastSubject],
    [names.coordinatorStream, names.coordinatorSubject],
  ];
  for (const [name, subject] of streams) {
    try {
      await bus.jsm.streams.info(name);
    } catch {
      await bus.jsm.streams.add({ name, subjects: [subject], duplicate_window: nanos(DUPLICATE_WINDOW_MS) });
    }
  }
  const consumers: [string, string, string, number][] = [];
  const partitionAckWait = options.ackWaitMs ?? ACK_WAIT_MS;
  for (let p = 0; p < partitions; p++) {
    consumers.push([names.commandStream, names.consumer(p), names.commandSubject(p), partitionAckWait]);
    consumers.push([names.broadcastStream, names.consumer(p), names.broadcastSubject, partitionAckWait]);
  }
  consumers.push([names.coordinatorStream, names.coordinatorConsumer, names.coordinatorSubject, ACK_WAIT_MS]);
  for (const [stream, durable, subject, ackWaitMs] of consumers) {
    try {
      await bus.jsm.consumers.info(stream, durable);
    } catch {
      await addConsumer(bus, stream, durable, subject, ackWaitMs);
    }
  }
}

function addConsumer(
  bus: ClusterBus,
  stream: string,
  durable: string,
  subject: string,
  ackWaitMs: number,
  startSeq?: number,
) {
  return bus.jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    ...(startSeq === undefined
      ? { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq }),
    filter_subject: subject,
    ack_wait: nanos(ackWaitMs),
    max_ack_pending: 10_000,
  });
}

/**
 * Takes over a durable consumer whose previous owner died: messages it had been delivered but
 * never acked would come back only after `ack_wait`; recreating the consumer from its ack floor
 * delivers them now (those past the floor already acked come again too: a repeat, harmless).
 * Only the partition's single writer calls it — it holds the journal's lock, so the previous
 * owner's database session, and with it the owner, is gone.
 */
export async function takeOverConsumer(
  bus: ClusterBus,
  stream: string,
  durable: string,
  subject: string,
): Promise<void> {
  const info = await bus.jsm.consumers.info(stream, durable);
  if (info.num_ack_pending === 0) return;
  await bus.jsm.consumers.delete(stream, durable);
  // the recreated consumer keeps the old one's ack_wait (nanoseconds in the info)
  const ackWaitMs = Math.round(Number(info.config.ack_wait ?? nanos(ACK_WAIT_MS)) / 1e6);
  await addConsumer(bus, stream, durable, subject, ackWaitMs, info.ack_floor.stream_seq + 1);
}

/** Publishes `body` as JSON with a message id (and a reply subject for the outcome, if given). */
export async function publishCommand(
  bus: ClusterBus,
  subject: string,
  body: unknown,
  msgID: string,
  replyTo?: string,
): Promise<{ seq: number; duplicate: boolean }> {
  const h = headers();
  if (replyTo !== undefined) h.set(REPLY_HEADER, replyTo);
  const ack = await bus.js.publish(subject, JSON.stringify(body), { msgID, headers: h });
  return { seq: ack.seq, duplicate: ack.duplicate };
}

/**
 * Publishes `body` with a reply subject and waits up to `waitMs` for the one answer:
 * `{answer}`, or `{duplicate: true}` when JetStream dropped a repeated message id (no worker sees
 * that copy), or `{}` when nothing came in time (the message is durable and will be applied).
 */
export async function publishAndAwait(
  bus: ClusterBus,
  subject: string,
  body: unknown,
  msgID: string,
  waitMs: number,
): Promise<{ answer?: unknown; duplicate?: true }> {
  const inbox = createInbox();
  const sub = bus.nc.subscribe(inbox, { max: 1 });
  try {
    const { duplicate } = await publishCommand(bus, subject, body, msgID, inbox);
    if (duplicate) return { duplicate: true };
    const timer = setTimeout(() => sub.unsubscribe(), waitMs);
    for await (const m of sub) {
      clearTimeout(timer);
      return { answer: m.json<unknown>() };
    }
    return {};
  } finally {
    sub.unsubscribe();
  }
}

/** Deletes a cluster's streams (and with them their consumers); missing ones are fine. */
export async function deleteTopology(bus: ClusterBus, names: ClusterNames): Promise<void> {
  for (const s of [names.commandStream, names.broadcastStream, names.coordinatorStream]) {
    await bus.jsm.streams.delete(s).catch(() => false);
  }
}
