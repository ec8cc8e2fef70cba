/**
 * A pool of worker threads for the study's runs. Hand-written because it is a dozen lines over
 * node:worker_threads: each worker takes one task at a time (the next in task order), and each
 * outcome goes back to its task's index, so the result does not depend on the number of workers
 * or on which finished first.
 *
 * Under tsx or vitest (this file is .ts) the workers register tsx's loader and import the
 * TypeScript sources; from the built package they load the compiled .js.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * The worker: the compiled .js directly, or (from .ts sources) a small bootstrap that registers
 * tsx's loader in the thread and then imports the .ts entry.
 */
function newWorker(): Worker {
  const ts = import.meta.url.endsWith('.ts');
  const url = new URL(ts ? './study-worker.ts' : './study-worker.js', import.meta.url);
  if (!ts) return new Worker(url);
  // The ESM build of tsx's API (require.resolve finds the CommonJS one beside it).
  const api = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true });
}

/**
 * Runs `tasks` on `workers` threads of ./study-worker (which runs study tasks); outcomes in task
 * order. Generic so that this module does not import the study back.
 */
export function runPool<Task, Outcome>(
  tasks: readonly Task[],
  workers: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Outcome[]> {
  const outcomes = new Array<Outcome>(tasks.length);
  if (tasks.length === 0) return Promise.resolve(outcomes);
  return new Promise((resolve, reject) => {
    let next = 0;
    let done = 0;
    let failed = false;
    const pool: Worker[] = [];
    const stopAll = () => {
      for (const w of pool) void w.terminate();
    };
    const feed = (w: Worker) => {
      if (next < tasks.length) {
        const i = next++;
        w.postMessage({ i, task: tasks[i] });
      } else void w.terminate();
    };
    for (let k = 0; k < Math.min(workers, tasks.length); k++) {
      const w = newWorker();
      pool.push(w);
      w.on('message', (m: { i: number; outcome?: Outcome; error?: string }) => {
        if (failed) return;
        if (m.error !== undefined) {
          failed = true;
          stopAll();
          reject(new Error(`study run ${JSON.stringify(tasks[m.i])} failed: ${m.error}`));
          return;
        }
        outcomes[m.i] = m.outcome!;
        done++;
        onProgress?.(done, tasks.length);
        if (done === tasks.length) {
          stopAll();
          resolve(outcomes);
        } else feed(w);
      });
      w.on('error', (e) => {
        if (failed) return;
        failed = true;
        stopAll();
        reject(e);
      });
      feed(w);
    }
  });
}
