// The headless agent's terminal UI (issue 2): plain lines on stdout, plain
// commands on stdin, so a person or a script can drive it (no cursor tricks).
// It only presents what the core emits and passes decisions back; nothing
// is decided here.
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { isAssentError } from '../../protocol/errors';
import type { Agent, HelpRequest } from '../agent';
import type { AgentSession, SessionEnd, SessionRequest } from '../session/agent-session';
import type { AgentSessionServices } from '../session-services';
import { observeSends } from '../session/peer-link';
import { actionProgressLines } from './action-progress';
import { parseDecisionCommand, type ConsentConsole } from './consent-commands';

/** Formats a session code for reading aloud: `123 456 7890`. */
export function formatCode(code: string): string {
  return `${code.slice(0, 3)} ${code.slice(3, 6)} ${code.slice(6)}`;
}

const HELP = [
  'Commands:',
  '  accept                  accept the session request',
  '  refuse [reason]         refuse the session request',
  '  chat <text>             send a chat message to the engineer',
  '  pending                 list actions waiting for your decision',
  '  allow <n>               allow action n once',
  '  allow-session <n> [--minutes M] [--uses N] [--under PATH]',
  '                          allow action n and similar ones for this session',
  '  deny <n> [reason]       deny action n',
  '  grants                  list session grants',
  '  revoke <grant-id>       revoke a session grant (stops transfers in flight)',
  "  terminals               list the engineer's terminals",
  '  close-terminal <id>     end a terminal now (kills everything it started)',
  '  status                  show the session state',
  '  end                     end the session now',
  '  help                    this list',
];

export interface HeadlessUiOptions {
  input: Readable;
  output: Writable;
  /** Told when an accepted session's services exist (the terminal mirror subscribes here). */
  onServices?: (services: AgentSessionServices) => void;
}

