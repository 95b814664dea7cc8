// Drives the real bins as separate processes through stdin/stdout, the way a
// person (or a script) would.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

/** Runs a bin to completion. */
export function runBin(
  name: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const result = spawnSync(process.execPath, [resolve(root, 'bin', `${name}.js`), ...args], {
    encoding: 'utf8',
    input: options.input ?? '',
    env: { ...process.env, ...options.env },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A running bin whose output can be awaited line by line. */
export class BinProcess {
  readonly child: ChildProcessWithoutNullStreams;
  private output = '';
  private waiters: Array<{
    pattern: RegExp;
    resolve: (m: RegExpMatchArray) => void;
    from: number;
  }> = [];
  private cursor = 0;
  readonly exited: Promise<number | null>;

  constructor(name: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [resolve(root, 'bin', `${name}.js`), ...args], {
      env: { ...process.env, ...env },
    });
    const onData = (chunk: Buffer): void => {
      this.output += chunk.toString('utf8');
      this.check();
    };
    this.child.stdout.on('data', onData);
    this.child.stderr.on('data', onData);
    this.exited = new Promise((done) => this.child.once('exit', (code) => done(code)));
  }

  /** Everything printed so far. */
  get text(): string {
    return this.output;
  }

  /** Resolves with the first match of `pattern` printed after the previous match. */
  expect(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${pattern} in:\n${this.output}`)),
        timeoutMs,
      );
      this.waiters.push({
        pattern,
        from: this.cursor,
        resolve: (m) => {
          clearTimeout(timer);
          resolvePromise(m);
        },
      });
      this.check();
    });
  }

  /** Types a line. */
  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  private check(): void {
    for (const waiter of [...this.waiters]) {
      const rest = this.output.slice(waiter.from);
      const match = waiter.pattern.exec(rest);
      if (match) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        this.cursor = waiter.from + (match.index ?? 0) + match[0].length;
        waiter.resolve(match);
      }
    }
  }
}

/**
 * The bins a test file starts, and each test's temporary folder: after each
 * test, every bin still running is killed and the folder removed.
 */
export class BinScope {
  private readonly running: BinProcess[] = [];
  private folder: string | undefined;

  constructor(private readonly prefix: string) {
    afterEach(() => {
      for (const bin of this.running.splice(0)) bin.kill();
      if (this.folder) rmSync(this.folder, { recursive: true, force: true });
      this.folder = undefined;
    });
  }

  /** This test's temporary folder (made on first use). */
  get root(): string {
    return (this.folder ??= mkdtempSync(join(tmpdir(), this.prefix)));
  }

  /** Starts a bin that is killed after the test if it still runs. */
  start(name: string, args: string[], env?: NodeJS.ProcessEnv): BinProcess {
    const bin = new BinProcess(name, args, env);
    this.running.push(bin);
    return bin;
  }

  /** Starts assent-relay on 127.0.0.1, any free port, on `dataDir`; resolves once it listens. */
  async relay(dataDir: string, extra: string[] = []): Promise<{ relay: BinProcess; url: string }> {
    const loopbackAnyPort = ['--host', '127.0.0.1', '--port', '0'];
    const relay = this.start('assent-relay', [...loopbackAnyPort, '--data', dataDir, ...extra]);
    const url = (await relay.expect(/listening on (ws:\/\/127\.0\.0\.1:\d+)/))[1]!;
    return { relay, url };
  }
}
