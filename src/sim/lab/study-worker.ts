/**
 * Worker-thread entry of the study pool (./study-pool.ts): runs each task it is sent and posts
 * the outcome back with the task's index (or the error's message).
 */
import { parentPort } from 'node:worker_threads';
import { runStudyTask, type StudyTask } from './study.ts';

parentPort?.on('message', (m: { i: number; task: StudyTask }) => {
  try {
    parentPort!.postMessage({ i: m.i, outcome: runStudyTask(m.task) });
  } catch (e) {
    parentPort!.postMessage({ i: m.i, error: e instanceof Error ? e.message : String(e) });
  }
});
