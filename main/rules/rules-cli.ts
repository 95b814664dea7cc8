// `assent-agent rules …` on the customer machine: `accept` shows the admin
// the human summary and the fingerprint FIRST, asks, and only then
// countersigns with the device key and installs the rules; `show` prints the
// rules in force. The lead's CLI dispatches here.
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { AssentError, isAssentError } from '../../protocol/errors';
import type { SigningKeyPair } from '../../platform/signing';
import { EffectiveRules } from './effective-rules';
import { loadMachinePolicy, type MachinePolicyOptions } from './machine-policy';
import { countersignRules, assertNotExpired, verifyRulesProposal } from './rules-signing';
import { installRulesInForce, loadRulesInForce, loadRulesInForceIfAny } from './rules-store';

export interface AgentRulesIo {
  readonly dataDir: string;
  readonly deviceKey: () => SigningKeyPair;
  /** The vendor key pinned at install. */
  readonly vendorPublicKey: () => string;
  out(line: string): void;
  confirm(question: string): Promise<boolean>;
  /** Clock (tests inject one). */
  readonly now?: () => number;
  /** Where the machine policy is read (default: ASSENT_POLICY_PATH or the platform path). */
  readonly policy?: MachinePolicyOptions;
}

const USAGE = [
  'usage: assent-agent rules accept <rules.signed.json> [--admin NAME] [--yes]',
  '       assent-agent rules show',
];

function parseArgs(
  rest: readonly string[],
): { positional: string[]; admin?: string; yes: boolean } | null {
  const positional: string[] = [];
  let admin: string | undefined;
  let yes = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--yes') yes = true;
    else if (arg === '--admin') {
      admin = rest[++i];
      if (!admin) return null;
    } else if (arg.startsWith('--')) return null;
    else positional.push(arg);
  }
  return { positional, ...(admin === undefined ? {} : { admin }), yes };
}

async function accept(
  file: string,
  admin: string,
  yes: boolean,
  io: AgentRulesIo,
): Promise<number> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    throw new AssentError(
      'RULES_INVALID',
      `Cannot read ${file} as JSON: ${(cause as Error).message}`,
      { cause },
    );
  }
  const now = (io.now ?? Date.now)();
  const proposal = verifyRulesProposal(doc, io.vendorPublicKey());
  assertNotExpired(proposal.rules, now);
  const current = await loadRulesInForceIfAny(io.dataDir, trustOf(io)).catch(() => null);
  const old = current?.document.rules;
  if (
    old &&
    old.vendor === proposal.rules.vendor &&
    old.customer === proposal.rules.customer &&
    old.revision > proposal.rules.revision
  )
    throw new AssentError(
      'RULES_REVISION_OLD',
      `Revision ${proposal.rules.revision} is older than revision ${old.revision} in force.`,
    );
  const { policy, warning } = await loadMachinePolicy({ ...io.policy, warn: () => undefined });
  // As the agent will hold them: its own data folder is never a target.
  const effective = new EffectiveRules(proposal.rules, policy, {
    protectedFolders: [resolve(io.dataDir)],
  });
  io.out(
    `Ground rules proposed by ${proposal.vendorSignature.signer} (signed ${proposal.vendorSignature.signedAt}):`,
  );
  for (const line of effective.summary()) io.out(`  ${line}`);
  if (warning) io.out(`Warning: ${warning}`);
  // A root the agent refuses every action in (EffectiveRules.deniedBy) opens nothing.
  for (const root of new Set([...proposal.rules.readableRoots, ...proposal.rules.writableRoots])) {
    const guarded = effective.protectedFolderOf(root);
    if (guarded)
      io.out(
        `Warning: ${root} is inside the agent's own data folder (${guarded}); the agent refuses every action there, whatever these rules allow.`,
      );
  }
  io.out(`Fingerprint: ${effective.fingerprint}`);
  io.out('Compare this fingerprint with the one the vendor gave you before accepting.');
  if (!yes && !(await io.confirm(`Accept these ground rules for this machine as ${admin}?`))) {
    io.out('Not accepted; nothing was changed.');
    throw new AssentError('RULES_DECLINED');
  }
  const countersigned = countersignRules(proposal, io.deviceKey(), admin, new Date(now));
  const installed = await installRulesInForce(io.dataDir, countersigned, trustOf(io));
  io.out(
    `Accepted by ${admin}; these rules are now in force (fingerprint ${installed.fingerprint}).`,
  );
  return 0;
}

function trustOf(io: AgentRulesIo): {
  vendorPublicKey: string;
  devicePublicKey: string;
  now?: () => number;
} {
  return {
    vendorPublicKey: io.vendorPublicKey(),
    devicePublicKey: io.deviceKey().publicKey,
    ...(io.now ? { now: io.now } : {}),
  };
}

async function show(io: AgentRulesIo): Promise<number> {
  const { document, fingerprint } = await loadRulesInForce(io.dataDir, trustOf(io));
  const { policy, warning } = await loadMachinePolicy({ ...io.policy, warn: () => undefined });
  const effective = new EffectiveRules(document.rules, policy);
  io.out(
    `Ground rules in force, signed by ${document.vendorSignature.signer} and accepted by ${document.customerSignature.admin} (${document.customerSignature.signedAt}):`,
  );
  for (const line of effective.summary()) io.out(`  ${line}`);
  if (warning) io.out(`Warning: ${warning}`);
  io.out(`Fingerprint: ${fingerprint}`);
  return 0;
}

/** Runs one `rules` subcommand; returns the exit code (0 done, 1 refused or failed, 2 usage). */
export async function runRulesCommand(argv: readonly string[], io: AgentRulesIo): Promise<number> {
  const [sub, ...rest] = argv;
  const args = parseArgs(rest);
  const usage = (): number => {
    USAGE.forEach((l) => io.out(l));
    return 2;
  };
  if (!args) return usage();
  try {
    if (sub === 'accept' && args.positional.length === 1)
      return await accept(args.positional[0]!, args.admin ?? userInfo().username, args.yes, io);
    if (sub === 'show' && args.positional.length === 0 && !args.yes && args.admin === undefined)
      return await show(io);
    return usage();
  } catch (err) {
    if (!isAssentError(err)) throw err;
    if (err.code !== 'RULES_DECLINED') io.out(`error ${err.code}: ${err.message}`);
    return 1;
  }
}
