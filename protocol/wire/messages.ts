// The union of every JSON message inside the end-to-end channel. Each domain
// declares its own messages in its own file and adds them here.
import { z } from 'zod';
import { ACTION_MESSAGES } from './actions';
import { FILE_MESSAGES } from '../files';
import { FIX_MESSAGES } from '../fixes';
import { SESSION_MESSAGES } from './session';
import { TERMINAL_MESSAGES } from '../terminal';

export const ChannelMessage = z.discriminatedUnion('type', [
  ...SESSION_MESSAGES,
  ...ACTION_MESSAGES,
  ...FILE_MESSAGES,
  ...FIX_MESSAGES,
  ...TERMINAL_MESSAGES,
]);
export type ChannelMessage = z.infer<typeof ChannelMessage>;
export type ChannelMessageType = ChannelMessage['type'];
/** The message of one `type`. */
export type MessageOf<T extends ChannelMessageType> = Extract<ChannelMessage, { type: T }>;
