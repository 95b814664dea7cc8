// Starts and reuses the fix worker (fix-worker.ts), a worker_thread, so the
// payload of a package is read, hashed and staged on the second core with
// synchronous file calls while the main thread checks the header, hashes
// the package and the old files. One job per worker at a time; a worker
// idle for WORKER_IDLE_MS ends, and an idle worker never keeps the process
// alive. Under tsx (tests, benches, the headless agent) the worker's source
// is bundled once per process by esbuild and run as an eval'd script; in the
// electron-vite build it is `fix-worker.js` next to the bundle
// (electron.vite.config.ts).
import type * as EsbuildApi from 'esbuild';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { AssentError } from '../../protocol/errors';
import { deserializeError, type FixJob, type JobFailed } from './fix-worker-protocol';

/** How long an idle worker is kept for the next job. */
export const WORKER_IDLE_MS = 30_000;

/** Workers at most (a describe and an apply of two sessions may overlap). */
const MAX_WORKERS = 2;

const WORKER_NAME = 'fix-worker';

/**
 * The worker and everything it imports as one CommonJS script, built once
 * per process by esbuild (which tsx itself uses to compile each file). A
 * worker does not inherit tsx's loader, and registering tsx in every worker
 * cost 0.3–1.4 s of CPU per worker (a loader thread, every module through
 * it); the bundle starts in well under 0.2 s.
 */
let sourceBundle: Promise<string> | undefined;

/** Only ever loaded when running from source: the electron-vite build must not bundle esbuild in. */
const ESBUILD = 'esbuild';

async function bundleFromSource(entry: string): Promise<string> {
  const { build } = (await import(/* @vite-ignore */ ESBUILD)) as typeof EsbuildApi;
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  return result.outputFiles[0]!.text;
}

/** How to start the worker from wherever this module runs. */
async function startWorker(): Promise<Worker> {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    sourceBundle ??= bundleFromSource(fileURLToPath(new URL(`./${WORKER_NAME}.ts`, here)));
    const code = await sourceBundle.catch((err: unknown) => {
      sourceBundle = undefined;
      throw new AssentError('IO_FAILED', 'The fix worker could not be built from source.', {
        cause: err,
      });
    });
    return new Worker(code, { eval: true });
  }
  return new Worker(new URL(`./${WORKER_NAME}.js`, here));
}

interface PooledWorker {
  readonly worker: Worker;
  /** Fails the job running on it (the worker died). */
  fail?: (err: Error) => void;
  idleTimer?: NodeJS.Timeout;
}

interface Waiter {
  readonly resolve: (w: PooledWorker) => void;
  readonly reject: (err: unknown) => void;
}

const idle: PooledWorker[] = [];
const waiting: Waiter[] = [];
let started = 0;

/** A worker is gone or never started: the longest waiting job starts one of its own. */
function slotFreed(): void {
  const next = waiting.shift();
  if (next) spawn().then(next.resolve, next.reject);
}

async function spawn(): Promise<PooledWorker> {
  started += 1;
  let worker: Worker;
  try {
    worker = await startWorker();
  } catch (err) {
    started -= 1;
    slotFreed();
    throw err;
  }
  const pooled: PooledWorker = { worker };
  let gone = false;
  const died = (why: string) => {
    if (gone) return;
    gone = true;
    started -= 1;
    const at = idle.indexOf(pooled);
    if (at >= 0) idle.splice(at, 1);
    clearTimeout(pooled.idleTimer);
    pooled.fail?.(new AssentError('IO_FAILED', `The fix worker stopped (${why}).`));
    slotFreed();
  };
  pooled.worker.on('error', (err) => died(err.message));
  pooled.worker.on('exit', (code) => died(`exit ${code}`));
  return pooled;
}

function acquire(): Promise<PooledWorker> {
  const ready = idle.pop();
  if (ready) {
    clearTimeout(ready.idleTimer);
    ready.worker.ref();
    return Promise.resolve(ready);
  }
  if (started < MAX_WORKERS) return spawn();
  return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
}

/**
 * Starts workers up to the pool's size ahead of the jobs that will need
 * them (a fix was described and awaits its approval; an apply begins, and
 * needs two), so a worker's start (about 0.1 s here, once the source is
 * built) is not on their path. Idle workers end after WORKER_IDLE_MS as usual.
 */
export function warmFixWorkers(): void {
  while (started < MAX_WORKERS) spawn().then(release, () => undefined);
}

/** Workers started and not ended (for tests). */
export function fixWorkerCount(): number {
  return started;
}

function release(pooled: PooledWorker): void {
  pooled.fail = undefined;
  const next = waiting.shift();
  if (next) {
    next.resolve(pooled);
    return;
  }
  pooled.worker.unref();
  pooled.idleTimer = setTimeout(() => void pooled.worker.terminate(), WORKER_IDLE_MS);
  pooled.idleTimer.unref();
  idle.push(pooled);
}

/** Sends replies to the worker during a job. */
export type ReplyToWorker = (message: unknown) => void;

/**
 * Runs `job` on a fix worker. `onMessage` sees every message but the last;
 * resolves with the worker's `done` message, rejects with its error (an
 * AssentError keeps its code). Settles only once the worker has finished the
 * job: nothing it started is still running.
 */
export async function runFixJob<Done extends { t: 'done' }>(
  job: FixJob,
  onMessage: (message: { t: string }, reply: ReplyToWorker) => void,
): Promise<Done> {
  const pooled = await acquire();
  const { port1, port2 } = new MessageChannel();
  let healthy = true;
  try {
    return await new Promise<Done>((resolve, reject) => {
      pooled.fail = (err) => {
        healthy = false;
        reject(err);
      };
      const reply: ReplyToWorker = (message) => port1.postMessage(message);
      port1.on('message', (message: { t: string }) => {
        if (message.t === 'done') resolve(message as Done);
        else if (message.t === 'failed') reject(deserializeError((message as JobFailed).error));
        else {
          try {
            onMessage(message, reply);
          } catch (err) {
            // A bug on this side must not leave the worker waiting: it is ended, the job fails.
            healthy = false;
            pooled.fail = undefined;
            void pooled.worker.terminate().finally(() => reject(err));
          }
        }
      });
      pooled.worker.postMessage({ job, port: port2 }, [port2 as MessagePort]);
    });
  } finally {
    port1.close();
    if (healthy) release(pooled);
  }
}
