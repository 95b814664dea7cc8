// What the approver sees of a change (issue 3): for text a unified diff
// (bounded: MAX_DIFF_INPUT_BYTES in, MAX_PREVIEW_DIFF_CHARS out), for binary
// the sizes and hashes only. Text means valid UTF-8 without NUL bytes.
import { createTwoFilesPatch } from 'diff';
import type { FileChange, FileFacts } from '../../protocol/consent';
import { MAX_DIFF_INPUT_BYTES, MAX_PREVIEW_DIFF_CHARS } from '../../protocol/files';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of `bytes`, or null when they are binary (NUL or invalid UTF-8). */
export function asText(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** A FileChange for a preview; `before` absent for a new file. Content is given only when small enough to diff. */
export function describeChange(
  name: string,
  before: { facts: FileFacts; content: Uint8Array | null } | null,
  after: { facts: FileFacts; content: Uint8Array | null },
): FileChange {
  const base: FileChange = {
    ...(before ? { before: before.facts } : {}),
    after: after.facts,
    binary: true,
  };
  const tooBig =
    (before?.facts.size ?? 0) > MAX_DIFF_INPUT_BYTES || after.facts.size > MAX_DIFF_INPUT_BYTES;
  if (tooBig || after.content === null || (before && before.content === null)) return base;
  const oldText = before ? asText(before.content!) : '';
  const newText = asText(after.content);
  if (oldText === null || newText === null) return base;
  const patch = createTwoFilesPatch(
    before ? `a/${name}` : '/dev/null',
    `b/${name}`,
    oldText,
    newText,
    '',
    '',
    {
      context: 3,
    },
  );
  const truncated = patch.length > MAX_PREVIEW_DIFF_CHARS;
  return {
    ...base,
    binary: false,
    diff: truncated ? patch.slice(0, MAX_PREVIEW_DIFF_CHARS) : patch,
    ...(truncated ? { diffTruncated: true } : {}),
  };
}
