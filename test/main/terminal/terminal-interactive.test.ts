import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { isAssentError } from '../../../protocol/errors';
import { readAuditRecords } from '../../../main/audit/audit-reader';
import { OUTPUT_BATCH_BYTES } from '../../../main/terminal/output-pump';
import { terminalProcesses } from '../../../main/terminal/process-tree';
import { playRecording } from '../../../main/terminal/recording-player';
import { TerminalFixture, waitFor } from './support/terminal-fixture';

let f: TerminalFixture;
afterEach(async () => {
  await f.close();
});

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return isAssentError(err) ? err.code : `not an AssentError: ${String(err)}`;
  }
  return 'resolved';
}

/** Opens an interactive terminal (approved) and returns its id, stream and the pending result. */
async function openInteractive(requestId = 'i1') {
  const prompt = f.nextPrompt();
  const result = f.request('terminal.interactive', { cols: 100, rows: 30 }, requestId);
  const p = await prompt;
  f.engine.decide(p.id, { how: 'allow-once' }, { approver: 'alice' });
  await waitFor(() => f.opened(requestId) !== undefined);
  const opened = f.opened(requestId)!;
  return {
    prompt: p,
    result,
    opened,
    id: opened.terminalId,
    text: () => f.link.text(opened.streamId),
  };
}

function type(id: string, data: string): void {
  f.terminals.handleMessage({ type: 'terminal.input', terminalId: id, data });
}

