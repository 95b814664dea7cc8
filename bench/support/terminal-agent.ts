// The agent side of bench/terminal.ts, in its own process:
// `node bin/run-ts.js bench/support/terminal-agent.ts <setup.json>`.
// A real agent (device key in the keychain, pinned vendor, countersigned
// ground rules with the terminal recorded as by default, audit log) whose
// sessions are accepted as soon as they are requested and whose consent
// prompts the approver allows at once (no human delay). The headless UI's
// terminal mirror runs, into a sink, as an approver watching would have it.
// Commands arrive over IPC (bench/support/bench-child.ts).
import { mkdirSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { signRulesProposal } from '../../console/rules/rules-signing';
import { Agent } from '../../main/agent';
import { mirrorTerminals } from '../../main/headless/terminal-mirror';
import { trustVendor } from '../../main/identity/vendor-trust';
import { countersignRules } from '../../main/rules/rules-signing';
import { installRulesInForce } from '../../main/rules/rules-store';
import type { AgentSession } from '../../main/session/agent-session';
import { deleteSecret, profileIdFor } from '../../platform/keychain';
import { importPrivateKey } from '../../platform/signing';
import { folderRules, type GroundRules } from '../../protocol/ground-rules';
import type { VendorPublicKey } from '../../protocol/identity';
import { report, serveCommands } from './bench-child';

/** What the parent writes to the setup file. */
export interface TerminalAgentSetup {
  relayUrl: string;
  dataDir: string;
  /** The shell's root (the file `cat` reads lies in it). */
  customerDir: string;
  vendor: VendorPublicKey;
  /** The throwaway vendor key (exportPrivateKey form), to sign the bench's ground rules. */
  vendorPrivateKey: string;
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
  const setup = JSON.parse(readFileSync(argv[0]!, 'utf8')) as TerminalAgentSetup;
  mkdirSync(setup.customerDir, { recursive: true });
  trustVendor(setup.dataDir, setup.vendor);
  const agent = await Agent.open({ dataDir: setup.dataDir, relayUrl: setup.relayUrl });
  const vendorKey = importPrivateKey(setup.vendorPrivateKey);
  const proposal = signRulesProposal(benchRules(setup), vendorKey, setup.vendor.vendor);
  await installRulesInForce(
    setup.dataDir,
    countersignRules(proposal, agent.deviceKey, 'Bench Admin'),
    { vendorPublicKey: setup.vendor.publicKey, devicePublicKey: agent.deviceKey.publicKey },
  );

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
        await session?.endSession('SESSION_ENDED', 'The benchmark is over.');
        await agent.close();
        deleteSecret('assent-agent', `device-key@${profileIdFor(setup.dataDir)}`);
        return;
      default:
        throw new Error(`unknown command ${command.op}`);
    }
  });
  return 0;
}
