// file.find (issue 3): by name and by content inside a root, bounded in time
// (timeoutMs ≤ MAX_FIND_MS), results (maxResults ≤ MAX_FIND_RESULTS), files
// visited (MAX_FIND_VISITED) and depth (MAX_FIND_DEPTH). The walk descends
// through opened directory descriptors and never follows a link; denied
// paths are neither reported nor entered; files with other hard links or
// larger than MAX_FIND_CONTENT_FILE_BYTES are not searched by content.
import { constants, promises as fsp } from 'node:fs';
import { opendir } from 'node:fs/promises';
import {
  FileFindParams,
  MAX_FIND_CONTENT_FILE_BYTES,
  MAX_FIND_DEPTH,
  MAX_FIND_VISITED,
  type FileFindResult,
} from '../../protocol/files';
import type { ActionHandler } from '../actions/action-router';
import type { FileDeps } from './file-handler';
import { auditFile, confirmTarget, resolveFor, throwIfStopped } from './file-target';
import { fileTypeOf, OpenedDirectory, openTargetDirectory } from './safe-path';
import { pathDisplay } from './visible-path';

/** A name glob (`*`, `?`) as a whole-name regular expression. */
export function nameGlob(glob: string): RegExp {
  const source = [...glob]
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's');
}

interface Walk {
  readonly params: FileFindParams;
  readonly deps: FileDeps;
  readonly name: RegExp | null;
  readonly content: Buffer | null;
  readonly deadline: number;
  readonly signal: AbortSignal;
  readonly result: FileFindResult;
  readonly realRoot: string;
}

function stopped(walk: Walk): boolean {
  const r = walk.result;
  if (r.matches.length >= walk.params.maxResults || r.visited >= MAX_FIND_VISITED)
    r.truncated = true;
  if ((walk.deps.now ?? Date.now)() > walk.deadline) r.timedOut = true;
  return r.truncated || r.timedOut || walk.signal.aborted;
}

async function firstMatchLine(
  dir: OpenedDirectory,
  name: string,
  needle: Buffer,
): Promise<number | null> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(
      dir.entry(name),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
  } catch {
    return null;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.nlink !== 1 || st.size > MAX_FIND_CONTENT_FILE_BYTES) return null;
    const data = await handle.readFile();
    const at = data.indexOf(needle);
    if (at < 0) return null;
    let line = 1;
    for (let i = data.indexOf(10); i >= 0 && i < at; i = data.indexOf(10, i + 1)) line++;
    return line;
  } finally {
    await handle.close();
  }
}

async function walkDirectory(
  walk: Walk,
  dir: OpenedDirectory,
  canonical: string,
  depth: number,
): Promise<void> {
  const names: string[] = [];
  const handle = await opendir(dir.path);
  for await (const dirent of handle) names.push(dirent.name);
  names.sort();
  for (const name of names) {
    if (stopped(walk)) return;
    const path = canonical === '/' ? `/${name}` : `${canonical}/${name}`;
    if (walk.deps.rules.isDenied(path)) continue;
    const st = await fsp.lstat(dir.entry(name)).catch(() => null);
    if (!st) continue;
    walk.result.visited++;
    const type = fileTypeOf(st);
    const nameOk = walk.name === null || walk.name.test(name);
    if (nameOk && walk.content === null) {
      walk.result.matches.push({ path, type, size: st.size });
    } else if (nameOk && type === 'file') {
      const line = await firstMatchLine(dir, name, walk.content!);
      if (line !== null) walk.result.matches.push({ path, type, size: st.size, line });
    }
    if (type === 'directory' && depth < MAX_FIND_DEPTH && !stopped(walk)) {
      let sub: OpenedDirectory;
      try {
        sub = await OpenedDirectory.open(
          dir.entry(name),
          `${dir.real === '/' ? '' : dir.real}/${name}`,
          walk.realRoot,
        );
      } catch {
        continue;
      }
      try {
        await walkDirectory(walk, sub, path, depth + 1);
      } finally {
        await sub.close();
      }
    }
  }
}

/** file.find: names and/or contents under a directory, bounded. */
export function findHandler(deps: FileDeps): ActionHandler<FileFindParams> {
  return {
    params: FileFindParams,
    async describe(params) {
      const target = await resolveFor(deps, 'read', params.path);
      const details = {
        ...(params.name === undefined ? {} : { name: params.name }),
        ...(params.content === undefined ? {} : { content: params.content }),
        maxResults: params.maxResults,
        timeoutMs: params.timeoutMs,
      };
      return {
        kind: 'file.find',
        target: target.canonical,
        params: details,
        match: { paths: [target.canonical] },
        preview: { kind: 'file.find', path: pathDisplay(target.canonical), details },
      };
    },
    async execute(grant, params, context) {
      const target = await confirmTarget(deps, grant, context, 'read', params.path);
      const dir = await openTargetDirectory(target);
      const now = deps.now ?? Date.now;
      const walk: Walk = {
        params,
        deps,
        name: params.name === undefined ? null : nameGlob(params.name),
        content: params.content === undefined ? null : Buffer.from(params.content, 'utf8'),
        deadline: now() + params.timeoutMs,
        signal: context.signal,
        result: {
          path: target.canonical,
          matches: [],
          truncated: false,
          timedOut: false,
          visited: 0,
        },
        realRoot: target.realRoot,
      };
      try {
        await walkDirectory(walk, dir, target.canonical, 0);
      } finally {
        await dir.close();
      }
      throwIfStopped(context.signal);
      if (walk.result.matches.length > params.maxResults)
        walk.result.matches.length = params.maxResults;
      await auditFile(deps, context, 'file.find', {
        path: target.canonical,
        matches: walk.result.matches.length,
        truncated: walk.result.truncated,
        timedOut: walk.result.timedOut,
      });
      return walk.result;
    },
  };
}
