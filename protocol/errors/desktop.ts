import { defineErrorCodes } from './define';

/** Errors of the desktop app: the IPC boundary between renderer and main. */
export const DESKTOP_ERROR_CODES = defineErrorCodes({
  IPC_UNTRUSTED_SENDER: {
    meaning: 'An IPC call came from a frame or window that is not the app main window; ignored.',
  },
  IPC_UNKNOWN_CHANNEL: { meaning: 'An IPC call named a channel that is not in the contract.' },
  IPC_BAD_REQUEST: { meaning: 'An IPC request did not match its schema in the contract.' },
  IPC_BAD_RESPONSE: {
    meaning: 'The core answered an IPC call with data that does not match the contract.',
  },
  APPROVAL_NONCE_INVALID: {
    meaning:
      'An approval carried a nonce that was not issued for that action, was already used, or expired.',
  },
  APP_PATH_REFUSED: {
    meaning: 'An app:// request named a path outside the packaged renderer; refused.',
  },
});
