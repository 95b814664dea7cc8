// What the approver sees of a fix (issue 5 "The consent prompt shows the
// signer, kind, version change, the list of files added, replaced and
// removed with sizes, diffs for text files, and the checks that will run").
// Bounded so the pending message fits one channel frame: at most
// MAX_FIX_PREVIEW_FILES files in MAX_FIX_PREVIEW_LIST_CHARS, and
// MAX_FIX_PREVIEW_DIFF_CHARS of diffs.
import { createTwoFilesPatch } from 'diff';
import { promises as fsp } from 'node:fs';
import type { FileChange, FixPreview } from '../../protocol/consent';
import {
  MAX_FIX_DIFF_CHARS,
  MAX_FIX_DIFF_SOURCE_BYTES,
  MAX_FIX_PREVIEW_DIFF_CHARS,
  MAX_FIX_PREVIEW_FILES,
  MAX_FIX_PREVIEW_LIST_CHARS,
  type FixCheck,
} from '../../protocol/fixes';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of `bytes`, or null when binary (NUL byte or invalid UTF-8). */
export function textOf(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** A check's argv as one readable line (shell-style quoting only where needed). */
export function checkLine(check: FixCheck): string {
  return check.argv
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/** Reads a small file for a diff; null when it is too large or unreadable. */
export async function readSmall(path: string, size: number | undefined): Promise<Buffer | null> {
  if (size === undefined || size > MAX_FIX_DIFF_SOURCE_BYTES) return null;
  try {
    return await fsp.readFile(path);
  } catch {
    return null;
  }
}

/** One side of a file change. */
export interface ChangeSide {
  readonly size: number;
  readonly sha256: string;
  /** The bytes, when small enough to diff. */
  readonly content: Buffer | null;
}

/** Builds the preview's file list with a shared diff budget. */
export class PreviewFiles {
  private diffBudget = MAX_FIX_PREVIEW_DIFF_CHARS;
  private listBudget = MAX_FIX_PREVIEW_LIST_CHARS;
  readonly files: FixPreview['files'] = [];
  total = 0;

  add(
    path: string,
    op: 'add' | 'replace' | 'remove',
    before: ChangeSide | null,
    after: ChangeSide | null,
  ): void {
    this.total += 1;
    if (this.files.length >= MAX_FIX_PREVIEW_FILES || this.listBudget <= 0) return;
    const change: FileChange = {
      ...(before ? { before: { size: before.size, sha256: before.sha256 } } : {}),
      ...(after ? { after: { size: after.size, sha256: after.sha256 } } : {}),
      binary: true,
    };
    const oldText = before ? (before.content ? textOf(before.content) : null) : '';
    const newText = after ? (after.content ? textOf(after.content) : null) : '';
    if (oldText !== null && newText !== null && this.diffBudget > 0) {
      const patch = createTwoFilesPatch(
        before ? `a/${path}` : '/dev/null',
        after ? `b/${path}` : '/dev/null',
        oldText,
        newText,
        '',
        '',
        {
          context: 3,
        },
      );
      const limit = Math.min(MAX_FIX_DIFF_CHARS, this.diffBudget);
      const cut = patch.length > limit;
      const diff = cut ? patch.slice(0, limit) : patch;
      this.diffBudget -= diff.length;
      Object.assign(change, { binary: false, diff, ...(cut ? { diffTruncated: true } : {}) });
    } else if (oldText !== null && newText !== null) {
      Object.assign(change, { binary: false, diffTruncated: true });
    }
    const entry = { path, op, change };
    const chars = JSON.stringify(entry).length;
    // Long paths: the list as a whole must fit the pending message too.
    if (chars - (change.diff?.length ?? 0) > this.listBudget) {
      this.listBudget = 0;
      return;
    }
    this.listBudget -= chars - (change.diff?.length ?? 0);
    this.files.push(entry);
  }

  /** `details` entries saying how many files the list leaves out. */
  details(): Record<string, number> {
    return this.total > this.files.length
      ? { filesTotal: this.total, filesOmitted: this.total - this.files.length }
      : {};
  }
}
