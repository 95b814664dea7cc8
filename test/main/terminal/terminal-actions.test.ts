import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAssentError } from '../../../protocol/errors';
import { UNPARSED_COMMAND } from '../../../protocol/terminal';
import { readAuditRecords } from '../../../main/audit/audit-reader';
import { terminalProcesses } from '../../../main/terminal/process-tree';
import { TerminalFixture, waitFor } from './support/terminal-fixture';

let f: TerminalFixture;
afterEach(async () => {
  await f.close();
});

async function auditTypes(): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  const out = [];
  for await (const r of readAuditRecords(f.audit.file)) out.push(r);
  return out;
}

/** True once a process named `name` runs in the shell's tree. */
function running(shell: { pid: number; tag: string }, name: string): boolean {
  return terminalProcesses(shell.pid, shell.tag).some((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
    } catch {
      return false;
    }
  });
}

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return isAssentError(err) ? err.code : `not an AssentError: ${String(err)}`;
  }
  return 'resolved';
}

describe('terminal.command (supervised)', () => {
  it('shows the exact line, cwd and parsed names, runs it once approved, and streams the output', async () => {
    f = await TerminalFixture.create();
    const prompt = f.nextPrompt();
    const result = f.request('terminal.command', { line: 'echo out-$((2+3)) | tr a-z A-Z' });
    const p = await prompt;
    expect(p.preview.command).toEqual({
      mode: 'supervised',
      line: 'echo out-$((2+3)) | tr a-z A-Z',
      visibleLine: 'echo out-$((2+3)) | tr a-z A-Z',
      commandNames: ['echo', 'tr'],
      cwd: f.root,
    });
    f.engine.decide(p.id, { how: 'allow-once' }, { approver: 'alice' });
    const r = await result;
    expect(r).toMatchObject({ exitCode: 0 });
    const opened = f.opened('r1')!;
    expect(opened).toMatchObject({ mode: 'supervised', cwd: f.root });
    expect(f.link.text(opened.streamId)).toContain('OUT-5');
    const types = (await auditTypes()).map((a) => a.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'action.requested',
        'action.decided',
        'terminal.started',
        'terminal.line',
      ]),
    );
  });

  it('runs nothing when the approver denies', async () => {
    f = await TerminalFixture.create();
    const prompt = f.nextPrompt();
    const result = f.request('terminal.command', { line: 'touch denied-marker' });
    f.engine.decide((await prompt).id, { how: 'deny', reason: 'no' }, { approver: 'alice' });
    expect(await rejection(result)).toBe('CONSENT_DENIED');
    expect(existsSync(join(f.root, 'denied-marker'))).toBe(false);
    expect(f.terminals.list()).toEqual([]);
  });

  it('is denied by rule when the terminal is off', async () => {
    f = await TerminalFixture.create({ terminal: 'off' });
    expect(await rejection(f.request('terminal.command', { line: 'ls' }))).toBe(
      'CONSENT_DENIED_BY_RULE',
    );
  });

  it('refuses control characters and line breaks before asking anyone', async () => {
    f = await TerminalFixture.create();
    for (const line of ['ls\nrm -rf x', 'ls\u0015rm x', 'ls\u0003', 'ls\u001b[A', 'ls\u007f'])
      expect(await rejection(f.request('terminal.command', { line }))).toBe('TERMINAL_BAD_LINE');
    expect(f.engine.pending()).toEqual([]);
  });

  it('shows invisible characters in the visible line', async () => {
    f = await TerminalFixture.create();
    const prompt = f.nextPrompt();
    const result = f.request('terminal.command', { line: 'echo a\u202eb\u200bc' });
    const p = await prompt;
    expect(p.preview.command?.visibleLine).toBe('echo a⟨U+202E⟩b⟨U+200B⟩c');
    f.engine.decide(p.id, { how: 'deny' }, { approver: 'alice' });
    await rejection(result);
  });

  it('a journalctl scope covers journalctl lines only, not `journalctl; rm -rf x` nor `sh -c journalctl`', async () => {
    f = await TerminalFixture.create();
    const prompt = f.nextPrompt();
    const first = f.request('terminal.command', { line: 'journalctl -u x' });
    f.engine.decide(
      (await prompt).id,
      { how: 'allow-session', scope: { kind: 'terminal.command', command: 'journalctl' } },
      { approver: 'alice' },
    );
    await first;
    // Covered: no prompt.
    await f.request('terminal.command', { line: 'journalctl -n 1 --no-pager' });
    expect(f.engine.pending()).toEqual([]);
    for (const line of [
      'journalctl; rm -rf x',
      'sh -c journalctl',
      'journalctl | rm x',
      '$(journalctl)',
    ]) {
      const next = f.nextPrompt();
      const run = f.request('terminal.command', { line });
      const p = await next;
      expect(p.preview.command?.commandNames).not.toEqual(['journalctl']);
      f.engine.decide(p.id, { how: 'deny' }, { approver: 'alice' });
      expect(await rejection(run)).toBe('CONSENT_DENIED');
    }
  });

  it('lines the parser cannot read carry the sentinel and always prompt', async () => {
    f = await TerminalFixture.create();
    const prompt = f.nextPrompt();
    const run = f.request('terminal.command', { line: 'eval "$X"' });
    const p = await prompt;
    expect(p.preview.command?.commandNames).toEqual(['eval', UNPARSED_COMMAND]);
    f.engine.decide(p.id, { how: 'deny' }, { approver: 'alice' });
    await rejection(run);
  });

  it('keeps the shell between lines and refuses a line shown for another cwd', async () => {
    f = await TerminalFixture.create();
    mkdirSync(join(f.root, 'sub'));
    f.approveAll();
    await f.request('terminal.command', { line: 'cd sub' });
    const seen = f.nextPrompt();
    const pwd = f.request('terminal.command', { line: 'pwd' });
    expect((await seen).preview.command?.cwd).toBe(join(f.root, 'sub'));
    await pwd;
    // Described in sub, but the shell moved before it ran.
    const handler = f.handlers.get('terminal.command')!;
    const action = await handler.describe(
      { line: 'ls', cols: 80, rows: 24 },
      { link: f.link, requestId: 'x1' },
    );
    await f.request('terminal.command', { line: 'cd ..' });
    const grant = await f.engine.request(action, { requestId: 'x1' });
    const stale = handler.execute(
      grant,
      { line: 'ls', cols: 80, rows: 24 },
      {
        link: f.link,
        requestId: 'x1',
        signal: grant.signal,
        progress: () => undefined,
        action,
      },
    );
    expect(await rejection(stale)).toBe('TERMINAL_STATE_CHANGED');
  });

  it('a forged or mismatched grant does not run', async () => {
    f = await TerminalFixture.create();
    f.approveAll();
    const handler = f.handlers.get('terminal.command')!;
    const ctx = { link: f.link, requestId: 'g1' };
    const a = await handler.describe({ line: 'touch a', cols: 80, rows: 24 }, ctx);
    const b = await handler.describe({ line: 'touch b', cols: 80, rows: 24 }, ctx);
    const grantForA = await f.engine.request(a, { requestId: 'g1' });
    const exec = (grant: unknown) =>
      handler.execute(
        grant as never,
        { line: 'touch b', cols: 80, rows: 24 },
        {
          ...ctx,
          signal: new AbortController().signal,
          progress: () => undefined,
          action: b,
        },
      );
    expect(await rejection(exec(grantForA))).toBe('GRANT_INVALID');
    expect(
      await rejection(exec({ digest: grantForA.digest, signal: new AbortController().signal })),
    ).toBe('GRANT_INVALID');
    expect(existsSync(join(f.root, 'b'))).toBe(false);
  });

  it('Ctrl-C interrupts the running line; revoking the grant kills the shell and its tree', async () => {
    f = await TerminalFixture.create();
    const prompt = f.nextPrompt();
    const run = f.request('terminal.command', { line: 'sleep 1000' });
    f.engine.decide(
      (await prompt).id,
      { how: 'allow-session', scope: { kind: 'terminal.command', command: 'sleep' } },
      { approver: 'alice' },
    );
    await waitFor(() => f.terminals.supervised()?.busy === true);
    const shell = f.terminals.supervised()!;
    // Like a person at a terminal, interrupt once the command runs (an earlier ^C can be lost).
    await waitFor(() => running(shell, 'sleep'));
    const id = f.terminals.list()[0]!.terminalId;
    f.terminals.handleMessage({ type: 'terminal.signal', terminalId: id, signal: 'SIGINT' });
    expect(await run).toMatchObject({ exitCode: 130 });
    const second = f.request('terminal.command', { line: 'sleep 1001 & sleep 1002' });
    await waitFor(() => terminalProcesses(shell.pid, shell.tag).length >= 3);
    f.engine.revoke(f.engine.grants()[0]!.id);
    expect(await second).toMatchObject({ exitCode: null, ended: 'revoked' });
    expect(terminalProcesses(shell.pid, shell.tag)).toEqual([]);
    expect(f.link.sent).toContainEqual({
      type: 'terminal.exit',
      terminalId: id,
      exitCode: null,
      reason: 'revoked',
    });
  });
});
