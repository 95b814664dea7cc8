// The engineer's interactive session: shows the SAS, waits for the approver,
// then reads commands (`help`, `chat`, `whoami`, `end`, and each domain's
// commands: files, terminal, fixes) until the session ends.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { isAssentError } from '../../protocol/errors';
import type { ConsoleCommand, ConsoleContext } from '../commands/console-command';
import { FILE_COMMANDS } from '../commands/files';
import { FIX_COMMANDS } from '../commands/fixes';
import { sessionCommands } from '../commands/session-commands';
import { TERMINAL_COMMANDS } from '../commands/terminal';
import { EngineerSession } from '../engineer-session';
import type { EngineerCredential } from '../identity/engineer-credential';

export interface SessionPromptOptions {
  relayUrl: string;
  code: string;
  credential: EngineerCredential;
  reason?: string | undefined;
  ticket?: string | undefined;
  ca?: Buffer | undefined;
  input: Readable;
  output: Writable;
}

/** Runs one session at the console; returns the exit code (0 when it ended normally). */
export async function runSessionPrompt(options: SessionPromptOptions): Promise<number> {
  const print = (line = ''): void => void options.output.write(`${line}\n`);
  let session: EngineerSession;
  try {
    session = await EngineerSession.connect({
      relayUrl: options.relayUrl,
      code: options.code,
      certificate: options.credential.certificate,
      signingKey: options.credential.signingKey,
      ...(options.reason ? { reason: options.reason } : {}),
      ...(options.ticket ? { ticket: options.ticket } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
    });
  } catch (error) {
    print(`Could not join: ${describeJoinError(error)}`);
    return 1;
  }
  session.on('paired', ({ fingerprint }) =>
    print(`Paired with the agent (device key ${fingerprint}). Running the key exchange...`),
  );
  session.on('sas', (sas) => print(`Compare this code with the customer by phone: ${sas}`));
  session.on('pending', ({ ticket, description, since, tried, rules, decideBy }) => {
    print('Waiting for the customer to accept the session...');
    if (ticket) print(`Customer ticket: ${ticket}`);
    if (description) print(`Customer description: ${description}`);
    if (since) print(`Since: ${since}`);
    if (tried) print(`Already tried: ${tried}`);
    if (rules) {
      print(`Ground rules in force (fingerprint ${rules.fingerprint}):`);
      for (const line of rules.summary) print(`  - ${line}`);
    }
    print(`(the request expires at ${new Date(decideBy).toLocaleTimeString()})`);
  });
  session.on('accepted', ({ resumed }) =>
    print(
      resumed
        ? 'Connection restored; the session continues.'
        : 'Session accepted. Type "help" for commands.',
    ),
  );
  session.on('chat', ({ from, text }) => {
    if (from === 'agent') print(`[customer] ${text}`);
  });
  session.on('interrupted', (reason) =>
    print(`Connection interrupted (${reason}); reconnecting...`),
  );
  session.on('notice', ({ message }) => print(`Note: ${message}`));

  const commands: ConsoleCommand[] = [
    ...sessionCommands(session),
    ...FILE_COMMANDS,
    ...TERMINAL_COMMANDS,
    ...FIX_COMMANDS,
  ];
  const context: ConsoleContext = {
    link: session.link,
    print,
    write: (text) => void options.output.write(text),
    cwd: process.cwd(),
    stdin: options.input as NodeJS.ReadStream,
    stdout: options.output as NodeJS.WriteStream,
  };
  const lines = createInterface({ input: options.input, terminal: false });
  let busy = Promise.resolve();
  lines.on('line', (raw) => {
    const line = raw.trim();
    if (!line) return;
    // One command at a time, in order, like a shell.
    busy = busy
      .then(() => runCommand(line))
      .catch((error: unknown) =>
        print(
          `Error: ${isAssentError(error) ? `${error.message} (${error.code})` : String(error)}`,
        ),
      );
  });

  async function runCommand(line: string): Promise<void> {
    const [name = '', ...args] = splitArgs(line);
    if (name === 'help') {
      for (const command of commands) print(`  ${command.usage.padEnd(36)} ${command.summary}`);
      return;
    }
    const command = commands.find((c) => c.name === name);
    if (!command) {
      print(`Unknown command "${name}". Type "help".`);
      return;
    }
    await command.run(args, context);
  }

  const end = await session.whenEnded();
  lines.close();
  print(`Session ended: ${end.message} (${end.code})`);
  return end.code === 'SESSION_ENDED' ? 0 : 1;
}

/** Splits a command line on spaces, keeping "double" or 'single' quoted words together. */
export function splitArgs(line: string): string[] {
  const args: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const match of line.matchAll(pattern))
    args.push(match[1]?.replace(/\\(.)/g, '$1') ?? match[2] ?? match[3]!);
  return args;
}

function describeJoinError(error: unknown): string {
  if (!isAssentError(error)) return String(error);
  switch (error.code) {
    case 'RELAY_CODE_UNKNOWN':
      return 'the code is unknown, expired or already used. Ask the customer for a new code.';
    case 'RELAY_CREDENTIAL_REVOKED':
      return 'your credential has been revoked. Contact your vendor admin.';
    case 'RELAY_CREDENTIAL_EXPIRED':
      return 'your credential has expired. Ask your vendor admin for a new one.';
    case 'RELAY_RATE_LIMITED':
      return 'too many attempts; wait a moment and try again.';
    default:
      return `${error.message} (${error.code})`;
  }
}
