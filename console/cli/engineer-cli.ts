// `assent-engineer`: the vendor side's command line — vendor admin (keys,
// credentials, revocations), engineer login, and the interactive session.
import { readFileSync } from 'node:fs';
import { AssentError, isAssentError } from '../../protocol/errors';
import { ROLES, type Role } from '../../protocol/identity';
import { engineerHome, vendorHome } from '../../platform/app-dirs';
import { parseCommandLine } from '../../platform/cli-options';
import { systemErrorReason } from '../../platform/system-error';
import { keyFingerprint } from '../../platform/signing';
import { loadCredential, login } from '../identity/engineer-credential';
import {
  initVendor,
  issueCredential,
  listIssued,
  loadVendor,
  revokeCredentials,
  vendorFiles,
} from '../identity/vendor-authority';
import { runEngineerRulesCommand } from '../rules/rules-command';
import { runSessionPrompt } from './session-prompt';
import { engineerCommands } from './engineer-commands';

const HELP = `Usage: assent-engineer <command> [options]

Vendor admin:
  vendor init --vendor NAME          create the vendor signing key (kept in the OS keychain)
  vendor issue --name N --email E [--roles engineer,installer] [--days 30]
                                     issue an engineer credential (prints a one-time token)
  vendor revoke <serial>... [--force]
                                     add credentials to the signed revocation list
                                     (--force: also serials not issued from this vendor home)
  vendor list                        credentials issued from this vendor home
  vendor show                        the vendor public key (give vendor.pub to agents and relays)
  rules sign <rules.json> [--out F]  sign ground rules as the vendor
  rules fingerprint <file>           show the fingerprint of a rules document

Engineer:
  login <token | file | ->           install a credential (key into the OS keychain)
  whoami                             show the installed credential
  connect <code> [--relay URL] [--reason TEXT] [--ticket REF] [--ca FILE]
                                     join a session; then type "help"
${engineerCommands.map((c) => `  ${c.usage.padEnd(34)} ${c.summary}`).join('\n')}

Options:
  --home DIR     engineer home (or ASSENT_ENGINEER_HOME)
  --vendor-home DIR  vendor home (or ASSENT_VENDOR_HOME)
  -h, --help     this help
`;

/** Default relay for `connect` when neither --relay nor ASSENT_RELAY_URL is given. */
export const DEFAULT_RELAY_URL = 'ws://127.0.0.1:8443';

export async function main(argv: string[]): Promise<number> {
  const out = (line = ''): void => void process.stdout.write(`${line}\n`);
  const err = (line: string): void => void process.stderr.write(`assent-engineer: ${line}\n`);
  let parsed;
  try {
    parsed = parseCommandLine(argv, {
      home: { type: 'string' },
      'vendor-home': { type: 'string' },
      vendor: { type: 'string' },
      name: { type: 'string' },
      email: { type: 'string' },
      roles: { type: 'string' },
      days: { type: 'string' },
      relay: { type: 'string' },
      reason: { type: 'string' },
      ticket: { type: 'string' },
      ca: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
  } catch (error) {
    err((error as Error).message);
    return 2;
  }
  const { str } = parsed;
  const [command, sub, ...args] = parsed.positionals;
  if (parsed.flag('help') || !command) {
    out(HELP);
    return command || parsed.flag('help') ? 0 : 2;
  }
  const home = engineerHome(str('home'));
  const vHome = vendorHome(str('vendor-home'));
  try {
    switch (command) {
      case 'vendor':
        return vendorCommand(sub, args, vHome, str, parsed.flag, out);
      case 'rules': {
        const authority = loadVendor(vHome);
        return await runEngineerRulesCommand(commandArgs(argv, 'rules'), {
          vendorKey: () => authority.key,
          vendorName: authority.vendor,
          out,
        });
      }
      case 'login': {
        const source = sub;
        if (!source)
          throw new AssentError('USAGE', 'usage: assent-engineer login <token | file | ->');
        const token =
          source === '-'
            ? readFileSync(0, 'utf8')
            : source.startsWith('assent-credential:')
              ? source
              : readTokenFile(source);
        const cert = login(home, token);
        out(
          `Logged in as ${cert.name} <${cert.email}> for ${cert.vendor}; roles ${cert.roles.join(', ')}; valid until ${cert.notAfter}.`,
        );
        out(
          `Key fingerprint ${keyFingerprint(cert.publicKey)} (private key stored in the OS keychain).`,
        );
        return 0;
      }
      case 'whoami': {
        const { certificate: cert } = loadCredential(home);
        out(`${cert.name} <${cert.email}>, ${cert.vendor}; roles ${cert.roles.join(', ')}`);
        out(
          `Serial ${cert.serial}; valid until ${cert.notAfter}; key ${keyFingerprint(cert.publicKey)}`,
        );
        return 0;
      }
      case 'connect': {
        // The code may be typed as read aloud: `123 456 7890` (three words) or `123-456-7890`.
        const code = [sub ?? '', ...args].join('').replace(/[\s-]/g, '');
        if (!/^\d{10}$/.test(code))
          throw new AssentError(
            'USAGE',
            'usage: assent-engineer connect <10-digit code> [--relay URL]',
          );
        const credential = loadCredential(home);
        const relayUrl = str('relay') ?? process.env.ASSENT_RELAY_URL ?? DEFAULT_RELAY_URL;
        return await runSessionPrompt({
          relayUrl,
          code,
          credential,
          reason: str('reason'),
          ticket: str('ticket'),
          ca: str('ca') ? readFileSync(str('ca')!) : undefined,
          input: process.stdin,
          output: process.stdout,
        });
      }
      default: {
        const domain = engineerCommands.find((c) => c.name === command);
        if (!domain) {
          err(`unknown command "${command}". See --help.`);
          return 2;
        }
        return await domain.run(commandArgs(argv, command), {
          engineerHome: home,
          vendorHome: vHome,
          out,
        });
      }
    }
  } catch (error) {
    if (isAssentError(error)) {
      err(`${error.message} (${error.code})`);
      return error.code === 'USAGE' ? 2 : 1;
    }
    throw error;
  }
}

/** A credential token saved in a file; a name that is neither a token nor a readable file is CREDENTIAL_INVALID. */
function readTokenFile(source: string): string {
  try {
    return readFileSync(source, 'utf8');
  } catch (cause) {
    throw new AssentError(
      'CREDENTIAL_INVALID',
      `"${source}" is neither a credential token (assent-credential:…) nor a readable file: ${systemErrorReason(cause)}.`,
      { cause },
    );
  }
}

/** The arguments after `command`, without this CLI's own --home/--vendor-home options. */
function commandArgs(argv: string[], command: string): string[] {
  const rest = argv.slice(argv.indexOf(command) + 1);
  const result: string[] = [];
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i]!;
    if (arg === '--home' || arg === '--vendor-home') i += 1;
    else if (!arg.startsWith('--home=') && !arg.startsWith('--vendor-home=')) result.push(arg);
  }
  return result;
}

