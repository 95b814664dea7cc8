// A helper process of a bench (`node bin/run-ts.js bench/support/<script>.ts`)
// spoken to over Node's IPC channel: the parent sends commands, the child
// reports events `{ ev: string, ... }`. Running a side of the measurement in
// its own process uses the machine's cores as a real deployment would.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../platform/node-flags';

/** The repository root (bench/support/ is two levels down). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Node flags that make a bench process write a CPU profile when
 * ASSENT_BENCH_CPU_PROF names a directory (NODE_OPTIONS refuses --cpu-prof).
 */
export function profileFlags(): string[] {
  const dir = process.env['ASSENT_BENCH_CPU_PROF'];
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
}

/** A message a child reports. */
export type ChildEvent = { ev: string } & Record<string, unknown>;

/** A running helper process. */
export class BenchChild {
  private readonly queue: ChildEvent[] = [];
  private waiter: ((event: ChildEvent | undefined) => void) | undefined;
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message) => {
      this.queue.push(message as ChildEvent);
      this.wake();
    });
    child.once('exit', () => {
      this.exited = true;
      this.wake();
    });
    // A crashed bench must not leave helpers behind.
    process.once('exit', this.killOnExit);
  }

  private readonly killOnExit = (): void => void this.child.kill('SIGKILL');

  /** Starts `script` (relative to the repository root) with `args`. */
  static start(script: string, args: readonly string[] = [], env?: NodeJS.ProcessEnv): BenchChild {
    const child = spawn(
      process.execPath,
      [...NODE_FLAGS, ...profileFlags(), resolve(REPO_ROOT, 'bin/run-ts.js'), script, ...args],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: env ?? process.env,
      },
    );
    return new BenchChild(child);
  }

  /** The child's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends a command. */
  send(command: Record<string, unknown>): void {
    this.child.send(command);
  }

  /**
   * Resolves with the next event named `ev` (earlier events of other names
   * are dropped); rejects when the child reports `{ ev: 'failed' }`, exits,
   * or nothing comes within `timeoutMs`.
   */
  async next(ev: string, timeoutMs = 60_000): Promise<ChildEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const event = this.queue.shift();
      if (event) {
        if (event.ev === ev) return event;
        if (event.ev === 'failed') throw new Error(`helper failed: ${String(event['message'])}`);
        continue;
      }
      if (this.exited) throw new Error(`helper exited while waiting for '${ev}'`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`helper sent no '${ev}' within ${timeoutMs} ms`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(() => {
          this.waiter = undefined;
          wake();
        }, left);
        this.waiter = () => {
          clearTimeout(timer);
          this.waiter = undefined;
          wake();
        };
      });
    }
  }

  /** Asks the child to quit (`{ op: 'quit' }`), then kills it if it has not left within `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    process.off('exit', this.killOnExit);
    if (this.exited) return;
    const gone = new Promise<void>((done) => this.child.once('exit', () => done()));
    if (this.child.connected) this.child.send({ op: 'quit' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  private wake(): void {
    this.waiter?.(undefined);
  }
}

/** In a child: reports an event to the parent. */
export function report(event: ChildEvent): void {
  process.send?.(event);
}

/** In a child: handles the parent's commands one at a time; a failing handler reports `failed`. */
export function serveCommands(
  handle: (command: { op: string } & Record<string, unknown>) => Promise<void> | void,
): Promise<void> {
  if (!process.send) throw new Error('this script runs as a bench helper (with an IPC channel)');
  return new Promise((resolveServed) => {
    let chain = Promise.resolve();
    process.on('message', (message) => {
      const command = message as { op: string } & Record<string, unknown>;
      chain = chain.then(async () => {
        try {
          await handle(command);
        } catch (error) {
          report({ ev: 'failed', message: error instanceof Error ? error.message : String(error) });
        }
        if (command.op === 'quit') {
          process.disconnect?.();
          resolveServed();
        }
      });
    });
  });
}
