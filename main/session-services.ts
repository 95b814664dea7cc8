// What serves an accepted session: the consent engine and the action router
// with every domain's handlers (files, terminals, fixes), built once per
// session from the rules the session was started under.
import type { ChannelMessage } from '../protocol/wire/messages';
import type { Agent } from './agent';
import type { PeerLink } from './session/peer-link';
import type { SessionServices } from './session/agent-session';
import type { ConsentConsole } from './headless/consent-commands';

/** Session services plus what the agent UIs use. */
export interface AgentSessionServices extends SessionServices {
  readonly consent?: ConsentConsole;
}

/** Builds the services of an accepted session. */
export function createSessionServices(agent: Agent, link: PeerLink): AgentSessionServices {
  return {
    handle(message: ChannelMessage) {
      link.send({
        type: 'error',
        code: 'SESSION_NOT_ACTIVE',
        message: `This agent does not serve ${message.type} yet.`,
        ...('requestId' in message && typeof message.requestId === 'string'
          ? { requestId: message.requestId }
          : {}),
      });
    },
    close() {
      void agent;
    },
  };
}
