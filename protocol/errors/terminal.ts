import { defineErrorCodes } from './define';

/** Errors of the remote terminal (issue 4). */
export const TERMINAL_ERROR_CODES = defineErrorCodes({
  TERMINAL_BAD_LINE: {
    meaning:
      'The command line contains control characters or line breaks; send one printable line at a time.',
  },
  TERMINAL_MODE_OFF: {
    meaning: 'The ground rules (or the machine policy) do not allow this terminal mode.',
  },
  TERMINAL_NO_ROOT: {
    meaning:
      'The ground rules name no readable root to start the shell in, or the root is missing.',
  },
  TERMINAL_UNSAFE_ROOT: {
    meaning: "The shell's root contains the agent's data folder; the terminal is refused.",
  },
  TERMINAL_BUSY: {
    meaning: 'A command is still running in the supervised shell; wait for it or interrupt it.',
  },
  TERMINAL_STATE_CHANGED: {
    meaning:
      "The supervised shell's working directory changed since the line was shown; ask again.",
  },
  TERMINAL_NOT_FOUND: { meaning: 'No such terminal in this session (it may have ended).' },
  TERMINAL_NOT_INTERACTIVE: {
    meaning: 'Raw keystrokes are accepted by interactive terminals only.',
  },
  TERMINAL_APPROVAL_REQUIRED: {
    meaning:
      "An interactive window opens only on the approver's own decision, never on a session grant or standing consent.",
  },
  TERMINAL_SPAWN_FAILED: { meaning: 'The shell could not be started.' },
  TERMINAL_RECORDING_FAILED: {
    meaning:
      'The terminal recording could not be written and the ground rules require it; the terminal was not started or was stopped.',
  },
  TERMINAL_ENDED: { meaning: 'The terminal ended before the command finished.' },
  TERMINAL_KILL_INCOMPLETE: {
    meaning: 'Some processes started in the terminal were still running after it was killed.',
  },
  TERMINAL_BAD_RECORDING: { meaning: 'The file is not an asciicast v2 recording.' },
});
