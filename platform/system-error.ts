// Why a file system call failed, in a person's words, for error messages that
// name the path themselves (a missing file, a folder where a file was meant).

/** The reason of a failed system call: a few common codes in words, else the code or message. */
export function systemErrorReason(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'ENOTDIR') return 'a part of the path is not a folder';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC') return 'the disk is full';
  return code ?? (cause instanceof Error ? cause.message : String(cause));
}
