// The agent side of bench/session.ts and bench/files.ts, in its own process:
// `node bin/run-ts.js bench/support/session-agent.ts <setup.json>`.
// A real agent (device key in the keychain, pinned vendor, countersigned
// ground rules, audit log) whose sessions are accepted as soon as they are
// requested (no human delay), which echoes the engineer's chat, sinks or
// sources bulk streams on command, and (files) answers consent prompts as an
// approver would: "allow similar for this session" under the customer
// folder, through the consent engine. Commands arrive over IPC
// (bench/support/bench-child.ts).
import type { ConsentPrompt } from '../../main/consent/consent-engine';
import type { AgentSession } from '../../main/session/agent-session';
import type { PeerLink } from '../../main/session/peer-link';
import { folderRules, type GroundRules } from '../../protocol/ground-rules';
import {
  openBenchAgent,
  quitBenchAgent,
  readBenchSetup,
  type BenchAgentSetup,
} from './bench-agent';
import { report, serveCommands } from './bench-child';
import { expectBytes, makeSources, sendBytes } from './stream-commands';

/** What the parent writes to the setup file. */
export interface SessionAgentSetup extends BenchAgentSetup {
  /** How long a dropped session may resume (default: the agent's). */
  resumeGraceMs?: number;
}

function benchRules(setup: SessionAgentSetup): GroundRules {
  return folderRules(setup.customerDir, {
    title: 'Acme support for Example Corp (benchmark)',
    vendor: setup.vendor.vendor,
    customer: 'Example Corp',
    maxReadBytes: 2 * 1024 * 1024 * 1024,
    maxWriteBytes: 2 * 1024 * 1024 * 1024,
    sessionMaxMinutes: 240,
    recordSessions: false,
    requireTerminalRecording: false,
  });
}

/** Entry point: sets the agent up, then serves the parent's commands until `quit`. */
export async function main(argv: string[]): Promise<number> {
  const setup = readBenchSetup<SessionAgentSetup>(argv[0]!);
  const agent = await openBenchAgent(
    setup,
    benchRules(setup),
    setup.resumeGraceMs ? { resumeGraceMs: setup.resumeGraceMs } : {},
  );
  const sources = makeSources();

  let session: AgentSession | undefined;
  let link: PeerLink | undefined;

  /**
   * A session of the real Agent, keeping hold of the PeerLink its services
   * get. With `allowSimilarUnder`, each consent prompt is answered as the
   * approver would: allow this kind of action under that folder for the rest
   * of the session (a scoped session grant, decided by the consent engine).
   */
  const createSession = (allowSimilarUnder: string | undefined): Promise<AgentSession> =>
    agent.createSession(
      { ticket: 'BENCH-1' },
      {
        observeLink: (peerLink) => {
          link = peerLink;
          return peerLink;
        },
        onServices: ({ engine }) => {
          if (allowSimilarUnder === undefined) return;
          engine.on('prompt', (prompt: ConsentPrompt) =>
            // Answered after the prompt was shown, as a person's click would be.
            setImmediate(() => {
              engine.decide(
                prompt.id,
                {
                  how: 'allow-session',
                  scope: { kind: prompt.preview.kind, pathPrefix: allowSimilarUnder },
                },
                { approver: 'bench approver' },
              );
              report({ ev: 'allowed-similar', kind: prompt.preview.kind });
            }),
          );
        },
      },
    );

  const activeLink = (): PeerLink => {
    if (!link || link.signal.aborted) throw new Error('no active session');
    return link;
  };

  await serveCommands(async (command) => {
    switch (command.op) {
      case 'session': {
        const under = command['allowSimilarUnder'];
        const current = await createSession(typeof under === 'string' ? under : undefined);
        session = current;
        link = undefined;
        const started = performance.now();
        current.on('code', ({ code }) =>
          report({ ev: 'code', code, startToCodeMs: performance.now() - started }),
        );
        current.on('request', () => void current.accept('bench approver'));
        current.on('chat', (chat) => {
          if (chat.from === 'engineer') current.chat(chat.text);
        });
        current.on('ended', (end) => report({ ev: 'ended', code: end.code }));
        await current.start();
        return;
      }
      case 'expect':
        expectBytes(activeLink(), command['streamId'] as number, command['bytes'] as number);
        return;
      case 'open-stream':
        report({ ev: 'stream', streamId: activeLink().nextStreamId() });
        return;
      case 'send':
        await sendBytes(
          activeLink(),
          sources,
          command['streamId'] as number,
          command['bytes'] as number,
        );
        return;
      case 'end':
        await session?.endSession('SESSION_ENDED', 'The benchmark is done with this session.');
        return;
      case 'quit':
        await quitBenchAgent(agent, session, setup.dataDir);
        return;
      default:
        throw new Error(`unknown command ${command.op}`);
    }
  });
  return 0;
}
