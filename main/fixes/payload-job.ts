// The payload pass of a fix package, as the fix worker runs it (issue 5
// benchmark): read the package, parse it (package-reader.ts: layout, limits,
// names, entry types), check every payload file against the signed manifest
// (listed, once, declared size, sha256 unless the caller compares the whole
// package with one verified in full) and, when staging, write it under the
// name the agent chose (its manifest index), and copy every chunk read, before
// the parser sees it, into the ring the main thread hashes the whole package
// from (package-ring.ts). The worker has a core of its own and
// calls the file system synchronously, as `tar` does: no thread pool round
// trip per open, write, chmod and close. The main thread checks the signed
// header (it answers `header` with the entries to expect, or `stop`).
import { createHash } from 'node:crypto';
import { closeSync, constants, fchmodSync, openSync, writeSync } from 'node:fs';
import { AssentError } from '../../protocol/errors';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { fileSystemError } from '../../platform/atomic-file';
import { STAGED_CREATE_FLAGS } from './hash-job';
import {
  CONTROL_ABORT,
  PRECREATE_CLAIMS,
  PRECREATE_COUNT,
  PRECREATE_DISK_FULL,
  PRECREATE_FAILED,
  JobAborted,
  nextMessage,
  type PayloadDone,
  type PayloadEntry,
  type PayloadJob,
  type PayloadToWorker,
} from './fix-worker-protocol';
import { readFixPackage, type ReadPayload } from './package-reader';
import { ringWriter } from './package-ring';

/** Payload bytes between two progress messages (one per file cost more than the file's write). */
const PROGRESS_BYTES = 1024 * 1024;

/** A destination for one file's bytes, written as they arrive (views valid only during the call). */
type Sink = (chunk: Uint8Array) => void;

/**
 * Checks one payload file's bytes against its entry (size; sha256 unless
 * `hashed` is false), passing them to `sink` and copies to `keep`.
 */
function consume(
  read: ReadPayload,
  entry: PayloadEntry,
  hashed: boolean,
  sink: Sink | undefined,
  keep: Buffer[] | undefined,
): void {
  const hash = hashed ? createHash('sha256') : undefined;
  const count = read((chunk) => {
    hash?.update(chunk);
    keep?.push(Buffer.from(chunk));
    sink?.(chunk);
  });
  if (count !== entry.size)
    throw new AssentError(
      'FIX_HASH_MISMATCH',
      `${entry.path} has ${count} bytes, the manifest declares ${entry.size}.`,
    );
  if (hash && hash.digest('hex') !== entry.sha256)
    throw new AssentError(
      'FIX_HASH_MISMATCH',
      `${entry.path} does not match its hash in the signed manifest.`,
    );
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let offset = 0;
  while (offset < chunk.length) offset += writeSync(fd, chunk, offset);
}

/**
 * Opens the staged file for entry number `position`, created exclusively
 * and never through a link: here, or by the worker creating them ahead when
 * it claimed this one first (then it is opened once it exists, without
 * following a link; the work directory is the agent's own, 0700).
 */
function openStaged(
  path: string,
  position: number,
  precreated: Int32Array | undefined,
  aborted: () => boolean,
): number {
  if (!precreated || Atomics.compareExchange(precreated, PRECREATE_CLAIMS + position, 0, 2) === 0)
    return openSync(path, STAGED_CREATE_FLAGS, 0o600);
  for (;;) {
    const done = Atomics.load(precreated, PRECREATE_COUNT);
    if (done > position) break;
    // It claims in order: a failure recorded while this one is not done is this one's.
    const failed = Atomics.load(precreated, PRECREATE_FAILED);
    if (failed !== 0)
      throw fileSystemError(
        Object.assign(new Error('creating a staged file failed'), {
          code: failed === PRECREATE_DISK_FULL ? 'ENOSPC' : 'EIO',
        }),
        'staging a fix file',
      );
    if (aborted()) throw new JobAborted('aborted');
    Atomics.wait(precreated, PRECREATE_COUNT, done, 100);
  }
  return openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW);
}

