// The prompt's built-in commands (chat, whoami, end) plus every domain's.
import { AssentError } from '../../protocol/errors';
import type { EngineerSession } from '../engineer-session';
import type { ConsoleCommand } from './console-command';

/** Commands available in every session. */
export function sessionCommands(session: EngineerSession): ConsoleCommand[] {
  return [
    {
      name: 'chat',
      usage: 'chat <text>',
      summary: 'send a message to the customer',
      async run(args) {
        const text = args.join(' ').trim();
        if (!text) throw new AssentError('USAGE', 'usage: chat <text>');
        session.chat(text);
      },
    },
    {
      name: 'whoami',
      usage: 'whoami',
      summary: 'who you are in this session',
      async run(_args, context) {
        context.print(
          `Session ${session.sessionId || '(not yet accepted)'}; state ${session.state}; SAS ${session.sas ?? '-'}; agent key ${session.agentFingerprint ?? '-'}`,
        );
      },
    },
    {
      name: 'end',
      usage: 'end',
      summary: 'end the session',
      async run() {
        await session.endSession();
      },
    },
  ];
}
