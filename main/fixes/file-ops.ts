// Runs the backups and swaps of an apply on the fix worker (ops-job.ts): one
// link or rename per file, in order, synchronously there. Settles only once
// the worker has stopped, so no rename is still running when the caller
// restores after a failure or an abort.
import {
  CONTROL_ABORT,
  CONTROL_SLOTS,
  type OpsDone,
  type OpsFromWorker,
  type OpsJob,
} from './fix-worker-protocol';
import { runFixJob } from './fix-worker-pool';

export type FileOp = OpsJob['ops'][number];

export interface FileOpsOptions {
  readonly signal?: AbortSignal | undefined;
  /** Called after each file's operation, before the next starts (step hooks); slower: a round trip per file. */
  readonly each?: ((index: number) => void | Promise<void>) | undefined;
  /** Files done so far (every few files). */
  readonly progress?: ((done: number) => void) | undefined;
}

/** Runs `ops` in order; throws the first failure (an errno error), or the signal's reason when aborted. */
export async function runFileOps(
  ops: readonly FileOp[],
  options: FileOpsOptions = {},
): Promise<void> {
  const { signal, each } = options;
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  const abort = () => Atomics.store(control, CONTROL_ABORT, 1);
  let hookError: { error: unknown } | undefined;
  signal?.throwIfAborted();
  signal?.addEventListener('abort', abort, { once: true });
  try {
    await runFixJob<OpsDone>(
      {
        kind: 'ops',
        ops,
        stepEach: each !== undefined,
        control: control.buffer as SharedArrayBuffer,
      },
      (raw, reply) => {
        const message = raw as OpsFromWorker;
        if (message.t !== 'step') return;
        options.progress?.(message.index + 1);
        if (!each) return;
        void (async () => {
          try {
            await each(message.index);
          } catch (error) {
            hookError ??= { error };
            abort();
          }
          reply({ t: 'continue' });
        })();
      },
    );
  } catch (err) {
    signal?.throwIfAborted();
    if (hookError) throw hookError.error;
    throw err;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}
