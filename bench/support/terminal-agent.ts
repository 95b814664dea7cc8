// The agent side of bench/terminal.ts, in its own process:
// `node bin/run-ts.js bench/support/terminal-agent.ts <setup.json>`.
// A real agent (device key in the keychain, pinned vendor, countersigned
// ground rules with the terminal recorded as by default, audit log) whose
// sessions are accepted as soon as they are requested and whose consent
// prompts the approver allows at once (no human delay). The headless UI's
// terminal mirror runs, into a sink, as an approver watching would have it.
// Commands arrive over IPC (bench/support/bench-child.ts).
import { Writable } from 'node:stream';
import { mirrorTerminals } from '../../main/headless/terminal-mirror';
import type { AgentSession } from '../../main/session/agent-session';
import { folderRules, type GroundRules } from '../../protocol/ground-rules';
import {
  openBenchAgent,
  quitBenchAgent,
  readBenchSetup,
  type BenchAgentSetup,
} from './bench-agent';
import { report, serveCommands } from './bench-child';

/** What the parent writes to the setup file. */
export interface TerminalAgentSetup extends BenchAgentSetup {
  /** Record terminals (the ground rules' default); false only to measure what recording costs. */
  record: boolean;
}

function benchRules(setup: TerminalAgentSetup): GroundRules {
  return folderRules(setup.customerDir, {
    title: 'Acme support for Example Corp (terminal benchmark)',
    vendor: setup.vendor.vendor,
    customer: 'Example Corp',
    terminal: 'interactive',
    sessionMaxMinutes: 240,
    recordSessions: setup.record,
    requireTerminalRecording: setup.record,
  });
}

/** A stream that takes whatever the mirror writes, as a terminal would, and drops it. */
function sink(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

/** Entry point: sets the agent up, then serves the parent's commands until `quit`. */
export async function main(argv: string[]): Promise<number> {
  const setup = readBenchSetup<TerminalAgentSetup>(argv[0]!);
  const agent = await openBenchAgent(setup, benchRules(setup));

  let session: AgentSession | undefined;
  await serveCommands(async (command) => {
    switch (command.op) {
      case 'session': {
        const current = await agent.createSession(
          { ticket: 'BENCH-4' },
          {
            onServices: (services) => {
              services.engine.on('prompt', (p: { id: string }) =>
                services.engine.decide(p.id, { how: 'allow-once' }, { approver: 'bench' }),
              );
              mirrorTerminals(services, sink());
            },
          },
        );
        session = current;
        current.on('code', ({ code }) => report({ ev: 'code', code }));
        current.on('request', () => void current.accept('bench approver'));
        current.on('ended', (end) => report({ ev: 'ended', code: end.code }));
        await current.start();
        return;
      }
      case 'quit':
        await quitBenchAgent(agent, session, setup.dataDir);
        return;
      default:
        throw new Error(`unknown command ${command.op}`);
    }
  });
  return 0;
}
