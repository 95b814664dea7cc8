// The fix worker's entry point (a worker_thread; fix-worker-pool.ts starts
// it): runs one job at a time on the port that came with it, and ends each
// job with one `done` or `failed` message (the main thread then closes the
// port). Nothing here touches the target: the main thread decides, the
// worker reads, checks, hashes and stages.
import { parentPort, type MessagePort } from 'node:worker_threads';
import { serializeError, type FixJob } from './fix-worker-protocol';
import { runHashJob } from './hash-job';
import { runPayloadJob } from './payload-job';

async function run(job: FixJob, port: MessagePort): Promise<void> {
  try {
    const done = job.kind === 'hash' ? runHashJob(job) : await runPayloadJob(job, port);
    port.postMessage(done);
  } catch (err) {
    port.postMessage({ t: 'failed', error: serializeError(err) });
  }
}

parentPort?.on('message', (message: { job: FixJob; port: MessagePort }) => {
  void run(message.job, message.port);
});
