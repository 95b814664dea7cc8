// Top-level `assent-engineer` commands contributed by the domains (fix
// packages), run outside a session.
import { profileIdFor } from '../../platform/keychain';
import { runFixCommand } from '../fixes/fix-cli';
import { loadCredential } from '../identity/engineer-credential';

/** Where a top-level engineer command reads and writes. */
export interface EngineerCommandIo {
  readonly engineerHome: string;
  readonly vendorHome: string;
  readonly out: (line: string) => void;
}

/** One `assent-engineer <name> ...` command. */
export interface EngineerCommand {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  run(argv: string[], io: EngineerCommandIo): Promise<number>;
}

function installedCertificate(home: string) {
  try {
    return loadCredential(home).certificate;
  } catch {
    return undefined;
  }
}

export const engineerCommands: readonly EngineerCommand[] = [
  {
    name: 'fix',
    usage: 'fix keygen|pubkey|build|sign|inspect ...',
    summary: 'make and sign fix packages (signing needs the installer role)',
    run: (argv, io) => {
      const certificate = installedCertificate(io.engineerHome);
      return runFixCommand(argv, {
        out: io.out,
        profile: profileIdFor(io.vendorHome),
        ...(certificate ? { roles: certificate.roles, signer: certificate.name } : {}),
      });
    },
  },
];
