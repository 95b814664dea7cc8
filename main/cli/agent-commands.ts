// Admin commands of `assent-agent` contributed by the domains (rules, files,
// fixes). Each runs with the agent's data directory and prints lines.
import { loadDeviceKey } from '../identity/device-key';
import { loadTrustedVendor } from '../identity/vendor-trust';

/** Where a domain command reads and writes. */
export interface AgentCommandIo {
  readonly dataDir: string;
  readonly out: (line: string) => void;
}

/** One `assent-agent <name> ...` command. */
export interface AgentCommand {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  run(argv: string[], io: AgentCommandIo): Promise<number>;
}

/** Loads what rules commands need lazily, so `--help` works before setup. */
export const agentIdentity = {
  deviceKey: (dataDir: string) => loadDeviceKey(dataDir),
  vendorPublicKey: (dataDir: string) => loadTrustedVendor(dataDir).publicKey,
};

export const agentCommands: readonly AgentCommand[] = [];