function vendorCommand(
  sub: string | undefined,
  args: string[],
  home: string,
  str: (name: string) => string | undefined,
  flag: (name: string) => boolean,
  out: (line?: string) => void,
): number {
  switch (sub) {
    case 'init': {
      const name = str('vendor');
      if (!name) throw new AssentError('USAGE', 'usage: assent-engineer vendor init --vendor NAME');
      const pub = initVendor(home, name);
      out(`Vendor key created for "${name}" (private key in the OS keychain).`);
      out(
        `Public key: ${vendorFiles(home).publicKey}  fingerprint ${keyFingerprint(pub.publicKey)}`,
      );
      out(
        'Give vendor.pub to each relay (its data folder) and each agent (assent-agent trust-vendor vendor.pub).',
      );
      return 0;
    }
    case 'issue': {
      const name = str('name');
      const email = str('email');
      if (!name || !email)
        throw new AssentError(
          'USAGE',
          'usage: assent-engineer vendor issue --name N --email E [--roles engineer,installer] [--days 30]',
        );
      const roles = (str('roles') ?? 'engineer').split(',').map((r) => r.trim());
      for (const role of roles) {
        if (!(ROLES as readonly string[]).includes(role))
          throw new AssentError('USAGE', `Unknown role "${role}" (roles: ${ROLES.join(', ')}).`);
      }
      const days = Number(str('days') ?? '30');
      if (!Number.isInteger(days) || days < 1 || days > 3660)
        throw new AssentError('USAGE', '--days takes a whole number from 1 to 3660.');
      const { token, certificate } = issueCredential(home, {
        name,
        email,
        roles: roles as Role[],
        days,
      });
      process.stderr.write(
        `Issued credential ${certificate.serial} for ${name}, valid until ${certificate.notAfter}.\n`,
      );
      process.stderr.write(
        "The token below holds the engineer's private key: hand it over like a password; `assent-engineer login` moves it into the keychain.\n",
      );
      out(token);
      return 0;
    }
    case 'revoke': {
      if (args.length === 0)
        throw new AssentError(
          'USAGE',
          'usage: assent-engineer vendor revoke <serial>... [--force]',
        );
      const list = revokeCredentials(home, args, { force: flag('force') });
      out(
        `Revocation list sequence ${list.sequence}: ${list.revokedSerials.length} revoked. Written to ${vendorFiles(home).revocations}.`,
      );
      out('Copy it to each relay data folder; relays pass it on to agents when they connect.');
      return 0;
    }
    case 'list':
      for (const entry of listIssued(home))
        out(
          `${entry.serial}  ${entry.name} <${entry.email}>  ${entry.roles.join(',')}  until ${entry.notAfter}`,
        );
      return 0;
    case 'show': {
      const authority = loadVendor(home);
      out(JSON.stringify(authority.publicKey, null, 2));
      return 0;
    }
    default:
      throw new AssentError('USAGE', 'usage: assent-engineer vendor init|issue|revoke|list|show');
  }
}