describe('terminal.interactive', () => {
  it('asks once for a window, mirrors output, and ends when the window expires', async () => {
    f = await TerminalFixture.create({}, { interactiveWindowMs: 1500 });
    const mirrored: Buffer[] = [];
    f.terminals.on('output', (_id: string, bytes: Buffer) => mirrored.push(bytes));
    const t = await openInteractive();
    expect(t.prompt.preview.command).toEqual({
      mode: 'interactive',
      cwd: f.root,
      windowMinutes: 15,
    });
    expect(t.opened.expiresAt).toBeGreaterThan(Date.now());
    type(t.id, 'echo mirror-$((40+2))\r');
    await waitFor(() => t.text().includes('mirror-42'));
    const shell = f.terminals.list()[0]!;
    expect(shell.mode).toBe('interactive');
    const r = await t.result;
    expect(r).toMatchObject({ reason: 'expired', exitCode: null });
    expect(Buffer.concat(mirrored).toString()).toBe(t.text());
    expect(f.terminals.list()).toEqual([]);
  });

  it('a session scope never covers a second interactive window', async () => {
    f = await TerminalFixture.create();
    const prompt = f.nextPrompt();
    const first = f.request('terminal.interactive', {}, 'i1');
    const p = await prompt;
    // Allow-for-session is refused for interactive windows: each window needs its own consent.
    expect(() =>
      f.engine.decide(
        p.id,
        { how: 'allow-session', scope: { kind: 'terminal.interactive' } },
        { approver: 'alice' },
      ),
    ).toThrow(expect.objectContaining({ code: expect.stringMatching(/^CONSENT_/) }));
    f.engine.decide(p.id, { how: 'allow-once' }, { approver: 'alice' });
    await waitFor(() => f.opened('i1') !== undefined);
    // A second window prompts again; denied, it never opens.
    const next = f.nextPrompt();
    const second = f.request('terminal.interactive', {}, 'i2');
    f.engine.decide((await next).id, { how: 'deny' }, { approver: 'alice' });
    expect(await rejection(second)).toBe('CONSENT_DENIED');
    expect(f.opened('i2')).toBeUndefined();
    await f.terminals.close(f.opened('i1')!.terminalId);
    await first;
  });

  it('is refused in supervised mode, and supervised terminals take no raw keystrokes', async () => {
    f = await TerminalFixture.create({ terminal: 'supervised' });
    expect(await rejection(f.request('terminal.interactive', {}))).toBe('CONSENT_DENIED_BY_RULE');
    f.approveAll();
    await f.request('terminal.command', { line: 'true' });
    const id = f.terminals.list()[0]!.terminalId;
    f.terminals.handleMessage({ type: 'terminal.input', terminalId: id, data: 'rm -rf x\r' });
    expect(f.link.sent.at(-1)).toMatchObject({
      type: 'error',
      code: 'TERMINAL_NOT_INTERACTIVE',
    });
  });

  it('the approver ends it; the session end kills every terminal and everything they started', async () => {
    f = await TerminalFixture.create();
    const a = await openInteractive('i1');
    const b = await openInteractive('i2');
    type(a.id, 'sleep 1001 & setsid sleep 1002 & echo a-$((1))\r');
    type(b.id, 'nohup sleep 1003 >/dev/null 2>&1 & echo b-$((2))\r');
    await waitFor(() => a.text().includes('a-1') && b.text().includes('b-2'));
    const shells = [a.id, b.id].map((id) => f.terminals.live(id)!);
    await waitFor(() => shells.every((t) => terminalProcesses(t.pid, t.tag).length >= 2));
    const end = await f.terminals.close(a.id, 'closed-by-approver');
    expect(end.survivors).toEqual([]);
    expect(await a.result).toMatchObject({ reason: 'closed-by-approver' });
    f.link.controller.abort();
    expect(await b.result).toMatchObject({ reason: 'session-ended' });
    for (const t of shells) expect(terminalProcesses(t.pid, t.tag)).toEqual([]);
  });

  it('keeps the agent-side buffer bounded while a slow consumer reads a flood', async () => {
    f = await TerminalFixture.create();
    f.link.streamDelayMs = 3;
    const t = await openInteractive();
    let high = 0;
    f.terminals.on('output', () => {
      const shell = f.terminals.live(t.id);
      high = Math.max(high, shell?.bufferedBytes ?? 0);
    });
    type(
      t.id,
      'head -c 6000000 /dev/zero | od -v -An | head -c 6000000; echo; echo flood-$((3*3))\r',
    );
    await waitFor(() => t.text().includes('flood-9'), 20_000);
    const shell = f.terminals.live(t.id)!;
    expect(t.text().length).toBeGreaterThan(6_000_000);
    // One batch in flight, one batch queued, and what the pty had read before the pause.
    expect(high).toBeLessThanOrEqual(2 * OUTPUT_BATCH_BYTES + 256 * 1024);
    expect(shell.highWaterBytes).toBeLessThanOrEqual(2 * OUTPUT_BATCH_BYTES + 256 * 1024);
    await f.terminals.close(t.id);
    await t.result;
  });

  it('records input, output and the approval; the recording equals what was shown and its digest is audited', async () => {
    f = await TerminalFixture.create();
    const t = await openInteractive();
    type(t.id, 'printf "r\\303\\251sum\\303\\251-%s\\n" ok\r');
    await waitFor(() => t.text().includes('résumé-ok'));
    await f.terminals.close(t.id);
    const r = (await t.result) as { recordingSha256: string };
    const file = join(f.dataDir, 'recordings', f.link.sessionId, `${t.id}.cast`);
    const raw = readFileSync(file);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(raw).digest('hex')).toBe(r.recordingSha256);
    const events = raw
      .toString('utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l) as [number, string, string]);
    expect(events.find((e) => e[1] === 'm')?.[2]).toMatch(/^approved i1 by approver/);
    expect(events).toContainEqual([
      expect.any(Number),
      'i',
      'printf "r\\303\\251sum\\303\\251-%s\\n" ok\r',
    ]);
    const shown = events
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    expect(shown).toBe(t.text());
    let audited: Record<string, unknown> | undefined;
    for await (const rec of readAuditRecords(f.audit.file))
      if (rec.type === 'terminal.ended') audited = rec.data;
    expect(audited).toMatchObject({ recordingSha256: r.recordingSha256, survivors: 0 });
    // Played back, the output is the same bytes.
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await playRecording(file, out, { speed: Infinity });
    expect(Buffer.concat(chunks).toString('utf8')).toBe(t.text());
  });

  it('does not start when the rules require a recording that cannot be written (fail closed)', async () => {
    f = await TerminalFixture.create({ requireTerminalRecording: true });
    mkdirSync(join(f.dataDir, 'recordings'), { recursive: true });
    writeFileSync(join(f.dataDir, 'recordings', f.link.sessionId), 'not a directory');
    f.approveAll();
    expect(await rejection(f.request('terminal.interactive', {}))).toBe(
      'TERMINAL_RECORDING_FAILED',
    );
    expect(await rejection(f.request('terminal.command', { line: 'true' }))).toBe(
      'TERMINAL_RECORDING_FAILED',
    );
    expect(f.terminals.list()).toEqual([]);
    chmodSync(join(f.dataDir, 'recordings'), 0o700);
  });

  it('starts without a recording when it is not required and cannot be written', async () => {
    f = await TerminalFixture.create({ requireTerminalRecording: false, recordSessions: true });
    mkdirSync(join(f.dataDir, 'recordings'), { recursive: true });
    writeFileSync(join(f.dataDir, 'recordings', f.link.sessionId), 'not a directory');
    f.approveAll();
    expect(await f.request('terminal.command', { line: 'true' })).toMatchObject({ exitCode: 0 });
  });

  it('refuses a root that contains the agent data folder', async () => {
    f = await TerminalFixture.create({}, { rootIsTempDir: true });
    expect(await rejection(f.request('terminal.interactive', {}))).toBe('TERMINAL_UNSAFE_ROOT');
    expect(await rejection(f.request('terminal.command', { line: 'ls' }))).toBe(
      'TERMINAL_UNSAFE_ROOT',
    );
  });
});
