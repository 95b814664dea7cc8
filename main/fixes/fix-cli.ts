// `assent-agent fix …` (issue 5): list the installed fixes and roll one back
// locally, at any time, without a session. The lead's agent CLI dispatches
// here.
import type { AuditSink } from '../audit/audit-sink';
import { userInfo } from 'node:os';
import { runSubcommand } from '../../platform/cli-subcommand';
import { recoverFixJournal } from './recover';
import { loadRegistry } from './registry';
import { rollbackFix } from './rollback';

export interface FixCliIo {
  readonly dataDir: string;
  out(line: string): void;
  /** Where the rollback is recorded (the agent's AuditLog when this process may append to it). */
  readonly audit?: AuditSink;
}

const USAGE = [
  'usage: assent-agent fix list            installed fixes (id, kind, version, date, who approved)',
  '       assent-agent fix rollback <id>   restore the files a fix changed, byte for byte',
  '       assent-agent fix recover         finish an interrupted apply or rollback now',
];

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Runs one `fix` subcommand; resolves with the exit code (0 ok, 1 refused or failed, 2 usage). */
export async function runFixCommand(argv: readonly string[], io: FixCliIo): Promise<number> {
  const [command, ...rest] = argv;
  return runSubcommand(
    USAGE,
    (line) => io.out(line),
    async () => {
      switch (command) {
        case 'list': {
          if (rest.length > 0) break;
          const registry = await loadRegistry(io.dataDir);
          if (registry.fixes.length === 0) {
            io.out('No fixes are installed.');
            return 0;
          }
          for (const fix of registry.fixes) {
            const status =
              fix.status === 'superseded'
                ? `superseded by ${fix.supersededBy ?? '?'}`
                : fix.status === 'rolled-back'
                  ? `rolled back ${fix.rolledBackAt ?? ''}`.trim()
                  : 'active';
            io.out(`${fix.id}  ${fix.product} ${fix.version}  ${fix.fixKind}  ${status}`);
            io.out(`    installed ${fix.installedAt}  approved by ${fix.approvedBy}`);
            io.out(
              `    signed by ${fix.signer} (${fix.signerFingerprint})  ${fix.files.length} file(s) in ${fix.targetRoot}`,
            );
            if (fix.supersedes) io.out(`    supersedes ${fix.supersedes}`);
          }
          return 0;
        }
        case 'rollback': {
          if (rest.length !== 1) break;
          const result = await rollbackFix({
            dataDir: io.dataDir,
            id: rest[0]!,
            by: `local:${localUser()}`,
            ...(io.audit ? { audit: io.audit } : {}),
          });
          io.out(
            `Rolled back ${result.id} (${result.product} ${result.version}): ${result.filesRestored} file(s) restored and hash-checked.`,
          );
          return 0;
        }
        case 'recover': {
          if (rest.length > 0) break;
          const recovery = await recoverFixJournal(io.dataDir, io.audit ? { audit: io.audit } : {});
          io.out(
            recovery
              ? `Recovered ${recovery.op} of ${recovery.id}: the target is fully ${recovery.outcome}.`
              : 'Nothing to recover.',
          );
          return 0;
        }
        default:
          break;
      }
      return undefined;
    },
  );
}
