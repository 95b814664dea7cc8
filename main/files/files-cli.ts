// `assent-agent files …` on the customer machine (issue 3): list the backups
// of overwritten versions and the trash, and restore an entry where it was
// or to `--to PATH`. Run by the person at the machine, so no ground-rules
// roots apply; the restore still goes through the no-follow, verified,
// atomic path of the file actions (a link in the destination's place is
// never followed, a backup restore keeps the version it replaces).
import { promises as fsp } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { systemErrorReason } from '../../platform/system-error';
import { isAssentError } from '../../protocol/errors';
import type { KeptEntry } from '../../protocol/files';
import { KeptStore } from './kept-store';
import { restoreKept } from './restore-action';
import { OpenedDirectory } from './safe-path';
import { visiblePath } from '../../protocol/visible-text';

export interface FilesCommandIo {
  readonly dataDir: string;
  out(line: string): void;
}

const USAGE = [
  'usage: assent-agent files backups            list backups of overwritten versions',
  '       assent-agent files trash              list the trash',
  '       assent-agent files restore <id> [--to PATH]',
];

function line(entry: KeptEntry): string {
  const hash = entry.sha256 ? ` sha256:${entry.sha256.slice(0, 16)}…` : '';
  const who = entry.engineer ? ` by ${entry.engineer}` : '';
  return `${entry.id}  ${entry.keptAt}  ${entry.type} ${entry.size} B${hash}  ${visiblePath(entry.originalPath)}${who}`;
}

/** Runs one `files` subcommand; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function runFilesCommand(
  argv: readonly string[],
  io: FilesCommandIo,
): Promise<number> {
  const [sub, ...rest] = argv;
  const store = new KeptStore(io.dataDir);
  try {
    if ((sub === 'backups' || sub === 'trash') && rest.length === 0) {
      const entries = await store.list(sub === 'trash' ? 'trash' : 'backup');
      if (entries.length === 0) io.out(sub === 'trash' ? 'The trash is empty.' : 'No backups.');
      for (const entry of entries) io.out(line(entry));
      return 0;
    }
    if (sub === 'restore' && (rest.length === 1 || (rest.length === 3 && rest[1] === '--to'))) {
      const id = rest[0]!;
      const { entry } = await store.get(id);
      const destination = rest.length === 3 ? resolve(rest[2]!) : entry.originalPath;
      if (!isAbsolute(destination) || basename(destination) === '')
        throw new TypeError('--to needs a file path');
      const parent = await fsp.realpath(dirname(destination));
      const dir = await OpenedDirectory.open(parent, parent, '/');
      try {
        const shown = resolve(parent, basename(destination));
        const done = await restoreKept(store, id, dir, basename(destination), shown, {
          keptFor: { requestId: 'local-restore' },
        });
        io.out(`Restored ${id} to ${visiblePath(shown)}.`);
        if (done.replacedBackupId)
          io.out(`The version it replaced is kept as ${done.replacedBackupId}.`);
      } finally {
        await dir.close();
      }
      return 0;
    }
    for (const text of USAGE) io.out(text);
    return 2;
  } catch (err) {
    if (isAssentError(err)) {
      io.out(`error ${err.code}: ${err.message}`);
      return 1;
    }
    if (err instanceof TypeError) {
      io.out(`error USAGE: ${err.message}`);
      return 2;
    }
    io.out(`error IO_FAILED: ${systemErrorReason(err)}`);
    return 1;
  }
}
