// The shell a terminal runs and the environment it gets (issue 4): a minimal,
// documented set of variables built from scratch, never a copy of the
// agent's own environment, so no agent secret, Electron/Node switch
// (ELECTRON_RUN_AS_NODE, NODE_OPTIONS), inspector setting, ASSENT_* setting
// or D-Bus session address (the keychain) reaches the pty. docs/terminal.md
// lists the variables.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { AssentError } from '../../protocol/errors';

/** The variables a terminal's shell starts with; nothing else is passed. */
export const TERMINAL_ENV_NAMES = [
  'PATH',
  'HOME',
  'LANG',
  'TERM',
  'USER',
  'LOGNAME',
  'SHELL',
  'TERM_SESSION_ID',
] as const;
/** Extra variables of a supervised shell: the prompt, the exit-status marker, no history file. */
export const SUPERVISED_ENV_NAMES = ['PS1', 'PROMPT_COMMAND', 'HISTFILE'] as const;

/** PATH of the shell on Unix: the system directories, never the agent's (which may hold node_modules/.bin). */
export const UNIX_TERMINAL_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The exit-status marker a supervised bash prints before each prompt: an OSC
 * sequence no terminal displays. The agent strips it from the output and only
 * believes it when the shell is also back in the foreground of its pty.
 */
export const STATUS_MARKER_PREFIX = '\u001b]6973;assent-status;';
export const STATUS_MARKER_SUFFIX = '\u0007';

export interface ShellChoice {
  readonly file: string;
  readonly args: readonly string[];
}

function firstExisting(candidates: readonly string[]): string | undefined {
  return candidates.find((c) => c.length > 0 && existsSync(c));
}

/**
 * The shell for a terminal. Supervised: bash without rc files or line editing
 * (aliases and functions from rc files could make a parsed name lie; readline
 * would act on control characters). Interactive:
 * the user's $SHELL as a login-less interactive shell. Windows: PowerShell.
 */
export function chooseShell(
  mode: 'supervised' | 'interactive',
  platform: NodeJS.Platform = process.platform,
  userShell: string | undefined = process.env['SHELL'],
): ShellChoice {
  if (platform === 'win32') return { file: 'powershell.exe', args: ['-NoLogo', '-NoProfile'] };
  if (mode === 'supervised') {
    const bash = firstExisting(['/bin/bash', '/usr/bin/bash', '/usr/local/bin/bash']);
    // Only bash reports the exit status before each prompt (PROMPT_COMMAND); without it a
    // supervised line could not be seen to finish, so there is no fallback shell.
    if (!bash) throw new AssentError('TERMINAL_SPAWN_FAILED', 'Supervised terminals need bash.');
    return { file: bash, args: ['--noprofile', '--norc', '--noediting', '-i'] };
  }
  const shell =
    firstExisting([userShell ?? '', '/bin/bash', '/usr/bin/bash', '/bin/sh']) ?? '/bin/sh';
  return { file: shell, args: ['-i'] };
}

/** The environment of a terminal's shell, built from nothing but the account's identity. */
export function terminalEnvironment(options: {
  shell: string;
  mode: 'supervised' | 'interactive';
  /** Random tag inherited by everything the shell starts (found again at kill time). */
  tag: string;
  platform?: NodeJS.Platform;
}): Record<string, string> {
  const platform = options.platform ?? process.platform;
  const user = userInfo();
  const env: Record<string, string> = {
    HOME: user.homedir,
    USER: user.username,
    LOGNAME: user.username,
    SHELL: options.shell,
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    TERM_SESSION_ID: options.tag,
    PATH:
      platform === 'win32'
        ? (process.env['SystemRoot'] ?? 'C:\\Windows') +
          '\\System32;' +
          (process.env['SystemRoot'] ?? 'C:\\Windows')
        : UNIX_TERMINAL_PATH,
  };
  if (options.mode === 'supervised') {
    env['PS1'] = '\\w\\$ ';
    env['PROMPT_COMMAND'] =
      `printf '${STATUS_MARKER_PREFIX.replace('\u001b', '\\033')}%s${STATUS_MARKER_SUFFIX.replace('\u0007', '\\007')}' "$?"`;
    env['HISTFILE'] = '';
  }
  return env;
}
