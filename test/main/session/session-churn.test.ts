// A long-running agent and relay serve session after session. Each session
// here is accepted, reads a file, writes one, runs a command in a supervised
// terminal and ends. Afterwards nothing of those sessions is left behind:
// the relay holds no connection, code or pair, the agent has no session, the
// process has no more open descriptors (sockets, files, ptys) and no more
// process-level listeners than after the first sessions, and no shell of a
// terminal is still running. Real relay, agent, engineer, pty and disk.
import { readdirSync, readFileSync, realpathSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsoleContext } from '../../../console/commands/console-command';
import { TERMINAL_COMMANDS } from '../../../console/commands/terminal';
import { getFile, putFile } from '../../../console/files/file-client';
import { SessionHarness, waitFor } from '../../support/session-harness';

let harness: SessionHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** Sessions run before the baseline is taken (lazily opened descriptors, compiled code). */
const WARM_SESSIONS = 2;
const SESSIONS = 12;

const openDescriptors = (): number => readdirSync('/proc/self/fd').length;
const processListeners = (): number =>
  process.eventNames().reduce((n, name) => n + process.listenerCount(name), 0);

/** How many processes have this one as their parent (a terminal's shell does while it runs). */
function children(): number {
  const own = String(process.pid);
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // After the command's name in parentheses: state, then the parent's pid.
      const [, parent] = readFileSync(`/proc/${entry}/stat`, 'utf8')
        .replace(/^.*\) /s, '')
        .split(' ');
      if (parent === own) count++;
    } catch {
      // Gone meanwhile.
    }
  }
  return count;
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.runIf(process.platform === 'linux')('many sessions, one after another', () => {
  it('leave no connection, descriptor, listener or process behind', async () => {
    harness = await SessionHarness.start({ rules: { terminal: 'supervised' } });
    const h = harness;
    const root = realpathSync(h.customerDir);
    const local = join(realpathSync(h.root), 'engineer');
    await fsp.mkdir(local);
    await fsp.writeFile(join(root, 'app.log'), 'line\n'.repeat(10_000));
    const run = TERMINAL_COMMANDS.find((c) => c.name === 'run')!;

    let baseline: { descriptors: number; listeners: number; children: number } | undefined;
    for (let i = 0; i < SESSIONS; i++) {
      const { agentSession, engineer } = await h.approvedSession({
        onServices: (services) =>
          services.engine.on('prompt', (p: { id: string }) =>
            services.engine.decide(p.id, { how: 'allow-once' }, { approver: 'alice' }),
          ),
      });
      const read = await getFile(engineer.link, join(root, 'app.log'), join(local, `copy-${i}`));
      expect(read.size).toBe(50_000);
      await putFile(engineer.link, join(root, `written-${i}.txt`), Buffer.from(`session ${i}\n`));
      const printed: string[] = [];
      let written = '';
      const context: ConsoleContext = {
        link: engineer.link,
        print: (line) => printed.push(line),
        write: (text) => (written += text),
        cwd: '/',
        stdin: new PassThrough() as unknown as NodeJS.ReadStream,
        stdout: new PassThrough() as unknown as NodeJS.WriteStream,
      };
      await run.run(['echo', `session-${i}`], context);
      expect(written).toContain(`session-${i}`);

      const ended = waitFor(agentSession, 'ended');
      await engineer.endSession();
      await ended;
      await until(() => h.agent.session === undefined, 'the agent has no session');
      await until(() => h.relay.stats().connections === 0, 'the relay has no connection');
      if (i === WARM_SESSIONS - 1)
        baseline = {
          descriptors: openDescriptors(),
          listeners: processListeners(),
          children: children(),
        };
    }

    expect(h.relay.stats()).toMatchObject({ waiting: 0, pairs: 0 });
    // A descriptor, a listener or a shell per session would show as ten more.
    await until(() => openDescriptors() <= baseline!.descriptors + 2, 'descriptors are released');
    expect(processListeners()).toBeLessThanOrEqual(baseline!.listeners);
    expect(children()).toBeLessThanOrEqual(baseline!.children);
  });
});
