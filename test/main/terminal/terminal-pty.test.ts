import {
  closeSync,
  existsSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PTY_RING_BYTES } from '../../../main/terminal/threaded-pty-reader';
import { spawnTerminalPty, type TerminalPty } from '../../../main/terminal/terminal-pty';
import { waitFor } from './support/terminal-fixture';

const linux = process.platform === 'linux';
const options = {
  name: 'xterm-256color',
  cols: 80,
  rows: 24,
  cwd: '/',
  env: { PATH: '/usr/bin:/bin' },
};

/** This process's descriptors open on a pty master. */
function masterFds(): number[] {
  return readdirSync('/proc/self/fd')
    .map(Number)
    .filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === '/dev/ptmx';
      } catch {
        return false;
      }
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let started: TerminalPty[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'assent-terminal-pty-'));
});
afterEach(async () => {
  for (const pty of started) {
    try {
      // The whole process group: the shell is its session's leader, and
      // without job control its background children stay in its group.
      process.kill(-pty.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await pty.release();
  }
  started = [];
  rmSync(dir, { recursive: true, force: true });
});

function start(script: string, onData: (bytes: Buffer) => void): TerminalPty {
  const pty = spawnTerminalPty('/bin/sh', ['-c', script], options, onData);
  started.push(pty);
  return pty;
}

describe.runIf(linux)('spawnTerminalPty (output read on a worker thread)', () => {
  it('delivers every byte in order, then the exit status, then closes the master exactly once', async () => {
    const before = masterFds();
    const reads: Buffer[] = [];
    let outputAtExit = -1;
    let exitCode: number | null = null;
    // 3 MiB of numbered lines, more than the ring holds, then exit 3.
    const pty = start('seq 1 400000; exit 3', (bytes) => reads.push(bytes));
    const [fd] = masterFds().filter((n) => !before.includes(n));
    expect(fd).toBeDefined();
    pty.onExit((code) => {
      exitCode = code;
      outputAtExit = reads.reduce((n, b) => n + b.length, 0);
    });
    await waitFor(() => exitCode !== null, 10_000);
    expect(exitCode).toBe(3);
    const output = Buffer.concat(reads);
    // Everything read before the exit was reported.
    expect(outputAtExit).toBe(output.length);
    const lines = output.toString('latin1').split('\r\n');
    expect(lines.length).toBe(400_001);
    expect(lines[0]).toBe('1');
    expect(lines[399_999]).toBe('400000');
    expect(output.length).toBeGreaterThan(PTY_RING_BYTES);

    // Until released the master stays open (input and resizes may still use it).
    expect(masterFds()).toContain(fd);
    await pty.release();
    expect(masterFds()).not.toContain(fd);
    // A file opened now may get the same number; nothing closes it later.
    const file = openSync(join(dir, 'after'), 'w');
    await sleep(300);
    expect(fstatSync(file).isFile()).toBe(true);
    expect(readlinkSync(`/proc/self/fd/${file}`)).toBe(join(dir, 'after'));
    closeSync(file);
    // Released twice: still once.
    await pty.release();
  });

  it('holds the program while paused and goes on when resumed', async () => {
    const total = 4 * 1024 * 1024;
    const finished = join(dir, 'finished');
    let received = 0;
    const pty = start(
      `stty raw -echo; head -c ${total} /dev/zero | tr '\\0' x; touch ${finished}; exec sleep 30`,
      (bytes) => {
        received += bytes.length;
      },
    );
    pty.reader.pause();
    await sleep(500);
    expect(received).toBe(0);
    expect(existsSync(finished)).toBe(false);
    pty.reader.resume();
    await waitFor(() => received >= total, 10_000);
    expect(received).toBe(total);
    await waitFor(() => existsSync(finished));
  });

  it('releases while paused with the ring full: the worker ends and the master is closed', async () => {
    const before = masterFds().length;
    const pty = start(`head -c ${4 * PTY_RING_BYTES} /dev/zero; exec sleep 30`, () => undefined);
    pty.reader.pause();
    expect(masterFds().length).toBe(before + 1);
    await sleep(300);
    await pty.release();
    expect(masterFds().length).toBe(before);
  });

  it('reads nothing more after release, and release ends the worker while the program still runs', async () => {
    let received = 0;
    const pty = start('while :; do echo tick; sleep 0.01; done', (bytes) => {
      received += bytes.length;
    });
    await waitFor(() => received > 0);
    const before = masterFds().length;
    await pty.release();
    expect(masterFds().length).toBe(before - 1);
    const atRelease = received;
    await sleep(150);
    expect(received).toBe(atRelease);
  });

  it('reports the exit of a program that leaves a child holding the pty, after PTY_EXIT_DRAIN_MS', async () => {
    let exitCode: number | null = null;
    const pty = start('sleep 30 & exit 7', () => undefined);
    pty.onExit((code) => {
      exitCode = code;
    });
    await waitFor(() => exitCode !== null, 5_000);
    expect(exitCode).toBe(7);
    await pty.release();
  });

  it('resizes the pty', async () => {
    const reads: Buffer[] = [];
    const pty = start('sleep 0.3; stty size; sleep 30', (bytes) => reads.push(bytes));
    pty.resize(120, 40);
    await waitFor(() => Buffer.concat(reads).toString().includes('40 120'));
  });
});
