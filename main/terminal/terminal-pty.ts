// Starts a terminal's program in a pty and gives the few operations a
// PtyTerminal uses. On Linux the program is started through node-pty's
// native fork, without node-pty's JavaScript wrapper: the wrapper opens a
// socket on the master descriptor at once and closes it when the program
// exits, and with the pty read on a worker thread (threaded-pty-reader.ts)
// the worker's handle must be the descriptor's only reader and its only
// closer. Elsewhere (macOS, Windows' conpty) node-pty's wrapper is used,
// read on the main thread (pty-reader.ts).
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { spawn, type IPtyForkOptions } from 'node-pty';
import { PtyInput } from './pty-input';
import { readPty, type PtyReader } from './pty-reader';
import { readPtyOnThread, type ThreadedPtyReader } from './threaded-pty-reader';

/**
 * After the program exited, how long its last output may take to be read
 * to the end (EIO) before the exit is reported anyway: a program it left
 * behind may hold the pty open. As node-pty (DESTROY_SOCKET_TIMEOUT_MS).
 */
export const PTY_EXIT_DRAIN_MS = 200;

/** A program in a pty, as PtyTerminal drives it. */
export interface TerminalPty {
  readonly pid: number;
  readonly input: PtyInput;
  /** Pauses and resumes reading (backpressure). */
  readonly reader: PtyReader;
  resize(cols: number, rows: number): void;
  kill(signal: NodeJS.Signals): void;
  /** Called once, after the program exited and its output was read (or PTY_EXIT_DRAIN_MS passed). */
  onExit(listener: (exitCode: number) => void): void;
  /** The terminal ended: no more input or resizes; the master descriptor is closed. Idempotent. */
  release(): Promise<void>;
}

/** What node-pty's native module offers on Unix (node-pty's src/native.d.ts). */
interface UnixNative {
  fork(
    file: string,
    args: string[],
    env: string[],
    cwd: string,
    cols: number,
    rows: number,
    uid: number,
    gid: number,
    useUtf8: boolean,
    helperPath: string,
    onExit: (code: number, signal: number) => void,
  ): { fd: number; pid: number; pty: string };
  resize(fd: number, cols: number, rows: number): void;
}

let native: { module: UnixNative; helperPath: string } | undefined;

/** node-pty's native module, loaded as node-pty's wrapper loads it. */
function unixNative(): { module: UnixNative; helperPath: string } {
  if (native) return native;
  const require = createRequire(import.meta.url);
  const utilsPath = require.resolve('node-pty/lib/utils');
  const utils = require(utilsPath) as {
    loadNativeModule(name: string): { dir: string; module: UnixNative };
  };
  const loaded = utils.loadNativeModule('pty');
  // node-pty's own helper path (used by its fork on macOS only).
  const helperPath = resolve(dirname(utilsPath), loaded.dir, 'spawn-helper')
    .replace('app.asar', 'app.asar.unpacked')
    .replace('node_modules.asar', 'node_modules.asar.unpacked');
  native = { module: loaded.module, helperPath };
  return native;
}

export type TerminalPtyOptions = Required<
  Pick<IPtyForkOptions, 'name' | 'cols' | 'rows' | 'cwd' | 'env'>
>;

/** Starts `file` in a pty; `onData` gets its output, read by whichever reader this platform uses. */
export function spawnTerminalPty(
  file: string,
  args: readonly string[],
  options: TerminalPtyOptions,
  onData: (bytes: Buffer) => void,
): TerminalPty {
  return process.platform === 'linux'
    ? forkThreaded(file, args, options, onData)
    : spawnNodePty(file, args, options, onData);
}

function forkThreaded(
  file: string,
  args: readonly string[],
  options: TerminalPtyOptions,
  onData: (bytes: Buffer) => void,
): TerminalPty {
  const { module, helperPath } = unixNative();
  // As node-pty's wrapper: PWD and TERM set, the rest as given.
  const env = Object.entries({ ...options.env, PWD: options.cwd, TERM: options.name })
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${value}`);
  let exitListener: ((exitCode: number) => void) | null = null;
  let exit: number | null = null;
  const term = module.fork(
    file,
    [...args],
    env,
    options.cwd,
    options.cols,
    options.rows,
    -1,
    -1,
    // node-pty passes false with `encoding: null` (no IUTF8 flag), as before.
    false,
    helperPath,
    (code) => {
      const drained = new Promise((r) => setTimeout(r, PTY_EXIT_DRAIN_MS).unref());
      void Promise.race([reader.ended, drained]).then(() => {
        exit = code;
        exitListener?.(code);
      });
    },
  );
  const fd = term.fd;
  let reader: ThreadedPtyReader;
  try {
    reader = readPtyOnThread(fd, onData);
  } catch (err) {
    // No worker (no thread could be started): nothing else holds the pty.
    process.kill(term.pid, 'SIGKILL');
    closeSync(fd);
    throw err;
  }
  let released = false;
  return {
    pid: term.pid,
    input: new PtyInput({ fd, write: () => undefined }),
    reader,
    resize: (cols, rows) => {
      if (!released) module.resize(fd, cols, rows);
    },
    kill: (signal) => process.kill(term.pid, signal),
    onExit: (listener) => {
      exitListener = listener;
      if (exit !== null) listener(exit);
    },
    release: () => {
      released = true;
      return reader.close();
    },
  };
}

function spawnNodePty(
  file: string,
  args: readonly string[],
  options: TerminalPtyOptions,
  onData: (bytes: Buffer) => void,
): TerminalPty {
  const pty = spawn(file, [...args], { ...options, encoding: null });
  return {
    pid: pty.pid,
    input: new PtyInput(pty),
    reader: readPty(pty, onData),
    resize: (cols, rows) => pty.resize(cols, rows),
    kill: (signal) => pty.kill(signal),
    onExit: (listener) => pty.onExit(({ exitCode }) => listener(exitCode)),
    release: () => Promise.resolve(),
  };
}
