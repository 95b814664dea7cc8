// The README's quick start, as a person follows it: `npm start` (bin/assent-start.js)
// on a machine with no vendor pinned and no relay configured sets up the local
// trial and a local relay, runs the headless agent (no Electron binary here)
// and prints the command the engineer runs in a second terminal; that command,
// as printed, joins the session, and one consented action goes through. The
// local relay stops with the agent, also when the agent is killed.
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BinScope, type BinProcess } from '../support/cli-process';

const bins = new BinScope('assent-start-');

/** The environment `npm start` gets: no display decision left to chance, any free port for the relay. */
const START_ENV = { ASSENT_HEADLESS: '1', ASSENT_LOCAL_RELAY_PORT: '0' };

/** True while something accepts connections on `port` of 127.0.0.1. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function until(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts `npm start`'s bin on `dataDir`; resolves with what it printed for the engineer. */
async function start(dataDir: string): Promise<{
  agent: BinProcess;
  port: number;
  code: string;
  joinArgs: string[] | undefined;
}> {
  const agent = bins.start('assent-start', ['--data', dataDir], START_ENV);
  await agent.expect(/Electron cannot start here \(ASSENT_HEADLESS=1 is set\)/, 60_000);
  const url = (await agent.expect(/Local relay running at (ws:\/\/127\.0\.0\.1:\d+)/, 60_000))[1]!;
  const code = (await agent.expect(/Session code: (\d{3} \d{3} \d{4})/, 60_000))[1]!;
  const joinLine = /the engineer joins with: +npm run engineer -- (connect <code> .*)$/m.exec(
    agent.text,
  );
  const joinArgs = joinLine?.[1]!
    .split(' ')
    .flatMap((arg) => (arg === '<code>' ? code.split(' ') : [arg]));
  return { agent, port: Number(new URL(url).port), code, joinArgs };
}

// Each bin start costs a TypeScript load, and the trial's setup runs five more.
describe('npm start (headless)', { timeout: 180_000 }, () => {
  it('sets up the local trial and relay, and the printed engineer command joins and works', async () => {
    const dataDir = join(bins.root, 'agent');
    const first = await start(dataDir);
    expect(first.agent.text).toMatch(/Local trial: no vendor was pinned/);
    const folder = /trial ground rules allow work only in (\S+)\./.exec(first.agent.text)![1]!;
    expect(first.joinArgs).toBeDefined();
    expect(first.joinArgs).toContain('--relay');

    const engineer = bins.start('assent-engineer', first.joinArgs!);
    const engineerSas = (
      await engineer.expect(/Compare this code with the customer by phone: (\d{3} \d{3})/, 60_000)
    )[1];
    const agentSas = (
      await first.agent.expect(/Compare this code with the engineer by phone: (\d{3} \d{3})/)
    )[1];
    expect(agentSas).toBe(engineerSas);
    await first.agent.expect(/Ground rules in force \(fingerprint [0-9a-f ]+\)/);
    first.agent.send('accept');
    await engineer.expect(/Session accepted/);

    // The trial's rules allow the trial folder, with the approver's consent for each action.
    engineer.send(`ls ${folder}`);
    const request = (await first.agent.expect(/CONSENT REQUEST #(\d+)/))[1];
    first.agent.send(`allow ${request}`);
    await engineer.expect(/example\.log/);

    engineer.send('end');
    await first.agent.expect(/Session ended \(SESSION_ENDED\)/);
    expect(await engineer.exited).toBe(0);
    expect(await first.agent.exited).toBe(0);
    await until(async () => !(await listening(first.port)), 'the local relay has stopped');

    // Started again: the trial is kept (no new vendor), and a kill -9 of the
    // agent does not leave the local relay running.
    const second = await start(dataDir);
    expect(second.agent.text).not.toMatch(/Local trial/);
    expect(await listening(second.port)).toBe(true);
    second.agent.child.kill('SIGKILL');
    await second.agent.exited;
    await until(async () => !(await listening(second.port)), 'the orphaned relay has stopped');
  });
});