/** Stages one file at `path`; its mode is set once its bytes are all checked. */
function stageFile(
  open: () => number,
  entry: PayloadEntry,
  read: ReadPayload,
  hashed: boolean,
  keep: Buffer[] | undefined,
): void {
  let fd: number | undefined;
  try {
    fd = open();
    const out = fd;
    consume(read, entry, hashed, (chunk) => writeAll(out, chunk), keep);
    fchmodSync(fd, entry.mode);
  } catch (err) {
    if (err instanceof JobAborted) throw err;
    throw fileSystemError(err, 'staging a fix file');
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Runs a payload job; every file it created is closed when it settles. */
export async function runPayloadJob(job: PayloadJob, port: MessagePort): Promise<PayloadDone> {
  const control = new Int32Array(job.control);
  const aborted = () => Atomics.load(control, CONTROL_ABORT) !== 0;
  const ring = ringWriter(job.ring, aborted, () => new JobAborted('aborted'));
  const precreated = job.precreated ? new Int32Array(job.precreated) : undefined;
  /** Each payload entry and its position among them (the order staged files are created in ahead). */
  const byPath = new Map<string, { entry: PayloadEntry; position: number }>();
  const seen = new Set<string>();
  const staged: Array<[number, string]> = [];
  const kept: Array<[string, Uint8Array]> = [];
  let keptBytes = 0;
  let done = 0;
  let reported = 0;
  let total = 0;

  const size = await readFixPackage(
    job.file,
    {
      async header(manifest, signature) {
        port.postMessage({ t: 'header', manifest, signature });
        const reply = await nextMessage<PayloadToWorker>(port);
        if (reply.t === 'stop') throw new JobAborted('header refused');
        for (const [position, entry] of reply.entries.entries()) {
          byPath.set(entry.path, { entry, position });
          total += entry.size;
        }
      },
      payload(path, size, read) {
        if (aborted()) throw new JobAborted('aborted');
        const listed = byPath.get(path);
        if (seen.has(path))
          throw new AssentError(
            'FIX_PATH_UNSAFE',
            `The archive holds ${JSON.stringify(path)} twice.`,
            { details: { path, why: 'duplicate' } },
          );
        if (!listed)
          throw new AssentError(
            'FIX_HASH_MISMATCH',
            `The payload holds ${JSON.stringify(path)}, which the signed manifest does not list for adding or replacing.`,
          );
        const { entry, position } = listed;
        if (size !== entry.size)
          throw new AssentError(
            'FIX_HASH_MISMATCH',
            `${path} is ${size} bytes in the archive, the manifest declares ${entry.size}.`,
          );
        seen.add(path);
        const keep =
          job.keep && size <= job.keep.fileBytes && keptBytes + size <= job.keep.totalBytes
            ? []
            : undefined;
        if (job.stageDir !== undefined) {
          const target = join(job.stageDir, String(entry.index));
          stageFile(
            () => openStaged(target, position, precreated, aborted),
            entry,
            read,
            job.fileHashes,
            keep,
          );
          staged.push([entry.index, target]);
        } else {
          consume(read, entry, job.fileHashes, undefined, keep);
        }
        if (keep) {
          keptBytes += size;
          kept.push([path, Buffer.concat(keep)]);
        }
        done += size;
        if (done - reported >= PROGRESS_BYTES || done === total) {
          reported = done;
          port.postMessage({ t: 'file', done, total });
        }
      },
    },
    { chunks: ring },
  );
  ring.end();
  const missing = [...byPath.keys()].filter((p) => !seen.has(p));
  if (missing.length > 0)
    throw new AssentError(
      'FIX_HASH_MISMATCH',
      `The payload lacks ${missing.length} file(s) the manifest lists, e.g. ${JSON.stringify(missing[0])}.`,
    );
  return { t: 'done', size: size ?? 0, staged, kept };
}
