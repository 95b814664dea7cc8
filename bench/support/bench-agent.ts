// What the benches' agent processes (session-agent.ts, terminal-agent.ts)
// share: opening a real Agent whose data directory trusts the bench's
// throwaway vendor, with the bench's ground rules signed by that vendor and
// countersigned on the agent, and leaving it cleanly on `quit`.
import { mkdirSync, readFileSync } from 'node:fs';
import { signRulesProposal } from '../../console/rules/rules-signing';
import { Agent } from '../../main/agent';
import { trustVendor } from '../../main/identity/vendor-trust';
import { countersignRules } from '../../main/rules/rules-signing';
import { installRulesInForce } from '../../main/rules/rules-store';
import type { AgentSession } from '../../main/session/agent-session';
import { deleteSecret, profileIdFor } from '../../platform/keychain';
import { importPrivateKey } from '../../platform/signing';
import type { GroundRules } from '../../protocol/ground-rules';
import type { VendorPublicKey } from '../../protocol/identity';

/** What every bench agent process is given (as a JSON file named on its command line). */
export interface BenchAgentSetup {
  relayUrl: string;
  dataDir: string;
  /** The customer folder the ground rules open. */
  customerDir: string;
  vendor: VendorPublicKey;
  /** The throwaway vendor key (exportPrivateKey form), to sign the bench's ground rules. */
  vendorPrivateKey: string;
}

/** Reads the setup file a bench agent process was started with. */
export function readBenchSetup<T extends BenchAgentSetup>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** Opens the agent, trusting the bench vendor, with `rules` signed, countersigned and in force. */
export async function openBenchAgent(
  setup: BenchAgentSetup,
  rules: GroundRules,
  options: { resumeGraceMs?: number } = {},
): Promise<Agent> {
  mkdirSync(setup.customerDir, { recursive: true });
  trustVendor(setup.dataDir, setup.vendor);
  const agent = await Agent.open({ dataDir: setup.dataDir, relayUrl: setup.relayUrl, ...options });
  const vendorKey = importPrivateKey(setup.vendorPrivateKey);
  const proposal = signRulesProposal(rules, vendorKey, setup.vendor.vendor);
  await installRulesInForce(
    setup.dataDir,
    countersignRules(proposal, agent.deviceKey, 'Bench Admin'),
    { vendorPublicKey: setup.vendor.publicKey, devicePublicKey: agent.deviceKey.publicKey },
  );
  return agent;
}

/** The `quit` command: ends the session, closes the agent and removes its device key from the keychain. */
export async function quitBenchAgent(
  agent: Agent,
  session: AgentSession | undefined,
  dataDir: string,
): Promise<void> {
  await session?.endSession('SESSION_ENDED', 'The benchmark is over.');
  await agent.close();
  deleteSecret('assent-agent', `device-key@${profileIdFor(dataDir)}`);
}
