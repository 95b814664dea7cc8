// What serves an accepted session: the consent engine and the action router
// with every domain's handlers (files, terminals, fixes), built once per
// session from the rules the session was started under.
import type { ChannelMessage } from '../protocol/wire/messages';
import { ActionRouter } from './actions/action-router';
import { ConsentEngine } from './consent/consent-engine';
import { promptLines } from './consent/prompt-text';
import { registerFileActions } from './files/file-actions';
import { registerFixActions } from './fixes/fix-actions';
import { consentConsole, type ConsentConsole } from './headless/consent-commands';
import type { EffectiveRules } from './rules/effective-rules';
import type { AuditLog } from './audit/audit-log';
import type { SessionServices } from './session/agent-session';
import type { PeerLink } from './session/peer-link';
import { registerTerminalActions } from './terminal/terminal-actions';
import type { SessionTerminals } from './terminal/session-terminals';

/** The agent's version, compared with a fix's minimum agent version. */
export const AGENT_VERSION = '0.1.0';

/** What the services need from the agent. */
export interface ServiceDeps {
  readonly dataDir: string;
  readonly audit: AuditLog;
  readonly rules: EffectiveRules;
  /** This agent's device public key (raw, base64url). */
  readonly devicePublicKey: string;
}

/** Session services plus what the agent UIs show (consent prompts, grants, terminal mirror). */
export interface AgentSessionServices extends SessionServices {
  readonly engine: ConsentEngine;
  readonly terminals: SessionTerminals;
  /** The headless UI's view of the consent engine. */
  readonly consent: ConsentConsole;
}

/** Builds the services of an accepted session. */
export function createSessionServices(deps: ServiceDeps, link: PeerLink): AgentSessionServices {
  const engine = new ConsentEngine({
    sessionId: link.sessionId,
    rules: deps.rules,
    audit: deps.audit,
  });
  const router = new ActionRouter({ engine, link, audit: deps.audit });
  const files = registerFileActions(router, {
    dataDir: deps.dataDir,
    rules: deps.rules,
    audit: deps.audit,
    link,
  });
  const terminals = registerTerminalActions(router, {
    dataDir: deps.dataDir,
    rules: deps.rules,
    audit: deps.audit,
    link,
  });
  const fixes = registerFixActions(router, {
    dataDir: deps.dataDir,
    link,
    rules: deps.rules,
    audit: deps.audit,
    deviceKey: deps.devicePublicKey,
    agentVersion: AGENT_VERSION,
  });
  return {
    engine,
    terminals,
    consent: consentConsole(engine, (prompt) => promptLines(prompt, { keys: false })),
    handle(message: ChannelMessage) {
      if (router.routes(message)) {
        void router.handle(message);
        return;
      }
      if (
        files.handleMessage(message) ||
        terminals.handleMessage(message) ||
        fixes.handleMessage(message)
      )
        return;
      link.send({
        type: 'error',
        code: 'SESSION_BAD_STATE',
        message: `The agent does not take ${message.type} messages.`,
        ...('requestId' in message && typeof message.requestId === 'string'
          ? { requestId: message.requestId }
          : {}),
      });
    },
    close(reason: string) {
      engine.close(reason);
      void files.close();
      void fixes.close();
    },
  };
}
