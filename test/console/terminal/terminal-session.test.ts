// End to end: engineer console -> relay on 127.0.0.1 -> agent session ->
// action router -> consent engine -> real pty, and back.
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsentEngine } from '../../../main/consent/consent-engine';
import type { SessionTerminals } from '../../../main/terminal/session-terminals';
import { terminalProcesses } from '../../../main/terminal/process-tree';
import { TERMINAL_COMMANDS, DETACH_KEY, commandLineFrom } from '../../../console/commands/terminal';
import type { ConsoleContext } from '../../../console/commands/console-command';
import { openShell } from '../../../console/terminal/terminal-client';
import { SessionHarness } from '../../support/session-harness';

let harness: SessionHarness;
afterEach(async () => {
  await harness.close();
});

interface AgentSide {
  engine?: ConsentEngine;
  terminals?: SessionTerminals;
}

/** A session whose agent serves terminals (the agent's own services); the approver answers with `decide`. */
async function terminalSession(decide: 'allow-once' | 'deny') {
  harness = await SessionHarness.start({ rules: { terminal: 'interactive' } });
  const shellRoot = realpathSync(harness.customerDir);
  const agent: AgentSide = {};
  const { engineer } = await harness.approvedSession({
    onServices: (services) => {
      agent.engine = services.engine;
      agent.terminals = services.terminals;
      services.engine.on('prompt', (p: { id: string }) =>
        services.engine.decide(
          p.id,
          decide === 'deny' ? { how: 'deny', reason: 'not now' } : { how: 'allow-once' },
          { approver: 'alice' },
        ),
      );
    },
  });
  return { engineer, agent, shellRoot };
}

function consoleContext(link: ConsoleContext['link']) {
  const printed: string[] = [];
  let written = '';
  const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
  const stdout = new PassThrough() as unknown as NodeJS.WriteStream;
  let shown = '';
  (stdout as unknown as PassThrough).on('data', (c: Buffer) => (shown += c.toString()));
  const context: ConsoleContext = {
    link,
    print: (line) => printed.push(line),
    write: (text) => (written += text),
    cwd: '/',
    stdin,
    stdout,
  };
  return { context, printed, written: () => written, shown: () => shown, stdin };
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const command = (name: string) => TERMINAL_COMMANDS.find((c) => c.name === name)!;

describe('terminal over a real session', () => {
  it('`run` waits for approval, streams the output and prints the exit status', async () => {
    const { engineer, shellRoot } = await terminalSession('allow-once');
    const c = consoleContext(engineer.link);
    await command('run').run(['echo', 'hello from', '$((6*7))'], c.context);
    expect(c.printed[0]).toBe(`waiting for approval… (supervised in ${shellRoot}; commands: echo)`);
    expect(c.written()).toContain('hello from 42');
    expect(c.printed.at(-1)).toBe('[exit 0]');
    await command('run').run(['cd .. ; pwd; false'], c.context);
    expect(c.written()).toContain(realpathSync(join(shellRoot, '..')));
    expect(c.printed.at(-1)).toBe('[exit 1]');
  });

  it('`run` prints the denial and its reason; nothing runs', async () => {
    const { engineer, agent } = await terminalSession('deny');
    const c = consoleContext(engineer.link);
    await command('run').run(['touch', 'x'], c.context);
    expect(c.printed.at(-1)).toMatch(/^CONSENT_DENIED: .*\(approver/);
    expect(agent.terminals!.list()).toEqual([]);
  });

  it('`shell` opens a raw window, passes keystrokes and leaves with Ctrl-]', async () => {
    const { engineer, agent } = await terminalSession('allow-once');
    const c = consoleContext(engineer.link);
    const running = command('shell').run([], c.context);
    await until(() => agent.terminals!.list().length === 1);
    const t = agent.terminals!.live(agent.terminals!.list()[0]!.terminalId)!;
    c.stdin.write('echo typed-$((5*5))\r');
    await until(() => c.shown().includes('typed-25'));
    c.stdin.write(DETACH_KEY);
    await running;
    expect(c.printed.at(-1)).toContain('[shell ended: closed-by-engineer');
    expect(terminalProcesses(t.pid, t.tag)).toEqual([]);
  });

  it('ending the session from the console kills the remote shell and its children', async () => {
    const { engineer, agent } = await terminalSession('allow-once');
    const out: Buffer[] = [];
    const shell = await openShell(engineer.link, { onOutput: (b) => out.push(b) });
    shell.write('sleep 1001 & echo bg-$((1+1))\r');
    await until(() => Buffer.concat(out).toString().includes('bg-2'));
    const t = agent.terminals!.live(shell.terminalId)!;
    expect(terminalProcesses(t.pid, t.tag).length).toBeGreaterThanOrEqual(2);
    const done = shell.done.catch((e: unknown) => e);
    await engineer.endSession();
    await done;
    await until(() => agent.terminals!.list().length === 0);
    expect(terminalProcesses(t.pid, t.tag)).toEqual([]);
  });
});

describe('keystroke bursts', () => {
  it('a burst of keystrokes is sent as few messages and does not trip the rate limit', async () => {
    const { engineer } = await terminalSession('allow-once');
    const out: Buffer[] = [];
    const shell = await openShell(engineer.link, { cols: 200, onOutput: (b) => out.push(b) });
    shell.write('echo ');
    for (let i = 0; i < 1000; i++) shell.write('b');
    shell.write(' | wc -c\r');
    await until(() => /\b1001\b/.test(Buffer.concat(out).toString()));
    expect(engineer.link.signal.aborted).toBe(false);
    shell.close();
    await shell.done;
  });
});

describe('commandLineFrom', () => {
  it('takes one argument verbatim and re-quotes arguments with blanks or quotes', () => {
    expect(commandLineFrom(['grep "a|b" log | wc -l'])).toBe('grep "a|b" log | wc -l');
    expect(commandLineFrom(['echo', 'a b', '|', 'tr', 'a', 'b'])).toBe("echo 'a b' | tr a b");
    expect(commandLineFrom(['echo', "it's"])).toBe("echo 'it'\\''s'");
  });
});
