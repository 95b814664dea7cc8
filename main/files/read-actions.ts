// file.list, file.stat and file.read (issue 3, "File actions"). A read's
// bytes are streamed by read-stream.ts.
import { opendir } from 'node:fs/promises';
import { promises as fsp } from 'node:fs';
import { AssentError } from '../../protocol/errors';
import {
  FileListParams,
  FileReadParams,
  FileStatParams,
  MAX_LIST_ENTRIES,
  type FileEntry,
  type FileListResult,
  type FileReadResult,
  type FileStatResult,
} from '../../protocol/files';
import type { ActionHandler } from '../actions/action-router';
import type { FileDeps } from './file-handler';
import { auditFile, confirmTarget, resolveFor } from './file-target';
import { streamFile } from './read-stream';
import {
  fileTypeOf,
  lstatEntry,
  openParent,
  openRegularFile,
  openTargetDirectory,
  type OpenedDirectory,
} from './safe-path';
import { pathDisplay } from './visible-path';

function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

async function listDirectory(
  dir: OpenedDirectory,
  canonical: string,
  deps: FileDeps,
): Promise<FileEntry[]> {
  const entries: FileEntry[] = [];
  const handle = await opendir(dir.path);
  for await (const dirent of handle) {
    if (deps.rules.isDenied(childPath(canonical, dirent.name))) continue;
    if (entries.length >= MAX_LIST_ENTRIES)
      throw new AssentError(
        'FILE_TOO_LARGE',
        `${canonical} has more than ${MAX_LIST_ENTRIES} entries.`,
      );
    const st = await fsp.lstat(dir.entry(dirent.name)).catch(() => null);
    if (!st) continue;
    entries.push({
      name: dirent.name,
      type: fileTypeOf(st),
      size: st.size,
      modifiedAt: Math.floor(st.mtimeMs),
      mode: st.mode & 0o7777,
    });
  }
  await dir.verify();
  return entries;
}

function sortEntries(entries: FileEntry[], params: FileListParams): FileEntry[] {
  const byName = (a: FileEntry, b: FileEntry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const keys: Record<FileListParams['sort'], (a: FileEntry, b: FileEntry) => number> = {
    name: byName,
    size: (a, b) => a.size - b.size || byName(a, b),
    modified: (a, b) => a.modifiedAt - b.modifiedAt || byName(a, b),
    type: (a, b) => a.type.localeCompare(b.type) || byName(a, b),
  };
  const sorted = entries.sort(keys[params.sort]);
  return params.order === 'desc' ? sorted.reverse() : sorted;
}

/** file.list: a sorted page of a directory. */
export function listHandler(deps: FileDeps): ActionHandler<FileListParams> {
  return {
    params: FileListParams,
    async describe(params) {
      const target = await resolveFor(deps, 'read', params.path);
      const { offset, limit, sort, order } = params;
      return {
        kind: 'file.list',
        target: target.canonical,
        params: { offset, limit, sort, order },
        match: { paths: [target.canonical] },
        preview: {
          kind: 'file.list',
          path: pathDisplay(target.canonical),
          details: { offset, limit, sort, order },
        },
      };
    },
    async execute(grant, params, context) {
      const target = await confirmTarget(deps, grant, context, 'read', params.path);
      const dir = await openTargetDirectory(target);
      let all: FileEntry[];
      try {
        all = sortEntries(await listDirectory(dir, target.canonical, deps), params);
      } finally {
        await dir.close();
      }
      const entries = all.slice(params.offset, params.offset + params.limit);
      const next = params.offset + entries.length;
      await auditFile(deps, context, 'file.list', {
        path: target.canonical,
        entries: entries.length,
      });
      const result: FileListResult = {
        path: target.canonical,
        entries,
        total: all.length,
        offset: params.offset,
        ...(next < all.length ? { nextOffset: next } : {}),
      };
      return result;
    },
  };
}

/** file.stat: type, size, times and links of one entry (links are described, never followed). */
export function statHandler(deps: FileDeps): ActionHandler<FileStatParams> {
  return {
    params: FileStatParams,
    async describe(params) {
      const target = await resolveFor(deps, 'read', params.path);
      return {
        kind: 'file.stat',
        target: target.canonical,
        params: {},
        match: { paths: [target.canonical] },
        preview: { kind: 'file.stat', path: pathDisplay(target.canonical) },
      };
    },
    async execute(grant, params, context) {
      const target = await confirmTarget(deps, grant, context, 'read', params.path);
      const dir = await openParent(target);
      try {
        const st =
          target.name === ''
            ? await fsp.lstat(target.real)
            : await lstatEntry(dir, target.name, target.canonical);
        await dir.verify();
        await auditFile(deps, context, 'file.stat', { path: target.canonical });
        const result: FileStatResult = {
          path: target.canonical,
          name: target.name === '' ? target.canonical.split('/').pop() || '/' : target.name,
          type: fileTypeOf(st),
          size: st.size,
          modifiedAt: Math.floor(st.mtimeMs),
          createdAt: Math.floor(st.birthtimeMs),
          mode: st.mode & 0o7777,
          links: st.nlink,
        };
        return result;
      } finally {
        await dir.close();
      }
    },
  };
}

/** file.read: streams the file from an offset on the engineer's stream id. */
export function readHandler(deps: FileDeps): ActionHandler<FileReadParams> {
  return {
    params: FileReadParams,
    async describe(params) {
      const target = await resolveFor(deps, 'read', params.path);
      const dir = await openParent(target);
      let size: number;
      let modifiedAt: string;
      try {
        const { handle, stat } = await openRegularFile(dir, target.name || '.', target.canonical);
        await handle.close();
        size = stat.size;
        modifiedAt = stat.mtime.toISOString();
      } finally {
        await dir.close();
      }
      if (params.offset > size)
        throw new AssentError(
          'USAGE',
          `The offset ${params.offset} is past the end (${size} bytes).`,
        );
      return {
        kind: 'file.read',
        target: target.canonical,
        params: { offset: params.offset, size },
        match: { paths: [target.canonical] },
        preview: {
          kind: 'file.read',
          path: pathDisplay(target.canonical),
          file: { size, modifiedAt, type: 'file' },
          details: { offset: params.offset },
        },
      };
    },
    async execute(grant, params, context) {
      const target = await confirmTarget(deps, grant, context, 'read', params.path);
      const dir = await openParent(target);
      let result: FileReadResult;
      try {
        const { handle, stat } = await openRegularFile(dir, target.name, target.canonical);
        try {
          if (stat.size > deps.rules.maxReadBytes)
            throw new AssentError(
              'FILE_TOO_LARGE',
              `${target.canonical} is larger than maxReadBytes.`,
            );
          if (stat.size !== context.action.params['size'])
            throw new AssentError(
              'FILE_CHANGED',
              `${target.canonical} changed since it was approved.`,
            );
          result = await streamFile(deps, handle, stat, params, context, target.canonical);
        } finally {
          await handle.close();
        }
      } finally {
        await dir.close();
      }
      await auditFile(deps, context, 'file.read', {
        path: result.path,
        size: result.size,
        offset: result.offset,
        sent: result.sent,
        sha256: result.sha256,
      });
      return result;
    },
  };
}
