import { defineErrorCodes } from './define';

/** Errors of the file actions (issue 3, "File actions" and path safety). */
export const FILES_ERROR_CODES = defineErrorCodes({
  FILE_PATH_INVALID: {
    meaning:
      'The path is malformed: relative, `..` in any encoding, NUL or control bytes, a Windows or device form, or too long.',
  },
  FILE_OUTSIDE_ROOT: {
    meaning: 'The path resolves outside every root the ground rules allow for this action.',
  },
  FILE_SYMLINK_REFUSED: { meaning: 'The path names a symbolic link; links are never followed.' },
  FILE_HARDLINK_REFUSED: {
    meaning:
      'The file has more than one hard link; its other names may be outside the root, so it is not read or changed.',
  },
  FILE_NOT_FOUND: { meaning: 'No file or directory exists at the path.' },
  FILE_EXISTS: { meaning: 'Something already exists at the path.' },
  FILE_NOT_REGULAR: {
    meaning: 'The path is not a regular file (directory, device, fifo or socket).',
  },
  FILE_NOT_DIRECTORY: { meaning: 'The path is not a directory.' },
  FILE_RACE_DETECTED: {
    meaning:
      'The file or one of its directories was replaced between the check and the open; nothing was done.',
  },
  FILE_CHANGED: {
    meaning:
      'The file changed since the version the request was based on (or while it was read); nothing was changed.',
  },
  FILE_TOO_LARGE: { meaning: 'The file or content is larger than the ground rules allow.' },
  FILE_UPLOAD_INVALID: {
    meaning:
      'The uploaded content is missing, incomplete, larger than declared, or does not match its hash.',
  },
  FILE_TRANSFER_STOPPED: {
    meaning:
      'The transfer stopped: the grant was revoked, the request cancelled or the session ended.',
  },
  FILE_HASH_MISMATCH: {
    meaning:
      'The received bytes do not hash to what the agent reported; the local copy is kept aside.',
  },
  FILE_TRASH_NOT_FOUND: { meaning: 'No trash or backup entry has that id.' },
  FILE_RESTORE_CONFLICT: {
    meaning: 'Something already exists where the entry would be restored; choose another place.',
  },
});
