// The engineer console's file commands (issue 3): ls, stat, get (progress
// bar, resume), put, edit ($EDITOR, sent with the base hash), rm, mv, find,
// grants. Each prints "waiting for approval…" while the approver decides,
// and the reason when denied.
import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { ActionPreview } from '../../protocol/consent';
import { AssentError, isAssentError } from '../../protocol/errors';
import {
  deleteFile,
  digestOf,
  editFile,
  findFiles,
  getFile,
  listFiles,
  putFile,
  renameFile,
  statFile,
  type FileRequestOptions,
} from '../files/file-client';
import { listGrants } from '../files/grant-client';
import { humanSize, progressBar } from '../files/progress-bar';
import type { ConsoleCommand, ConsoleContext } from './console-command';

export { listGrants, progressBar };

function describePending(preview: ActionPreview): string {
  const path = preview.path ? ` ${preview.path.visible}` : '';
  const to = preview.destination ? ` -> ${preview.destination.visible}` : '';
  return `waiting for approval… (${preview.kind}${path}${to})`;
}

function requestOptions(
  context: ConsoleContext,
  onProgress?: FileRequestOptions['onProgress'],
): FileRequestOptions {
  return {
    onPending: (preview) => context.print(describePending(preview)),
    ...(onProgress ? { onProgress } : {}),
  };
}

/** Prints an agent refusal (code, message and the rule or person behind a denial); rethrows anything else. */
function explain(err: unknown, context: ConsoleContext): void {
  if (!isAssentError(err)) throw err;
  const basis = err.details?.['basis'] as { source?: string; rule?: string } | undefined;
  const why = basis ? ` (${basis.source}${basis.rule ? `: ${basis.rule}` : ''})` : '';
  context.print(`${err.code}: ${err.message}${why}`);
}

function usage(text: string): never {
  throw new AssentError('USAGE', `usage: ${text}`);
}

async function guarded(context: ConsoleContext, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (isAssentError(err, 'USAGE')) throw err;
    explain(err, context);
  }
}

const ls: ConsoleCommand = {
  name: 'ls',
  usage: 'ls <remote-dir> [--sort name|size|modified|type] [--desc] [--offset N]',
  summary: 'list a remote directory (paged, sorted)',
  run: (args, context) =>
    guarded(context, async () => {
      const [path, ...flags] = args;
      if (!path) usage(ls.usage);
      const sortAt = flags.indexOf('--sort');
      const offsetAt = flags.indexOf('--offset');
      const page = {
        ...(sortAt >= 0 ? { sort: flags[sortAt + 1] as 'name' } : {}),
        ...(flags.includes('--desc') ? { order: 'desc' as const } : {}),
        ...(offsetAt >= 0 ? { offset: Number(flags[offsetAt + 1]) } : {}),
      };
      const result = await listFiles(context.link, path, page, requestOptions(context));
      for (const e of result.entries)
        context.print(
          `${e.type.padEnd(9)} ${humanSize(e.size).padStart(10)}  ${new Date(e.modifiedAt).toISOString()}  ${e.name}`,
        );
      context.print(
        `${result.offset + result.entries.length} of ${result.total}${result.nextOffset === undefined ? '' : ` (next: --offset ${result.nextOffset})`}`,
      );
    }),
};

const stat: ConsoleCommand = {
  name: 'stat',
  usage: 'stat <remote-path>',
  summary: 'type, size, times and links of a remote path',
  run: (args, context) =>
    guarded(context, async () => {
      if (args.length !== 1) usage(stat.usage);
      const s = await statFile(context.link, args[0]!, requestOptions(context));
      context.print(
        `${s.path}: ${s.type}, ${s.size} bytes, mode ${s.mode.toString(8)}, links ${s.links}`,
      );
      context.print(`modified ${new Date(s.modifiedAt).toISOString()}`);
    }),
};

async function isLocalFolder(path: string): Promise<boolean> {
  return (await fsp.stat(path).catch(() => null))?.isDirectory() ?? false;
}

const get: ConsoleCommand = {
  name: 'get',
  usage: 'get <remote-path> [local-path or folder]',
  summary: 'download a file (resumes a partial local copy; checks the hash)',
  run: (args, context) =>
    guarded(context, async () => {
      if (args.length < 1 || args.length > 2) usage(get.usage);
      const remote = args[0]!;
      // Into a local folder it names, under the remote file's name (as cp and scp do).
      const named = resolve(context.cwd, args[1] ?? '.');
      const local = (await isLocalFolder(named)) ? join(named, basename(remote)) : named;
      const result = await getFile(context.link, remote, local, {
        resume: true,
        ...requestOptions(context, (done, total) => context.write(`\r${progressBar(done, total)}`)),
      });
      context.write('\n');
      context.print(
        `${local}: ${result.size} bytes, sha256:${result.sha256}${result.resumedFrom > 0 ? ` (resumed at ${result.resumedFrom})` : ''}`,
      );
    }),
};

