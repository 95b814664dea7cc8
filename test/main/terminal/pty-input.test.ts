import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IPty } from 'node-pty';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PtyInput } from '../../../main/terminal/pty-input';
import { PtyTerminal } from '../../../main/terminal/pty-terminal';
import { waitFor } from './support/terminal-fixture';

/** A node-pty stand-in with a master descriptor; what it was handed through `write`. */
function fakePty(fd: number | undefined): IPty & { viaNodePty: string[] } {
  const viaNodePty: string[] = [];
  return { fd, write: (d: string) => viaNodePty.push(d), viaNodePty } as unknown as IPty & {
    viaNodePty: string[];
  };
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

describe('PtyInput', () => {
  it('writes at once, in order, and keeps what the pty could not take yet (EAGAIN, part writes)', async () => {
    const written: string[] = [];
    const replies: Array<number | 'EAGAIN'> = [2, 'EAGAIN', 'EAGAIN'];
    const input = new PtyInput(fakePty(7), (fd, data) => {
      expect(fd).toBe(7);
      const reply = replies.shift() ?? data.length;
      if (reply === 'EAGAIN') throw errno('EAGAIN');
      written.push(data.subarray(0, reply).toString());
      return reply;
    });
    input.send('abcd');
    // Two bytes landed at once; the rest waits, and later input waits behind it.
    expect(written).toEqual(['ab']);
    input.send('ef');
    expect(input.pendingBytes).toBe(4);
    await waitFor(() => input.pendingBytes === 0);
    expect(written.join('')).toBe('abcdef');
  });

  it('drops its input once the shell side is gone (EIO) or it is closed', () => {
    let calls = 0;
    const input = new PtyInput(fakePty(7), () => {
      calls++;
      throw errno('EIO');
    });
    input.send('a');
    input.send('b');
    expect(calls).toBe(1);
    expect(input.pendingBytes).toBe(0);
    const closed = new PtyInput(fakePty(7), () => {
      throw new Error('not written after close');
    });
    closed.close();
    closed.send('x');
    expect(closed.pendingBytes).toBe(0);
  });

  it("uses node-pty's own write when the terminal has no descriptor", () => {
    const pty = fakePty(undefined);
    const input = new PtyInput(pty, () => {
      throw new Error('no descriptor to write to');
    });
    input.send('dir\r');
    expect(pty.viaNodePty).toEqual(['dir\r']);
  });
});

describe('PtyInput on a real pty', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'assent-pty-input-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers keystrokes one by one and a long paste whole and in order', async () => {
    const seen: Buffer[] = [];
    const t = await PtyTerminal.start({
      id: 't1',
      mode: 'interactive',
      cwd: dir,
      cols: 80,
      rows: 24,
      send: async (chunk) => void seen.push(chunk),
      recorder: null,
      onRecordingError: () => true,
    });
    const text = (): string => Buffer.concat(seen).toString('utf8');
    t.write('stty -echo; wc -c; echo counted-$((2*3))\r');
    // 64 KiB in lines of 64 bytes: more than the line discipline holds at once.
    const line = `${'x'.repeat(63)}\n`;
    const paste = line.repeat(1024);
    for (let i = 0; i < paste.length; i += 4096) t.write(paste.slice(i, i + 4096));
    t.write('\u0004');
    await waitFor(() => text().includes('counted-6'), 20_000);
    expect(text()).toMatch(/65536\s+counted-6/);
    await t.end('closed-by-engineer');
  });
});
