// File system errors of the file actions as stable codes (HOUSE-STYLE habit 4).
import { AssentError } from '../../protocol/errors';

/** Maps an errno from a path operation to a files error code. */
export function pathError(err: unknown, path: string): AssentError {
  if (err instanceof AssentError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const details = { path };
  switch (code) {
    case 'ENOENT':
      return new AssentError('FILE_NOT_FOUND', `Nothing exists at ${path}.`, {
        cause: err,
        details,
      });
    case 'ENOTDIR':
      return new AssentError('FILE_NOT_DIRECTORY', `A component of ${path} is not a directory.`, {
        cause: err,
        details,
      });
    case 'EEXIST':
    case 'ENOTEMPTY':
      return new AssentError('FILE_EXISTS', `Something already exists at ${path}.`, {
        cause: err,
        details,
      });
    case 'ELOOP':
      return new AssentError('FILE_SYMLINK_REFUSED', `${path} is a symbolic link.`, {
        cause: err,
        details,
      });
    case 'ENOSPC':
    case 'EDQUOT':
      return new AssentError('DISK_FULL', undefined, { cause: err, details });
    case 'ENAMETOOLONG':
      return new AssentError('FILE_PATH_INVALID', `${path} is too long.`, { cause: err, details });
    default:
      return new AssentError(
        'IO_FAILED',
        `A file operation on ${path} failed (${code ?? 'error'}).`,
        {
          cause: err,
          details,
        },
      );
  }
}
