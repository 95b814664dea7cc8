// The backups and swaps of an apply, run on the fix worker (ops-job.ts): one
// link or rename per file, in order, synchronously there. Settles only once
// the worker has stopped, so no rename is still running when the caller
// restores after a failure or an abort.
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { syncDirectory } from '../../platform/atomic-file';
import { FIX_IO_CONCURRENCY, mapLimit } from './concurrency';
import type { FixProgress } from './fix-types';
import {
  CONTROL_ABORT,
  CONTROL_SLOTS,
  type OpsDone,
  type OpsFromWorker,
  type OpsJob,
} from './fix-worker-protocol';
import { runFixJob } from './fix-worker-pool';
import type { FixFileRecord, InstalledFix } from './registry';

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

/**
 * Backs up (link or rename into the work dir) and swaps every file; one
 * rename per file, run in order by the fix worker (file-ops.ts); every
 * backup is durable before the first swap, and a crash anywhere is undone
 * by restoreOld from the journal.
 */
export async function swapIn(
  record: InstalledFix,
  signal: AbortSignal | undefined,
  progress: FixProgress | undefined,
  step: (name: string) => Promise<void>,
  /** Report every file's backup and swap as a step (the caller has a step hook). */
  stepEach: boolean,
): Promise<void> {
  for (const dir of record.createdDirs) {
    await fsp.mkdir(dir, { mode: 0o755 });
  }
  await mapLimit(
    [...new Set(record.createdDirs.map((dir) => dirname(dir)))],
    FIX_IO_CONCURRENCY,
    syncDirectory,
  );
  const total = record.files.length;
  const target = (file: FixFileRecord) => join(record.targetRoot, file.path);
  await runFileOps(
    record.files.map((file) =>
      file.op === 'replace'
        ? { op: 'link', from: target(file), to: file.backup! }
        : file.op === 'remove'
          ? { op: 'rename', from: target(file), to: file.backup! }
          : null,
    ),
    { signal, each: stepEach ? (i) => step(`backup-${i}`) : undefined },
  );
  signal?.throwIfAborted();
  if (total > 0) await syncDirectory(join(record.workDir, 'backup'));
  await step('backups-synced');
  await runFileOps(
    record.files.map((file) =>
      file.staged !== null ? { op: 'rename', from: file.staged, to: target(file) } : null,
    ),
    {
      signal,
      each: stepEach ? (i) => step(`swap-${i}`) : undefined,
      progress: (done) => progress?.(done, total, 'swapping'),
    },
  );
  // An abort during the swap still undoes the whole swap.
  signal?.throwIfAborted();
  const touched = new Set(record.files.map((file) => dirname(join(record.targetRoot, file.path))));
  await mapLimit([...touched], FIX_IO_CONCURRENCY, syncDirectory);
}
