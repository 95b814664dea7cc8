// The engineer's own files (what get writes, what put and fix push send):
// their errors are said in the engineer's terms, with the path and the
// reason, not as a raw system error.
import { promises as fsp, type Stats } from 'node:fs';
import { AssentError } from '../../protocol/errors';
import { systemErrorReason } from '../../platform/system-error';

/** IO_FAILED for a local file that could not be read or written. */
export function localFileError(
  action: 'read' | 'write',
  path: string,
  cause: unknown,
): AssentError {
  return new AssentError(
    'IO_FAILED',
    `Cannot ${action} ${path} on this machine: ${systemErrorReason(cause)}.`,
    {
      cause,
    },
  );
}

/** The stat of a local file to send; a missing file or a folder is refused with the reason. */
export async function localFileToSend(path: string): Promise<Stats> {
  const stats = await fsp.stat(path).catch((cause: unknown) => {
    throw localFileError('read', path, cause);
  });
  if (!stats.isFile())
    throw new AssentError(
      'FILE_NOT_REGULAR',
      `${path} is ${stats.isDirectory() ? 'a folder' : 'not a regular file'} on this machine; one file is sent at a time.`,
    );
  return stats;
}
