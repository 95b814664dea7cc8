import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AssentError } from '../../../protocol/errors';
import { AsciicastRecorder } from '../../../main/terminal/asciicast-recorder';
import { terminalProcesses } from '../../../main/terminal/process-tree';
import {
  PtyTerminal,
  type PtyTerminalOptions,
  type TerminalEnd,
} from '../../../main/terminal/pty-terminal';
import { waitFor } from './support/terminal-fixture';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'assent-pty-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function options(over: Partial<PtyTerminalOptions> = {}): PtyTerminalOptions & { seen: Buffer[] } {
  const seen: Buffer[] = [];
  return {
    id: 't1',
    mode: 'supervised',
    cwd: dir,
    cols: 80,
    rows: 24,
    send: async (chunk) => {
      seen.push(chunk);
    },
    recorder: null,
    onRecordingError: () => true,
    seen,
    ...over,
  };
}

describe('PtyTerminal', () => {
  it('runs supervised lines in one shell and reports each exit status', async () => {
    const o = options();
    const t = await PtyTerminal.start(o);
    const first = await t.runLine('echo hello-$((6*7)); false', 'approved');
    expect(first.exitCode).toBe(1);
    const second = await t.runLine('cd /; pwd; exit_code() { return 3; }; exit_code', 'approved');
    expect(second.exitCode).toBe(3);
    const text = Buffer.concat(o.seen).toString('utf8');
    expect(text).toContain('hello-42');
    expect(text).not.toContain('assent-status');
    const end = await t.end('closed-by-engineer');
    expect(end.survivors).toEqual([]);
    expect(terminalProcesses(t.pid, t.tag)).toEqual([]);
  });

  it('kills background jobs, nohup and setsid children when it ends', async () => {
    const o = options({ mode: 'interactive' });
    const t = await PtyTerminal.start(o);
    t.write(
      'sleep 1001 & nohup sleep 1002 >/dev/null 2>&1 & setsid sleep 1003 & (sleep 1004 &) ; echo started-$((1+1))\r',
    );
    await waitFor(() => Buffer.concat(o.seen).toString().includes('started-2'));
    await waitFor(() => terminalProcesses(t.pid, t.tag).length >= 5);
    const end = await t.end('closed-by-approver');
    expect(end.survivors).toEqual([]);
    expect(terminalProcesses(t.pid, t.tag)).toEqual([]);
  });

  it('records output, input and markers in asciicast v2', async () => {
    const file = join(dir, 'rec', 'a.cast');
    const recorder = AsciicastRecorder.create(file, { width: 80, height: 24, timestamp: 1 });
    const o = options({ recorder });
    const t = await PtyTerminal.start(o);
    await t.runLine('echo recorded', 'approved by alice');
    const end = await t.end('closed-by-engineer');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ version: 2, width: 80 });
    const events = lines.slice(1).map((l) => JSON.parse(l) as [number, string, string]);
    expect(events).toContainEqual([expect.any(Number), 'm', 'approved by alice']);
    expect(events).toContainEqual([expect.any(Number), 'i', 'echo recorded\r']);
    const shown = events
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    expect(shown).toBe(Buffer.concat(o.seen).toString('utf8'));
    expect(end.recording?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

/** A recorder that refuses the first write of `refuse` (as a full or failing disk would). */
function failingRecorder(refuse: 'output' | 'input'): AsciicastRecorder & { calls: string[] } {
  const calls: string[] = [];
  const fail = (kind: string) => () => {
    calls.push(kind);
    if (kind === refuse) throw new AssentError('TERMINAL_RECORDING_FAILED', 'disk full');
  };
  return {
    path: join(dir, 'refused.cast'),
    calls,
    recordOutput: fail('output'),
    recordInput: fail('input'),
    recordResize: fail('resize'),
    recordMarker: fail('marker'),
    finish: () => ({
      path: join(dir, 'refused.cast'),
      sha256: '0'.repeat(64),
      bytes: 0,
      events: 0,
    }),
  } as unknown as AsciicastRecorder & { calls: string[] };
}

describe('PtyTerminal recording', () => {
  it('records each batch sent to the engineer as one output event, exactly as sent', async () => {
    const file = join(dir, 'rec', 'b.cast');
    const recorder = AsciicastRecorder.create(file, { width: 80, height: 24, timestamp: 1 });
    const o = options({ mode: 'interactive', recorder });
    const t = await PtyTerminal.start(o);
    t.write('for i in $(seq 1 2000); do echo line-$i; done; echo done-$((5*5))\r');
    await waitFor(() => Buffer.concat(o.seen).toString().includes('done-25'));
    await t.end('closed-by-engineer');
    const events = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l) as [number, string, string]);
    const output = events.filter((e) => e[1] === 'o').map((e) => e[2]);
    expect(output).toEqual(o.seen.map((b) => b.toString('utf8')));
    // The end is the recording's last event, after the last output.
    expect(events.at(-1)).toEqual([expect.any(Number), 'm', 'terminal ended: closed-by-engineer']);
  });

  it('sends nothing it could not record when the recording is required (fail closed)', async () => {
    const recorder = failingRecorder('output');
    const o = options({ mode: 'interactive', recorder, onRecordingError: () => true });
    const t = await PtyTerminal.start(o);
    const end = await new Promise<TerminalEnd>((r) => t.once('end', r));
    expect(end.reason).toBe('recording-failed');
    expect(recorder.calls).toContain('output');
    expect(o.seen).toEqual([]);
  });

  it('writes no keystroke to the shell that it could not record when the recording is required', async () => {
    const recorder = failingRecorder('input');
    const o = options({ mode: 'interactive', recorder, onRecordingError: () => true });
    const t = await PtyTerminal.start(o);
    t.write(`touch ${join(dir, 'typed')}\r`);
    const end = await new Promise<TerminalEnd>((r) => t.once('end', r));
    expect(end.reason).toBe('recording-failed');
    expect(existsSync(join(dir, 'typed'))).toBe(false);
  });
});

describe('PtyTerminal pass-through', () => {
  it('passes resize and the exit status of an interactive shell through', async () => {
    const o = options({ mode: 'interactive' });
    const t = await PtyTerminal.start(o);
    t.resize(132, 43);
    t.write('stty size; exit 3\r');
    const end = await new Promise<TerminalEnd>((r) => t.once('end', r));
    expect(Buffer.concat(o.seen).toString()).toContain('43 132');
    expect(end).toMatchObject({ reason: 'exited', exitCode: 3, survivors: [] });
  });
});

describe('PtyTerminal interrupt', () => {
  it('an interrupt sent with the line ends it, and never runs a part of the line on its own', async () => {
    const o = options();
    const t = await PtyTerminal.start(o);
    // What the shell printed for the line, for a failure's message.
    const shown = (from: number): string =>
      JSON.stringify(Buffer.concat(o.seen.slice(from)).toString());
    // The ^C follows the line at once, or after a few microseconds: it used to land while bash
    // parsed the line, which dropped the part parsed and ran the rest (`leep 1000`, status 127).
    for (let i = 0; i < 20; i++) {
      const from = o.seen.length;
      const ran = t.runLine('sleep 1000', 'approved');
      const spinUntil = process.hrtime.bigint() + BigInt((i % 10) * 20_000);
      while (process.hrtime.bigint() < spinUntil);
      t.interrupt('SIGINT');
      const result = await Promise.race([
        ran,
        new Promise<'lost'>((r) => setTimeout(() => r('lost'), 4000)),
      ]);
      if (result === 'lost') {
        // The ^C reached bash between reading the line and starting sleep (as at a real
        // terminal); a second one, once sleep runs, ends it.
        await waitFor(() => terminalProcesses(t.pid, t.tag).some((pid) => commOf(pid) === 'sleep'));
        t.interrupt('SIGINT');
        expect((await ran).exitCode, shown(from)).toBe(130);
      } else expect(result.exitCode, shown(from)).toBe(130);
      expect(shown(from)).not.toContain('command not found');
    }
    await t.end('closed-by-engineer');
  });

  it('a line that stays in bash still gets the interrupt', async () => {
    const t = await PtyTerminal.start(options());
    // A builtin loop: bash holds the foreground the whole time; the interrupt goes after the wait.
    const ran = t.runLine('while :; do :; done', 'approved');
    await new Promise((r) => setTimeout(r, 200));
    t.interrupt('SIGINT');
    expect((await ran).exitCode).toBe(130);
    await t.end('closed-by-engineer');
  });
});

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