const put: ConsoleCommand = {
  name: 'put',
  usage: 'put <local-path> <remote-path>',
  summary: 'upload a new file (the customer sees its size and hash, or the text)',
  run: (args, context) =>
    guarded(context, async () => {
      if (args.length !== 2) usage(put.usage);
      const result = await putFile(
        context.link,
        args[1]!,
        resolve(context.cwd, args[0]!),
        requestOptions(context),
      );
      context.print(`${result.path}: ${result.size} bytes written, sha256:${result.sha256}`);
    }),
};

/** Opens `file` in the engineer's editor ($VISUAL, $EDITOR, else vi). */
export function openEditor(file: string): void {
  const editor = process.env['VISUAL'] || process.env['EDITOR'] || 'vi';
  const ran = spawnSync(`${editor} "$ASSENT_EDIT_FILE"`, {
    shell: true,
    stdio: 'inherit',
    env: { ...process.env, ASSENT_EDIT_FILE: file },
  });
  if (ran.status !== 0)
    throw new AssentError(
      'USAGE',
      `The editor (${editor}) exited with ${ran.status ?? ran.signal}.`,
    );
}

const edit: ConsoleCommand = {
  name: 'edit',
  usage: 'edit <remote-path>',
  summary: 'fetch a file, edit it in $EDITOR, send the change (refused if it changed meanwhile)',
  run: (args, context) =>
    guarded(context, async () => {
      if (args.length !== 1) usage(edit.usage);
      const remote = args[0]!;
      const dir = await fsp.mkdtemp(join(tmpdir(), 'assent-edit-'));
      try {
        const local = join(dir, basename(remote) || 'file');
        const fetched = await getFile(context.link, remote, local, requestOptions(context));
        openEditor(local);
        const after = await digestOf(local);
        if (after.sha256 === fetched.sha256) {
          context.print('No change; nothing sent.');
          return;
        }
        const result = await editFile(
          context.link,
          remote,
          fetched.sha256,
          local,
          requestOptions(context),
        );
        context.print(
          `${result.path}: ${result.size} bytes, sha256:${result.sha256}${result.backupId ? ` (old version kept as ${result.backupId})` : ''}`,
        );
      } finally {
        await fsp.rm(dir, { recursive: true, force: true });
      }
    }),
};

const rm: ConsoleCommand = {
  name: 'rm',
  usage: 'rm <remote-path>',
  summary: "move a file or directory into the agent's trash (restorable)",
  run: (args, context) =>
    guarded(context, async () => {
      if (args.length !== 1) usage(rm.usage);
      const result = await deleteFile(context.link, args[0]!, requestOptions(context));
      context.print(`${result.path} moved to the trash as ${result.trashId}`);
    }),
};

const mv: ConsoleCommand = {
  name: 'mv',
  usage: 'mv <remote-path> <new-remote-path>',
  summary: 'rename or move a remote file or directory (never replaces)',
  run: (args, context) =>
    guarded(context, async () => {
      if (args.length !== 2) usage(mv.usage);
      const result = await renameFile(context.link, args[0]!, args[1]!, requestOptions(context));
      context.print(`${result.path} -> ${result.to}`);
    }),
};

const find: ConsoleCommand = {
  name: 'find',
  usage: 'find <remote-dir> [--name GLOB] [--content TEXT]',
  summary: 'search a remote directory by name and/or content (bounded)',
  run: (args, context) =>
    guarded(context, async () => {
      const [path, ...flags] = args;
      const nameAt = flags.indexOf('--name');
      const contentAt = flags.indexOf('--content');
      const name = nameAt >= 0 ? flags[nameAt + 1] : undefined;
      const content = contentAt >= 0 ? flags[contentAt + 1] : undefined;
      if (!path || (name === undefined && content === undefined)) usage(find.usage);
      const result = await findFiles(
        context.link,
        {
          path,
          ...(name === undefined ? {} : { name }),
          ...(content === undefined ? {} : { content }),
        },
        requestOptions(context),
      );
      for (const m of result.matches)
        context.print(`${m.path}${m.line === undefined ? '' : `:${m.line}`}`);
      const notes = [
        result.truncated ? 'truncated' : '',
        result.timedOut ? 'timed out' : '',
      ].filter(Boolean);
      context.print(
        `${result.matches.length} match(es), ${result.visited} visited${notes.length ? ` (${notes.join(', ')})` : ''}`,
      );
    }),
};

const grants: ConsoleCommand = {
  name: 'grants',
  usage: 'grants',
  summary: 'list the session grants the approver has given',
  run: (_args, context) =>
    guarded(context, async () => {
      const list = await listGrants(context.link);
      if (list.length === 0) context.print('No session grants.');
      for (const g of list) {
        const scope = g.scope.pathPrefix ?? g.scope.command ?? g.scope.product ?? '';
        const expires = g.expiresAt ? `, until ${new Date(g.expiresAt).toISOString()}` : '';
        const max = g.scope.maxUses ? `/${g.scope.maxUses}` : '';
        context.print(`${g.id}  ${g.scope.kind} ${scope}  used ${g.uses}${max}${expires}`);
      }
    }),
};

/** The file commands of the interactive prompt. */
export const FILE_COMMANDS: readonly ConsoleCommand[] = [
  ls,
  stat,
  get,
  put,
  edit,
  rm,
  mv,
  find,
  grants,
];
