/**
 * Bench block c's durable run (bench/durable-fills.ts) in a fresh V8 isolate: a worker thread of
 * its own, so its figure does not depend on what the process ran before it. In one process, the
 * block's journal part (another engine, on a synchronous SQLite journal, 20,000 accounts) left the
 * engine's shared code compiled with that run's type feedback, and the durable run's engine thread
 * then spent about a fifth more CPU per fill than in a fresh process (docs/scale.md, 8 Dec). The
 * worker is the durable run's engine thread: its CPU, its wait for a CPU and its event loop's
 * utilization are its own; the commit worker it starts is a thread of this process, as before.
 *
 * Run as the worker (workerData: { fills, inFlight }), it posts `durableFills`' result back.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { durableFills } from './durable-fills.ts';

type DurableResult = Awaited<ReturnType<typeof durableFills>>;

/** `durableFills(fills, inFlight)` run in a worker thread (its own isolate); resolves with its result. */
export function durableFillsIsolated(fills: number, inFlight: number): Promise<DurableResult> {
  return new Promise((resolve, reject) => {
    // Node 20 does not carry tsx's module hooks into workers: the worker registers them itself
    // (tsx's API), then imports this module, which runs the durable run and posts its result.
    const tsx = import.meta.resolve('tsx/esm/api');
    const self = import.meta.url;
    const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(self)}); })`;
    const w = new Worker(boot, { eval: true, workerData: { fills, inFlight } });
    let result: DurableResult | undefined;
    w.once('message', (r: DurableResult) => {
      result = r;
    });
    w.once('error', reject);
    w.once('exit', (code) => {
      if (result !== undefined) resolve(result);
      else reject(new Error(`durable fills worker exited (code ${code}) without a result`));
    });
  });
}

if (!isMainThread && parentPort !== null && (workerData as { fills?: unknown })?.fills !== undefined) {
  const { fills, inFlight } = workerData as { fills: number; inFlight: number };
  parentPort.postMessage(await durableFills(fills, inFlight));
}
