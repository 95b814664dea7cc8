// `assent-engineer fix …` outside a session (issue 5): keygen, build, sign,
// inspect. The lead's engineer CLI dispatches here with the profile and the
// roles of the logged-in engineer's certificate.
import { promises as fsp } from 'node:fs';
import { AssentError } from '../../protocol/errors';
import { runSubcommand } from '../../platform/cli-subcommand';
import { FixManifest, FixSignature } from '../../protocol/fixes';
import type { Role } from '../../protocol/identity';
import { keyFingerprint } from '../../platform/signing';
import { signFixPackage } from './package-signer';
import { buildFixPackage, type AuthorManifest } from './package-writer';
import { readPackageHead } from './package-head';
import { createReleaseKey, loadReleaseKey } from './release-key';

export interface EngineerFixIo {
  out(line: string): void;
  /** Console profile id (scopes the keychain account), e.g. profileIdFor(configDir). */
  readonly profile: string;
  /** Roles of the logged-in engineer's certificate; undefined when nobody is logged in. */
  readonly roles?: readonly Role[];
  /** Name written into signatures (the engineer's or the release team's). */
  readonly signer?: string;
}

const USAGE = [
  'usage: assent-engineer fix keygen [--force]                               create the release key (keychain)',
  '       assent-engineer fix pubkey                                         show the release public key',
  '       assent-engineer fix build <dir> --manifest m.json --out x.assentfix',
  '       assent-engineer fix sign <x.assentfix> [--signer NAME]             installer role only',
  '       assent-engineer fix inspect <x.assentfix>',
];

function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  if (value === undefined || value.startsWith('--'))
    throw new AssentError('USAGE', `${name} needs a value.`);
  args.splice(at, 2);
  return value;
}

function flag(args: string[], name: string): boolean {
  const at = args.indexOf(name);
  if (at >= 0) args.splice(at, 1);
  return at >= 0;
}

function printKey(io: EngineerFixIo, publicKey: string): void {
  io.out(`release public key: ${publicKey}`);
  io.out(`fingerprint:        ${keyFingerprint(publicKey)}`);
  io.out(`ground rules entry: ${JSON.stringify({ name: io.signer ?? 'release', publicKey })}`);
}

/** Runs one `fix` subcommand; resolves with the exit code (0 ok, 1 refused or failed, 2 usage). */
export async function runFixCommand(argv: readonly string[], io: EngineerFixIo): Promise<number> {
  const [command, ...rest] = argv;
  const args = [...rest];
  return runSubcommand(
    USAGE,
    (line) => io.out(line),
    async () => {
      switch (command) {
        case 'keygen': {
          const force = flag(args, '--force');
          if (args.length > 0) break;
          printKey(io, createReleaseKey(io.profile, { force }).publicKey);
          return 0;
        }
        case 'pubkey':
          if (args.length > 0) break;
          printKey(io, loadReleaseKey(io.profile).publicKey);
          return 0;
        case 'build': {
          const manifestFile = option(args, '--manifest');
          const out = option(args, '--out');
          if (!manifestFile || !out || args.length !== 1) break;
          let author: AuthorManifest;
          try {
            author = JSON.parse(await fsp.readFile(manifestFile, 'utf8')) as AuthorManifest;
          } catch (cause) {
            throw new AssentError('CONFIG_INVALID', `${manifestFile} is not readable JSON.`, {
              cause,
            });
          }
          const manifest = await buildFixPackage(args[0]!, author, out);
          io.out(
            `Built ${out}: ${manifest.id} ${manifest.product} ${manifest.version}, ${manifest.files.length} file(s). Sign it with: fix sign ${out}`,
          );
          return 0;
        }
        case 'sign': {
          const signer = option(args, '--signer') ?? io.signer ?? 'release';
          if (args.length !== 1) break;
          if (!io.roles)
            throw new AssentError(
              'FIX_SIGNER_ROLE_MISSING',
              'Log in with an installer credential before signing fixes.',
            );
          const key = loadReleaseKey(io.profile);
          const manifest = await signFixPackage(args[0]!, key, signer, io.roles);
          io.out(
            `Signed ${manifest.id} ${manifest.version} as ${signer} (${keyFingerprint(key.publicKey)}).`,
          );
          return 0;
        }
        case 'inspect': {
          if (args.length !== 1) break;
          const head = await readPackageHead(args[0]!);
          const m = FixManifest.parse(JSON.parse(head.manifest.toString('utf8')));
          io.out(
            `${m.id}  ${m.product} ${m.version}  ${m.fixKind}${m.supersedes ? `  supersedes ${m.supersedes}` : ''}`,
          );
          io.out(`  ${m.description}`);
          io.out(`  target ${m.targetRoot}; expires ${m.expiresAt}; agent >= ${m.minAgentVersion}`);
          for (const f of m.files)
            io.out(
              `  ${f.op.padEnd(7)} ${f.path}${f.op === 'remove' ? '' : `  ${f.size} bytes  sha256:${f.sha256}`}`,
            );
          if (head.signature) {
            const sig = FixSignature.parse(JSON.parse(head.signature.toString('utf8')));
            io.out(`  signed by ${sig.signer} (${keyFingerprint(sig.publicKey)})`);
          } else io.out('  not signed');
          return 0;
        }
        default:
          break;
      }
      return undefined;
    },
  );
}
