// Pre- and post-checks of a fix: the signed argv runs in the target root,
// without a shell, with a minimal environment and a timeout, under the same
// consent as the fix. Exit status 0 passes.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { AssentError } from '../../protocol/errors';
import { MAX_FIX_CHECK_OUTPUT_BYTES, type FixCheck, type FixManifest } from '../../protocol/fixes';

/** What a check did: exit status and a digest of its output (the audit log keeps digests, not output). */
export interface CheckOutcome {
  readonly phase: 'pre' | 'post';
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly outputSha256: string;
  /** The last part of the output, for the person applying the fix. */
  readonly outputTail: string;
}

/** The environment a check sees: nothing inherited but a fixed PATH. */
export function checkEnvironment(manifest: FixManifest): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    ASSENT_FIX_ID: manifest.id,
    ASSENT_FIX_PRODUCT: manifest.product,
    ASSENT_FIX_VERSION: manifest.version,
    ASSENT_FIX_TARGET: manifest.targetRoot,
  };
}

/** Runs one check; resolves with its outcome (it never throws for a failing command). */
export function runCheck(
  phase: 'pre' | 'post',
  check: FixCheck,
  manifest: FixManifest,
  signal?: AbortSignal,
): Promise<CheckOutcome> {
  return new Promise((resolve) => {
    const hash = createHash('sha256');
    let tail = Buffer.alloc(0);
    let timedOut = false;
    const child = spawn(check.argv[0]!, check.argv.slice(1), {
      cwd: manifest.targetRoot,
      env: checkEnvironment(manifest),
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
    });
    const collect = (chunk: Buffer) => {
      hash.update(chunk);
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > MAX_FIX_CHECK_OUTPUT_BYTES)
        tail = tail.subarray(tail.length - MAX_FIX_CHECK_OUTPUT_BYTES);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, check.timeoutSeconds * 1000);
    signal?.addEventListener('abort', kill, { once: true });
    const finish = (exitCode: number | null, sig: string | null) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      resolve({
        phase,
        exitCode,
        signal: sig,
        timedOut,
        outputSha256: hash.digest('hex'),
        outputTail: tail.toString('utf8'),
      });
    };
    child.on('error', (err) => {
      collect(Buffer.from(String(err.message)));
      finish(null, null);
    });
    child.on('close', (code, sig) => finish(code, sig));
  });
}

/** Runs a check and throws FIX_CHECK_FAILED unless it exits with status 0. */
export async function requireCheck(
  phase: 'pre' | 'post',
  check: FixCheck | undefined,
  manifest: FixManifest,
  signal?: AbortSignal,
): Promise<CheckOutcome | undefined> {
  if (!check) return undefined;
  const outcome = await runCheck(phase, check, manifest, signal);
  signal?.throwIfAborted();
  if (outcome.exitCode !== 0) {
    const why = outcome.timedOut
      ? `timed out after ${check.timeoutSeconds} s`
      : `exited with ${outcome.exitCode ?? outcome.signal ?? 'an error'}`;
    throw new AssentError('FIX_CHECK_FAILED', `The ${phase}-check of ${manifest.id} ${why}.`, {
      details: {
        phase,
        exitCode: outcome.exitCode,
        outputSha256: outcome.outputSha256,
        outputTail: outcome.outputTail.slice(-2000),
      },
    });
  }
  return outcome;
}
