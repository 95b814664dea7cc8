// `assent-engineer rules …`: sign a ground rules proposal, or print the
// fingerprint of a rules document (plain, signed or countersigned) so the
// vendor can compare it with what the customer admin sees.
import { readFile } from 'node:fs/promises';
import { AssentError, isAssentError } from '../../protocol/errors';
import { writeFileAtomic } from '../../platform/atomic-file';
import type { SigningKeyPair } from '../../platform/signing';
import { rulesFingerprint } from '../../platform/ground-rules';
import { parseGroundRules, signRulesProposal } from './rules-signing';

export interface EngineerRulesIo {
  readonly vendorKey: () => SigningKeyPair;
  readonly vendorName: string;
  out(line: string): void;
}

const USAGE = [
  'usage: assent-engineer rules sign <rules.json> [--out rules.signed.json]',
  '       assent-engineer rules fingerprint <rules.json | rules.signed.json>',
];

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new AssentError('IO_FAILED', `Cannot read ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new AssentError('RULES_INVALID', `${file} is not JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** The rules body of a plain, signed or countersigned document. */
function bodyOf(doc: unknown): unknown {
  const kind =
    typeof doc === 'object' && doc !== null ? (doc as { kind?: unknown }).kind : undefined;
  return kind === 'assent-signed-ground-rules' || kind === 'assent-countersigned-ground-rules'
    ? (doc as { rules?: unknown }).rules
    : doc;
}

function signedName(file: string): string {
  return file.endsWith('.json')
    ? `${file.slice(0, -'.json'.length)}.signed.json`
    : `${file}.signed.json`;
}

/** Runs one `rules` subcommand; returns the exit code (0 done, 1 refused or failed, 2 usage). */
export async function runEngineerRulesCommand(
  argv: readonly string[],
  io: EngineerRulesIo,
): Promise<number> {
  const [sub, ...rest] = argv;
  const positional = rest.filter((a, i) => !a.startsWith('--') && rest[i - 1] !== '--out');
  const outIndex = rest.indexOf('--out');
  const unknown = rest.filter((a) => a.startsWith('--') && a !== '--out');
  const usage = (): number => {
    USAGE.forEach((l) => io.out(l));
    return 2;
  };
  if (unknown.length > 0 || positional.length !== 1 || (outIndex !== -1 && !rest[outIndex + 1]))
    return usage();
  const file = positional[0]!;
  try {
    if (sub === 'fingerprint') {
      const rules = parseGroundRules(bodyOf(await readJson(file)));
      io.out(`Fingerprint: ${rulesFingerprint(rules)}`);
      return 0;
    }
    if (sub === 'sign') {
      const rules = parseGroundRules(await readJson(file));
      const proposal = signRulesProposal(rules, io.vendorKey(), io.vendorName);
      const out = outIndex === -1 ? signedName(file) : rest[outIndex + 1]!;
      await writeFileAtomic(out, [Buffer.from(`${JSON.stringify(proposal, null, 2)}\n`, 'utf8')]);
      io.out(`Signed "${rules.title}" (revision ${rules.revision}) as ${io.vendorName}.`);
      io.out(`Fingerprint: ${rulesFingerprint(proposal.rules)}`);
      io.out(`Wrote ${out}. The customer admin accepts it with: assent-agent rules accept ${out}`);
      return 0;
    }
    return usage();
  } catch (err) {
    if (!isAssentError(err)) throw err;
    io.out(`error ${err.code}: ${err.message}`);
    return 1;
  }
}