/** Runs one session in the terminal; resolves with how it ended. */
export async function runHeadlessSession(
  agent: Agent,
  request: HelpRequest,
  options: HeadlessUiOptions,
): Promise<SessionEnd> {
  const print = (line = ''): void => {
    options.output.write(`${line}\n`);
  };
  let consent: ConsentConsole | undefined;
  let activeServices: AgentSessionServices | undefined;
  const progressShown = new Map<string, number>();
  let session: AgentSession;
  try {
    session = await agent.createSession(request, {
      onServices: (services) => {
        consent = services.consent;
        activeServices = services;
        consent.onPrompt((lines) => {
          print();
          for (const line of lines) print(line);
        });
        consent.onNotice((line) => print(`NOTICE ${line}`));
        options.onServices?.(services);
      },
      // Progress and outcome of each allowed action, as the engineer sees them.
      observeLink: (link) =>
        observeSends(link, (message) => {
          for (const line of actionProgressLines(message, progressShown)) print(line);
        }),
    });
  } catch (error) {
    print(
      `Cannot start a session: ${isAssentError(error) ? `${error.message} (${error.code})` : String(error)}`,
    );
    return {
      by: 'system',
      code: isAssentError(error) ? error.code : 'INTERNAL',
      message: String((error as Error).message),
      accepted: false,
    };
  }
  session.on('code', ({ code, expiresAt }) => {
    print(
      `Session code: ${formatCode(code)}   (valid until ${new Date(expiresAt).toLocaleTimeString()})`,
    );
    print('Read this code to the engineer. Nothing happens on this machine without your approval.');
  });
  session.on('notice', ({ message }) => print(`Note: ${message}`));
  session.on('request', (req) => {
    for (const line of requestLines(req)) print(line);
  });
  session.on('accepted', () =>
    print('Session accepted. Type "help" for commands; "end" ends the session at any time.'),
  );
  session.on('chat', ({ from, text }) => {
    if (from === 'engineer') print(`[engineer] ${text}`);
  });
  session.on('interrupted', ({ reason }) =>
    print(`Connection interrupted (${reason}); waiting for it to come back...`),
  );
  session.on('resumed', () => print('Connection restored; the session continues.'));

  const ended = new Promise<SessionEnd>((resolve) => session.once('ended', resolve));
  const lines = createInterface({ input: options.input, terminal: false });
  lines.on('line', (line) => {
    void handleLine(line.trim()).catch((error: unknown) =>
      print(`Error: ${isAssentError(error) ? error.message : String(error)}`),
    );
  });

  async function handleLine(line: string): Promise<void> {
    if (!line) return;
    const [command = '', ...rest] = line.split(/\s+/);
    const argument = line.slice(command.length).trim();
    switch (command) {
      case 'help':
        HELP.forEach((l) => print(l));
        return;
      case 'accept':
        await session.accept(process.env.USER ?? 'approver');
        return;
      case 'refuse':
        await session.refuse(argument || undefined);
        return;
      case 'chat':
        session.chat(argument);
        return;
      case 'status':
        print(
          `State: ${session.state}${session.request ? `, engineer ${session.request.engineer.name}` : ''}`,
        );
        return;
      case 'end':
        await session.endSession();
        return;
      case 'terminals':
      case 'close-terminal': {
        const services = activeServices;
        if (!services) {
          print('No terminals: the session has to be accepted first.');
          return;
        }
        if (command === 'terminals') {
          const list = services.terminals.list();
          if (list.length === 0) print('No terminals are open.');
          for (const t of list) print(`${t.terminalId}  ${t.mode}  in ${t.cwd}`);
          return;
        }
        await services.terminals.close(rest[0] ?? '');
        return;
      }
      case 'pending':
      case 'grants':
      case 'revoke':
      case 'allow':
      case 'allow-session':
      case 'deny': {
        if (!consent) {
          print('No actions yet: the session has to be accepted first.');
          return;
        }
        if (command === 'pending') consent.listPending().forEach((l) => print(l));
        else if (command === 'grants') consent.listGrants().forEach((l) => print(l));
        else if (command === 'revoke') consent.revoke(rest[0] ?? '');
        else {
          const parsed = parseDecisionCommand(command, rest);
          consent.decide(parsed.index, parsed.decision);
        }
        return;
      }
      default:
        print(`Unknown command "${command}". Type "help".`);
    }
  }

  try {
    await session.start();
  } catch (error) {
    print(`Could not start the session: ${isAssentError(error) ? error.message : String(error)}`);
  }
  const end = await ended;
  lines.close();
  print(`Session ended (${end.code}): ${end.message}`);
  return end;
}

/** The session request as the approver reads it. */
export function requestLines(request: SessionRequest): string[] {
  const lines = [
    '',
    '=== SESSION REQUEST ===',
    `Engineer:    ${request.engineer.name} <${request.engineer.email}>`,
    `Vendor:      ${request.engineer.vendor} (credential verified against the pinned vendor key)`,
    `Engineer key fingerprint: ${request.engineer.fingerprint}`,
    `Compare this code with the engineer by phone: ${request.sas}`,
  ];
  if (request.ticket) lines.push(`Your ticket: ${request.ticket}`);
  if (request.description) lines.push(`Your description: ${request.description}`);
  if (request.since) lines.push(`Since: ${request.since}`);
  if (request.tried) lines.push(`Already tried: ${request.tried}`);
  if (request.engineerTicket) lines.push(`Engineer's ticket: ${request.engineerTicket}`);
  if (request.reason) lines.push(`Engineer's reason: ${request.reason}`);
  if (request.rules) {
    lines.push(`Ground rules in force (fingerprint ${request.rules.fingerprint}):`);
    for (const line of request.rules.summary) lines.push(`  - ${line}`);
  }
  const seconds = Math.max(0, Math.round((request.decideBy - Date.now()) / 1000));
  lines.push(
    `Type "accept" to let this engineer in, or "refuse [reason]". No answer within ${seconds} s means refuse.`,
  );
  return lines;
}
