// Admin commands of `assent-agent` contributed by the domains (rules, files,
// fixes). Each runs with the agent's data directory and prints lines.
import { createInterface } from 'node:readline/promises';
import { runFilesCommand } from '../files/files-cli';
import { runFixCommand } from '../fixes/fix-cli';
import { loadOrCreateDeviceKey } from '../identity/device-key';
import { loadTrustedVendor } from '../identity/vendor-trust';
import { runRulesCommand } from '../rules/rules-cli';

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

/** Asks a yes/no question on the terminal; no terminal (a script, CI) means no. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export const agentCommands: readonly AgentCommand[] = [
  {
    name: 'rules',
    usage: 'rules accept <file> | show',
    summary: 'review and countersign the ground rules (customer admin)',
    run: (argv, io) =>
      runRulesCommand(argv, {
        dataDir: io.dataDir,
        deviceKey: () => loadOrCreateDeviceKey(io.dataDir),
        vendorPublicKey: () => loadTrustedVendor(io.dataDir).publicKey,
        out: io.out,
        confirm,
      }),
  },
  {
    name: 'files',
    usage: 'files backups|trash|restore <id>',
    summary: 'bring back overwritten or deleted files',
    run: (argv, io) => runFilesCommand(argv, io),
  },
  {
    name: 'fix',
    usage: 'fix list | rollback <id>',
    summary: 'installed fixes; roll one back locally',
    run: (argv, io) => runFixCommand(argv, io),
  },
];
