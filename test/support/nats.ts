/**
 * NATS with JetStream for tests: the server at PLIMSOLL_NATS_URL (default nats://127.0.0.1:4222).
 * When it cannot be reached the cluster tests are skipped with the reason printed — unless
 * PLIMSOLL_REQUIRE_NATS=1 (CI, where .ci/start-nats starts it), where that is a failure.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export const NATS_URL = process.env.PLIMSOLL_NATS_URL ?? 'nats://127.0.0.1:4222';

let probe: Promise<string | undefined> | undefined;

function unreachable(): Promise<string | undefined> {
  probe ??= (async () => {
    try {
      const nc = await connect({ servers: NATS_URL, timeout: 3000, reconnect: false });
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.getAccountInfo();
        return undefined;
      } finally {
        await nc.close();
      }
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  })();
  return probe;
}

/** Whether the NATS variant of `what` runs (see the header). */
export async function natsAvailable(what: string): Promise<boolean> {
  const why = await unreachable();
  if (why === undefined) return true;
  const message = `NATS JetStream at ${NATS_URL} is unreachable (${why})`;
  if (process.env.PLIMSOLL_REQUIRE_NATS === '1') {
    throw new Error(`${message}, and PLIMSOLL_REQUIRE_NATS=1: ${what} must run`);
  }
  console.warn(`skipping ${what}: ${message} (set PLIMSOLL_NATS_URL, or PLIMSOLL_REQUIRE_NATS=1 to fail)`);
  return false;
}

/** A cluster name no other test (or test process) uses. */
export function freshClusterName(): string {
  return `t${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
}
