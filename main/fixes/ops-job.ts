// The backups and swaps of an apply, as the fix worker (fix-worker.ts) runs
// them: one link or rename per file, in manifest order, synchronously on
// the worker's core (two thousand thread pool round trips on the main
// thread cost more than the renames). Each is atomic on its own; the
// journal written before the first one says how to undo them all. The abort
// flag is checked before every file; with `stepEach` the worker reports
// each file and waits for the main thread (the crash tests stop the process
// at a named step there).
import { linkSync, renameSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import {
  CONTROL_ABORT,
  JobAborted,
  nextMessage,
  type OpsDone,
  type OpsJob,
} from './fix-worker-protocol';

/** Files between two progress messages when steps are not reported one by one. */
const PROGRESS_EVERY = 64;

/** Runs every operation of the job in order; the first failure stops the rest. */
export async function runOpsJob(job: OpsJob, port: MessagePort): Promise<OpsDone> {
  const control = new Int32Array(job.control);
  const total = job.ops.length;
  for (const [i, op] of job.ops.entries()) {
    if (Atomics.load(control, CONTROL_ABORT) !== 0) throw new JobAborted('aborted');
    if (op?.op === 'link') linkSync(op.from, op.to);
    else if (op?.op === 'rename') renameSync(op.from, op.to);
    if (job.stepEach) {
      port.postMessage({ t: 'step', index: i });
      await nextMessage(port);
    } else if ((i + 1) % PROGRESS_EVERY === 0 || i + 1 === total) {
      port.postMessage({ t: 'step', index: i });
    }
  }
  return { t: 'done' };
}
