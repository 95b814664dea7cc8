// What the agent's main thread and its fix worker (fix-worker.ts) say to each
// other, and how an error crosses between them. Each job gets its own
// MessagePort; the worker ends every job with exactly one `done` or `failed`.
import type { MessagePort } from 'node:worker_threads';
import { AssentError, isErrorCode } from '../../protocol/errors';

/** One file the payload must hold (from the verified manifest), by its manifest index. */
export interface PayloadEntry {
  readonly index: number;
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly mode: number;
}

/** Slots of a job's shared control array (Int32Array over a SharedArrayBuffer): set to abort. */
export const CONTROL_ABORT = 0;
export const CONTROL_SLOTS = 1;

/**
 * Slots of the shared array through which one worker creates the staged
 * files ahead (empty, in the order of the payload entries) while the payload
 * worker fills them: creating a file costs more than writing it, and the two
 * then overlap.
 */
export const PRECREATE_COUNT = 0;
/** 0, or why creating stopped: PRECREATE_DISK_FULL or PRECREATE_IO_FAILED. */
export const PRECREATE_FAILED = 1;
/** Set by the main thread when staging failed or was aborted: create no more. */
export const PRECREATE_STOP = 2;
export const PRECREATE_SLOTS = 3;
/**
 * Then one claim per file (0 free, 1 the creating worker's, 2 the payload
 * worker's): whoever claims a file first creates it, so the payload worker
 * never waits for a job that has not started (its worker may be busy).
 */
export const PRECREATE_CLAIMS = PRECREATE_SLOTS;

/** The shared array for pre-creating `files` staged files. */
export function precreateControl(files: number): SharedArrayBuffer {
  return new SharedArrayBuffer((PRECREATE_SLOTS + files) * 4);
}
export const PRECREATE_DISK_FULL = 1;
export const PRECREATE_IO_FAILED = 2;

/** Reads, checks and optionally stages the payload of a package whose header the main thread checks. */
export interface PayloadJob {
  readonly kind: 'payload';
  readonly file: string;
  readonly stageDir: string | undefined;
  /**
   * Check each file's sha256 against its entry. False only when the caller
   * compares the whole package's sha256 (hashed from the ring) with that of
   * a package verified in full before (verify.ts `verifiedSha256`).
   */
  readonly fileHashes: boolean;
  /** Keep new contents of files up to `fileBytes` each, `totalBytes` in all (preview diffs). */
  readonly keep: { readonly fileBytes: number; readonly totalBytes: number } | undefined;
  readonly control: SharedArrayBuffer;
  /** Every chunk read goes here, for the main thread to hash the package (package-ring.ts). */
  readonly ring: SharedArrayBuffer;
  /** Staged files are created ahead by a hash job (PRECREATE_* slots); else each is created here. */
  readonly precreated: SharedArrayBuffer | undefined;
}

/** Hashes regular files (sha256 hex), in order. */
export interface HashJob {
  readonly kind: 'hash';
  /** Absolute paths; the last component is never followed, a file that is not regular is refused. */
  readonly files: readonly string[];
  /** When set, every directory between it and a file is checked before the file is opened: no link on the way. */
  readonly under: string | undefined;
  /** Stop after the first file that cannot be hashed. */
  readonly stopAtError: boolean;
  readonly control: SharedArrayBuffer;
  /** Before hashing: create these empty staged files, in order, counting them in `control` (PRECREATE_* slots). */
  readonly precreate:
    { readonly paths: readonly string[]; readonly control: SharedArrayBuffer } | undefined;
}

/** One file's hash and size, or why it could not be hashed (its errno code in `error.code`). */
export type HashOutcome =
  { readonly sha256: string; readonly size: number } | { readonly error: SerializedError };

export interface HashDone {
  readonly t: 'done';
  readonly outcomes: readonly HashOutcome[];
}

export type FixJob = PayloadJob | HashJob;

export type PayloadFromWorker =
  | { readonly t: 'header'; readonly manifest: Uint8Array; readonly signature: Uint8Array }
  /** Payload files checked (and staged): bytes so far and in all (every MiB or so, and at the end). */
  | { readonly t: 'file'; readonly done: number; readonly total: number }
  | PayloadDone
  | JobFailed;

export interface PayloadDone {
  readonly t: 'done';
  /** Bytes read (the package's size); the main thread hashed exactly these from the ring. */
  readonly size: number;
  readonly staged: ReadonlyArray<readonly [number, string]>;
  readonly kept: ReadonlyArray<readonly [string, Uint8Array]>;
}

export type PayloadToWorker =
  | { readonly t: 'entries'; readonly entries: readonly PayloadEntry[] }
  /** The header was refused: stop reading, write nothing more. */
  | { readonly t: 'stop' };

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  /** An AssentError code, or a Node errno code (ENOENT, ELOOP, ...). */
  readonly code: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly assent: boolean;
}

export interface JobFailed {
  readonly t: 'failed';
  readonly error: SerializedError;
}

/** An error as it crosses to the other thread (structured clone drops `code` and the class). */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof AssentError)
    return {
      name: err.name,
      message: err.message,
      code: err.code,
      details: err.details ? { ...err.details } : undefined,
      assent: true,
    };
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as NodeJS.ErrnoException).code;
  return {
    name: e.name,
    message: e.message,
    code: typeof code === 'string' ? code : undefined,
    details: undefined,
    assent: false,
  };
}

/** The error again, as an AssentError with its code or an Error with its errno code. */
export function deserializeError(error: SerializedError): Error {
  if (error.assent && isErrorCode(error.code))
    return new AssentError(
      error.code,
      error.message,
      error.details ? { details: error.details } : {},
    );
  const err = new Error(error.message) as NodeJS.ErrnoException;
  err.name = error.name;
  if (error.code !== undefined) err.code = error.code;
  return err;
}

/** Thrown in the worker when the job's abort flag is set or the main thread said `stop`. */
export class JobAborted extends Error {
  override readonly name = 'AbortError';
}

/** The next message on a job's port (the worker awaits the main thread's answer). */
export function nextMessage<T>(port: MessagePort): Promise<T> {
  return new Promise((resolve) => port.once('message', resolve));
}
