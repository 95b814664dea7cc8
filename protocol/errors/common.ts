import { defineErrorCodes } from './define';

/** Errors that are not specific to one part. */
export const COMMON_ERROR_CODES = defineErrorCodes({
  USAGE: { meaning: 'A command was called with wrong arguments; see its help.' },
  CONFIG_INVALID: { meaning: 'A configuration file is malformed.' },
  IO_FAILED: { meaning: 'A file system operation failed.' },
  DISK_FULL: { meaning: 'The disk is full; nothing was changed.' },
  INTERNAL: { meaning: 'An unexpected internal error; the operation was stopped safely.' },
});
