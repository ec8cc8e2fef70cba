/**
 * Names of a cluster's JetStream streams, subjects, consumers and PostgreSQL schemas, all derived
 * from one cluster name so several clusters (and concurrent test runs) share one NATS server and
 * one database without meeting.
 */

export class ClusterNameError extends Error {
  override name = 'ClusterNameError';
}

export interface ClusterNames {
  readonly name: string;
  /** Stream of partition commands; subject `<name>.cmd.<partition>`. */
  readonly commandStream: string;
  commandSubject(partition: number): string;
  /** Stream of broadcasts (prices, oracle, configuration): one subject, one order. */
  readonly broadcastStream: string;
  readonly broadcastSubject: string;
  /** Stream of the coordinator's commands (shortfalls, fund deposits). */
  readonly coordinatorStream: string;
  readonly coordinatorSubject: string;
  /** Durable consumer of a partition (on the command and the broadcast streams). */
  consumer(partition: number): string;
  readonly coordinatorConsumer: string;
  /** Core NATS subject a partition answers state queries on. */
  querySubject(partition: number): string;
  /** PostgreSQL schema of a partition's journal and snapshots. */
  partitionSchema(partition: number): string;
  readonly coordinatorSchema: string;
}

export function clusterNames(name: string): ClusterNames {
  // a NATS subject token, a stream name and (with a suffix) a PostgreSQL identifier
  if (!/^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(name)) {
    throw new ClusterNameError(
      `cluster name ${JSON.stringify(name)}: a letter, then letters, digits or _ (at most 40)`,
    );
  }
  return {
    name,
    commandStream: `${name}_CMD`,
    commandSubject: (p) => `${name}.cmd.${p}`,
    broadcastStream: `${name}_BCAST`,
    broadcastSubject: `${name}.bcast`,
    coordinatorStream: `${name}_COORD`,
    coordinatorSubject: `${name}.coord`,
    consumer: (p) => `p${p}`,
    coordinatorConsumer: 'coord',
    querySubject: (p) => `${name}.query.${p}`,
    partitionSchema: (p) => `${name.toLowerCase()}_p${p}`,
    coordinatorSchema: `${name.toLowerCase()}_coord`,
  };
}
