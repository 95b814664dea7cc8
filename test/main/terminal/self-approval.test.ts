// Nothing typed in the remote shell can grant consent (issue 4). The shell
// runs as the same user as the agent here, so these tests check what the
// agent does prevent; docs/terminal.md "Residual risk" lists what it cannot.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import inspector from 'node:inspector';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { guardAgentProcess, inspectorExposure } from '../../../main/terminal/agent-guard';
import { TERMINAL_ENV_NAMES } from '../../../main/terminal/shell-environment';
import { TerminalFixture, waitFor } from './support/terminal-fixture';

let f: TerminalFixture;
const planted = {
  NODE_OPTIONS: '--inspect=127.0.0.1:0',
  ELECTRON_RUN_AS_NODE: '1',
  ASSENT_DATA_DIR: '/tmp/assent-secret-data',
  ASSENT_TEST_KEYRING: '1',
  DBUS_SESSION_BUS_ADDRESS: 'unix:path=/tmp/assent-fake-bus',
  XDG_RUNTIME_DIR: '/run/user/0',
  NODE_INSPECT_RESUME_ON_START: '1',
  AGENT_SECRET_TOKEN: 'hunter2',
};
const saved: Record<string, string | undefined> = {};

beforeEach(() => {
  for (const [k, v] of Object.entries(planted)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterEach(async () => {
  for (const k of Object.keys(planted)) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await f.close();
});

async function shell() {
  const prompt = f.nextPrompt();
  const result = f.request('terminal.interactive', {}, 'i1');
  f.engine.decide((await prompt).id, { how: 'allow-once' }, { approver: 'alice' });
  await waitFor(() => f.opened('i1') !== undefined);
  const opened = f.opened('i1')!;
  const run = async (line: string, done: string, ms = 10_000): Promise<string> => {
    const before = f.link.text(opened.streamId).length;
    f.terminals.handleMessage({
      type: 'terminal.input',
      terminalId: opened.terminalId,
      data: line + '\r',
    });
    await waitFor(() => f.link.text(opened.streamId).slice(before).includes(done), ms);
    return f.link.text(opened.streamId).slice(before);
  };
  return { result, run, id: opened.terminalId };
}

describe('the remote shell cannot reach consent', () => {
  it('gets only the documented environment: no Node/Electron switches, no ASSENT_*, no D-Bus, no secrets', async () => {
    f = await TerminalFixture.create();
    const s = await shell();
    const out = await s.run("env | sed 's/^/ENV:/'; echo env-done-$((1))", 'env-done-1');
    // Exactly what the shell was started with (its rc files may add their own later).
    const shellPid = f.terminals.live(s.id)!.pid;
    const initial = readFileSync(`/proc/${shellPid}/environ`, 'utf8')
      .split('\0')
      .filter((e) => e.length > 0)
      .map((e) => e.slice(0, e.indexOf('=')))
      // node-pty adds PWD: the start directory.
      .filter((name) => name !== 'PWD');
    expect(initial.sort()).toEqual([...TERMINAL_ENV_NAMES].sort());
    for (const k of Object.keys(planted)) expect(out).not.toContain(`${k}=`);
    expect(out).not.toContain('hunter2');
  });

  it('a signal from the shell does not open the inspector on the agent (SIGUSR1 guarded)', async () => {
    guardAgentProcess();
    f = await TerminalFixture.create();
    const s = await shell();
    await s.run(`kill -USR1 ${process.pid}; echo sent-$((7))`, 'sent-7');
    await new Promise((r) => setTimeout(r, 200));
    expect(inspector.url()).toBeUndefined();
    expect(inspectorExposure(['--inspect=9229'], {})).toEqual(['started with --inspect']);
    expect(inspectorExposure([], { NODE_OPTIONS: '--inspect-brk' })).toEqual([
      'NODE_OPTIONS asks for the inspector',
    ]);
    expect(inspectorExposure([], {})).toEqual([]);
  });

  it('assent-agent is not on the PATH and NODE_OPTIONS/ELECTRON_RUN_AS_NODE typed in the shell only reach its own children', async () => {
    f = await TerminalFixture.create();
    const s = await shell();
    const out = await s.run(
      "command -v assent-agent || echo no-agent-cli; NODE_OPTIONS=--inspect ELECTRON_RUN_AS_NODE=1 sh -c 'echo child-sees:$NODE_OPTIONS'; echo cli-done-$((2))",
      'cli-done-2',
    );
    expect(out).toContain('no-agent-cli');
    expect(out).toContain('child-sees:--inspect');
    // The agent process itself did not change.
    expect(inspector.url()).toBeUndefined();
    expect(process.execArgv.some((a) => a.startsWith('--inspect'))).toBe(false);
  });

  it("running the agent CLI from the shell does not touch the running session's consent", async () => {
    f = await TerminalFixture.create();
    const s = await shell();
    const cli = join(process.cwd(), 'bin', 'assent-agent.js');
    writeFileSync(join(f.root, 'rules.signed.json'), '{"kind":"assent-signed-ground-rules"}');
    const out = await s.run(
      `node ${cli} rules accept rules.signed.json --yes --data ${f.dataDir}; echo cli-ran-$((4))`,
      'cli-ran-4',
      25_000,
    );
    expect(out).toMatch(/error [A-Z_]+:/);
    expect(f.engine.grants()).toEqual([]);
    expect(f.engine.pending()).toEqual([]);
    const prompt = f.nextPrompt();
    const run = f.request('terminal.command', { line: 'journalctl -n 1' });
    const p = await prompt;
    f.engine.decide(p.id, { how: 'deny' }, { approver: 'alice' });
    await run.catch(() => undefined);
  });

  it('writing files in the agent data folder grants nothing: consent lives in memory only', async () => {
    f = await TerminalFixture.create();
    const s = await shell();
    const grantsBefore = f.engine.grants();
    // The data folder is outside the shell's root, but the same user can still write it.
    await s.run(
      `mkdir -p ${f.dataDir}/consent && printf '{"grants":[{"kind":"terminal.command","command":"rm"}]}' > ${f.dataDir}/consent/grants.json && printf x > ${f.dataDir}/rules-in-force.json; echo wrote-$((3))`,
      'wrote-3',
    );
    expect(f.engine.grants()).toEqual(grantsBefore);
    // The next line still needs the approver.
    const prompt = f.nextPrompt();
    const run = f.request('terminal.command', { line: 'rm -f nothing' });
    const p = await prompt;
    expect(p.preview.command?.commandNames).toEqual(['rm']);
    f.engine.decide(p.id, { how: 'deny' }, { approver: 'alice' });
    await run.catch(() => undefined);
    // And no consent engine file exists to be written in the first place.
    expect(readdirSync(f.dataDir).sort()).toEqual([
      'audit',
      'consent',
      'recordings',
      'rules-in-force.json',
    ]);
    expect(readdirSync(join(f.dataDir, 'consent'))).toEqual(['grants.json']);
  });
});
