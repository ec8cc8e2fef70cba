/**
 * A re-mark worker (./parallel-remark.ts): parks on the control block, and on each generation
 * re-marks its scope range of the shared columns (./remark-kernel.ts), then counts itself done.
 * New column buffers arrive on its MessagePort before the generation that needs them.
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { columnsFrom, DONE, GEN, type RemarkBuffers, rangeOf, STOP, VERSION } from './parallel-remark.ts';
import { remarkScopes } from './remark-kernel.ts';

const { control, port, index, threads } = workerData as {
  control: Int32Array;
  port: MessagePort;
  index: number;
  threads: number;
};

let buffers: RemarkBuffers | undefined;
let gen = Atomics.load(control, GEN);
parentPort!.postMessage('ready');
for (;;) {
  Atomics.wait(control, GEN, gen);
  gen = Atomics.load(control, GEN);
  if (Atomics.load(control, STOP) === 1) break;
  const version = Atomics.load(control, VERSION);
  while (buffers === undefined || buffers.version < version) {
    const m = receiveMessageOnPort(port);
    if (m) buffers = m.message as RemarkBuffers;
    else Atomics.wait(control, STOP, 0, 1); // the message is on its way
  }
  const c = columnsFrom(buffers);
  const [lo, hi] = rangeOf(c.n, index, threads);
  remarkScopes(c, lo, hi);
  Atomics.add(control, DONE, 1);
  Atomics.notify(control, DONE);
}
