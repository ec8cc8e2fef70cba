/** Removing a cluster's data: its JetStream streams and its PostgreSQL schemas (tests, `cluster down --purge`). */
import pg from 'pg';
import type { ClusterNames } from './names.ts';
import { connectBus, deleteTopology } from './nats.ts';

export async function purgeCluster(
  pgUrl: string,
  natsUrl: string,
  names: ClusterNames,
  partitions: number,
): Promise<void> {
  const bus = await connectBus(natsUrl);
  try {
    await deleteTopology(bus, names);
  } finally {
    await bus.nc.close();
  }
  const db = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 10_000 });
  db.on('error', () => {});
  await db.connect();
  try {
    const schemas = [names.coordinatorSchema];
    for (let p = 0; p < partitions; p++) schemas.push(names.partitionSchema(p));
    for (const s of schemas) await db.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await db.end().catch(() => {});
  }
}
