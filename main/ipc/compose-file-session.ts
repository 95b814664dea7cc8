// Builds what serves an accepted session for the desktop: the consent engine
// under the effective ground rules, the action router and the file handlers.
// main/session-services.ts is the agent-wide composer; this one also hands
// the consent engine to the desktop core, which the window needs for its
// prompts and grants.
import { ActionRouter } from '../actions/action-router';
import type { AuditLog } from '../audit/audit-log';
import { ConsentEngine } from '../consent/consent-engine';
import { registerFileActions } from '../files/file-actions';
import type { EffectiveRules } from '../rules/effective-rules';
import type { PeerLink } from '../session/peer-link';
import type { ComposedSession } from './agent-desktop-core';

export interface FileSessionOptions {
  readonly dataDir: string;
  readonly audit: AuditLog;
  readonly rules: EffectiveRules;
  /** Consent prompt timeout; default from the rules. */
  readonly consentTimeoutMs?: number;
}

/** Consent engine, router and file handlers for one accepted session on `link`. */
export function composeFileSession(options: FileSessionOptions, link: PeerLink): ComposedSession {
  const { audit, rules } = options;
  const consent = new ConsentEngine({
    sessionId: link.sessionId,
    rules,
    audit,
    ...(options.consentTimeoutMs === undefined ? {} : { timeoutMs: options.consentTimeoutMs }),
  });
  const router = new ActionRouter({ engine: consent, link, audit });
  const files = registerFileActions(router, { dataDir: options.dataDir, rules, audit, link });
  return {
    consent,
    services: {
      handle(message) {
        if (router.routes(message)) void router.handle(message);
        else files.handleMessage(message);
      },
      close(reason) {
        consent.close(reason);
        void files.close();
      },
    },
  };
}
