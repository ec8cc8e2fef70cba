/**
 * The service on a PostgreSQL journal: signed commands are durable in the database, and a second
 * start on the same schema resumes the same state (skipped with a reason when PostgreSQL is
 * unreachable, unless PLIMSOLL_REQUIRE_POSTGRES=1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PlimsollClient } from '../../src/server/client.ts';
import { createLogger } from '../../src/server/log.ts';
import { startService } from '../../src/server/service.ts';
import { freshSchema, PG_URL, postgresAvailable } from '../support/postgres.ts';

const available = await postgresAvailable('the service on PostgreSQL');
const dir = mkdtempSync(join(tmpdir(), 'plimsoll-serve-pg-'));
const schema = freshSchema();

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!available) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

describe.skipIf(!available)('plimsoll serve on PostgreSQL', () => {
  it('acknowledges durable commands and resumes the same state on restart', async () => {
    const opts = {
      store: PG_URL,
      pgSchema: schema,
      dataDir: dir,
      port: 0,
      logger: createLogger({ level: 'silent' }),
    };
    const first = await startService(opts);
    let hash: string;
    try {
      expect(first.created).toBe(true);
      const op = first.keys.find((k) => k.id === 'operator')!;
      const client = new PlimsollClient({ url: first.url, keyId: op.id, secret: op.secret });
      await Promise.all(
        ['alice', 'bob', 'carol'].map((account) =>
          client.deposit({ account, asset: 'USDT', amount: '1000.25' }),
        ),
      );
      hash = (await client.state()).stateHash;
    } finally {
      await first.close();
    }
    const second = await startService(opts);
    try {
      expect(second.created).toBe(false);
      expect(second.keysCreated).toBe(false);
      expect(second.sink.engine.stateHash()).toBe(hash);
      const op = second.keys.find((k) => k.id === 'operator')!;
      const client = new PlimsollClient({ url: second.url, keyId: op.id, secret: op.secret });
      const carol = (await client.subaccount('carol')) as { balances: Record<string, string> };
      expect(carol.balances.USDT).toBe('1000.25');
    } finally {
      await second.close();
    }
  });
});
