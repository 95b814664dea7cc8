// The ground rules in force on this agent: `<dataDir>/rules/in-force.json`,
// written atomically (temp file, fsync, rename, fsync of the directory) so a
// crash leaves the old rules or the new ones, and verified on every load.
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CountersignedRules } from '../../protocol/ground-rules';
import { AssentError, isAssentError } from '../../protocol/errors';
import { writeFileAtomic } from '../../platform/atomic-file';
import { EffectiveRules } from './effective-rules';
import { loadMachinePolicy, type MachinePolicyOptions } from './machine-policy';
import { rulesFingerprint } from '../../platform/ground-rules';
import { verifyCountersignedRules, type RulesTrust } from './rules-signing';

/** Path of the rules in force inside an agent data directory. */
export function rulesInForcePath(dataDir: string): string {
  return join(dataDir, 'rules', 'in-force.json');
}

/** The verified rules in force. */
export interface RulesInForce {
  readonly document: CountersignedRules;
  readonly fingerprint: string;
}

/** Installs a countersigned document (verified again first) as the rules in force. */
export async function installRulesInForce(
  dataDir: string,
  document: CountersignedRules,
  trust: RulesTrust,
): Promise<RulesInForce> {
  const verified = verifyCountersignedRules(document, trust);
  const file = rulesInForcePath(dataDir);
  await mkdir(join(dataDir, 'rules'), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, [Buffer.from(`${JSON.stringify(verified, null, 2)}\n`, 'utf8')], {
    mode: 0o600,
  });
  return { document: verified, fingerprint: rulesFingerprint(verified.rules) };
}

/** Loads and verifies the rules in force; RULES_MISSING when none are installed. */
export async function loadRulesInForce(dataDir: string, trust: RulesTrust): Promise<RulesInForce> {
  const file = rulesInForcePath(dataDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT')
      throw new AssentError(
        'RULES_MISSING',
        'No countersigned ground rules are in force on this agent.',
        { cause },
      );
    throw new AssentError('IO_FAILED', `The ground rules in ${file} could not be read.`, { cause });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new AssentError('RULES_INVALID', `The ground rules in ${file} are not JSON.`, { cause });
  }
  const document = verifyCountersignedRules(doc, trust);
  return { document, fingerprint: rulesFingerprint(document.rules) };
}

/** The rules in force, or null when none are installed (other faults still throw). */
export async function loadRulesInForceIfAny(
  dataDir: string,
  trust: RulesTrust,
): Promise<RulesInForce | null> {
  try {
    return await loadRulesInForce(dataDir, trust);
  } catch (err) {
    if (isAssentError(err, 'RULES_MISSING')) return null;
    throw err;
  }
}

/**
 * What a session runs under: the verified rules in force intersected with the
 * machine policy. Throws RULES_* (the agent refuses the session) or POLICY_INVALID.
 */
export async function loadEffectiveRules(
  dataDir: string,
  trust: RulesTrust,
  policy: MachinePolicyOptions = {},
): Promise<{ effective: EffectiveRules; inForce: RulesInForce; policyWarning?: string }> {
  const inForce = await loadRulesInForce(dataDir, trust);
  const loaded = await loadMachinePolicy(policy);
  return {
    // The agent's data folder is never a target, whatever the rules allow.
    effective: new EffectiveRules(inForce.document.rules, loaded.policy, {
      protectedFolders: [resolve(dataDir)],
    }),
    inForce,
    ...(loaded.warning === undefined ? {} : { policyWarning: loaded.warning }),
  };
}
