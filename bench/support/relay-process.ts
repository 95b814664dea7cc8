// The relay as its own process for benches: `node bin/assent-relay.js` on
// 127.0.0.1 with a free port, stopped with SIGTERM (killed if it lingers).
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { NODE_FLAGS } from '../../platform/node-flags';
import { profileFlags, REPO_ROOT } from './bench-child';

/** A running relay process. */
export interface RelayProcess {
  readonly url: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Starts the relay bin with `dataDir` and the vendor public key file; resolves once it listens. */
export async function startRelayProcess(
  dataDir: string,
  vendorKeyFile: string,
): Promise<RelayProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...NODE_FLAGS,
      ...profileFlags(),
      resolve(REPO_ROOT, 'bin/assent-relay.js'),
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data',
      dataDir,
      '--vendor-key',
      vendorKeyFile,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    // Keep the start-up warning out of the bench output, but keep it for a failure report.
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the relay did not start in 30 s')), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /listening on (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the relay exited with ${code}: ${stderr.trim()}`));
    });
  });
  child.stdout!.resume();
  return {
    url,
    pid: child.pid,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
