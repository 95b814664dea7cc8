// The DesktopCore over the real agent: Agent and AgentSession for the
// session, the session's ConsentEngine for prompts and grants, the AuditLog
// files for history, verification and the monthly CSV. Keeps the small
// amount of view state the window needs (code, timeline, chat) and emits
// every change as an event.
import { randomBytes } from 'node:crypto';
import { AssentError } from '../../protocol/errors/index';
import type { ActivityEntry, ChatEntry, RulesView, SessionView } from '../../protocol/ipc';
import type { Agent } from '../agent';
import { auditLogPath } from '../audit/audit-log';
import { listSessions, monthlyReport } from '../audit/audit-history';
import { verifyAuditLog } from '../audit/audit-verify';
import { readSummaryFiles, summaryAnchors } from '../audit/summary-files';
import { toCsv } from '../audit/usage-csv';
import type { AgentSessionServices } from '../session-services';
import type { AgentSession, AgentSessionState } from '../session/agent-session';
import type { CoreEvent, DesktopCore } from './desktop-core';
import { pendingFromPrompt, SessionObserver } from './session-observer';
import { mirrorTerminals } from './terminal-mirror';

export interface AgentDesktopCoreOptions {
  readonly agent: Agent;
  /** The ground rules in force (null when none are countersigned). */
  readonly rulesInForce?: () => Promise<RulesView>;
  /** The OS locale, e.g. Electron's `app.getLocale()`. */
  readonly osLocale: string;
  readonly now?: () => number;
}

/** Timeline and chat entries kept for a window that opens late. */
export const MAX_KEPT_ENTRIES = 2000;

const PHASES: Record<AgentSessionState, SessionView['phase']> = {
  connecting: 'connecting',
  'waiting-for-engineer': 'waiting-for-engineer',
  handshake: 'waiting-for-engineer',
  'awaiting-approval': 'awaiting-approval',
  active: 'active',
  interrupted: 'connecting',
  ended: 'ended',
};

const id = () => randomBytes(8).toString('hex');
const keep = <T>(list: T[], item: T) => {
  list.push(item);
  if (list.length > MAX_KEPT_ENTRIES) list.splice(0, list.length - MAX_KEPT_ENTRIES);
};
const pick = (locale: string) => {
  const base = locale.toLowerCase().split(/[-_]/)[0] ?? '';
  if (base === 'nb' || base === 'no' || base === 'nn') return 'nb' as const;
  return base === 'fr' || base === 'de' ? base : ('en' as const);
};

/** Creates the desktop core over `options.agent`. */
export function createAgentDesktopCore(options: AgentDesktopCoreOptions): DesktopCore {
  const { agent } = options;
  const now = options.now ?? Date.now;
  const listeners = new Set<(event: CoreEvent) => void>();
  const activity: ActivityEntry[] = [];
  const chat: ChatEntry[] = [];
  let view: SessionView = { phase: 'idle' };
  let session: AgentSession | undefined;
  let observer: SessionObserver | undefined;

  const emit = (event: CoreEvent) => {
    for (const listener of listeners) listener(event);
  };
  const addActivity = (entry: Omit<ActivityEntry, 'id'>) => {
    const full = { id: id(), ...entry };
    keep(activity, full);
    emit({ event: 'activityAppended', payload: full });
  };
  const setView = (next: SessionView) => {
    view = next;
    emit({ event: 'sessionChanged', payload: view });
  };
  const sink = { emit, activity: addActivity, now };

  const watch = (s: AgentSession) => {
    s.on('state', (state) => setView({ ...view, phase: PHASES[state] }));
    s.on('code', ({ code, expiresAt }) => setView({ ...view, code, codeExpiresAt: expiresAt }));
    s.on('request', (request) => {
      const { engineer } = request;
      setView({
        ...view,
        sessionId: request.sessionId,
        engineer: {
          name: engineer.name,
          email: engineer.email,
          vendor: engineer.vendor,
          fingerprint: engineer.fingerprint,
        },
        sas: request.sas,
        ...((request.engineerTicket ?? request.ticket)
          ? { ticket: (request.engineerTicket ?? request.ticket)! }
          : {}),
        ...(request.reason === undefined ? {} : { reason: request.reason }),
        ...(request.rules === undefined ? {} : { rules: request.rules }),
        decideBy: request.decideBy,
      });
      addActivity({ at: now(), event: 'session.requested', actor: 'engineer' });
    });
    s.on('accepted', () => {
      setView({ ...view, startedAt: now() });
      addActivity({ at: now(), event: 'session.accepted', actor: 'approver' });
    });
    s.on('chat', ({ from, text, at }) => {
      const entry: ChatEntry = {
        id: id(),
        from: from === 'engineer' ? 'engineer' : 'approver',
        text,
        sentAt: at,
      };
      keep(chat, entry);
      if (entry.from === 'engineer') emit({ event: 'chatReceived', payload: entry });
    });
    s.on('ended', (end) => {
      const refused = end.code === 'SESSION_REFUSED' || end.code === 'SESSION_APPROVAL_TIMEOUT';
      addActivity({
        at: now(),
        event: refused ? 'session.refused' : 'session.ended',
        actor: end.by === 'engineer' ? 'engineer' : end.by === 'system' ? 'agent' : 'approver',
        detail: end.code,
      });
      setView({
        ...view,
        phase: 'ended',
        endedAt: now(),
        endCode: end.code,
        endMessage: end.message,
      });
      observer = undefined;
    });
  };

  /** Watches what serves the accepted session: consent prompts and grants, terminal output. */
  const onServices = (services: AgentSessionServices) => {
    const watcher = observer ?? new SessionObserver(sink);
    watcher.attach(services.engine);
    observer = watcher;
    mirrorTerminals(services.terminals, emit);
  };

  const consent = () => observer?.consent;

  return {
    async sessionStart(request) {
      const s = await agent.createSession(
        {
          ...(request.ticket === undefined ? {} : { ticket: request.ticket }),
          ...(request.description === undefined ? {} : { description: request.description }),
          ...(request.since === undefined ? {} : { since: request.since }),
          ...(request.tried === undefined ? {} : { tried: request.tried }),
        },
        {
          onServices,
          // Transfer and fix progress, results and failures reach the timeline.
          observeLink: (link) => {
            const watcher = new SessionObserver(sink);
            observer = watcher;
            return watcher.tapLink(link);
          },
        },
      );
      session = s;
      activity.length = 0;
      chat.length = 0;
      view = { phase: 'connecting', sessionId: s.sessionId };
      watch(s);
      setView(view);
      await s.start();
      return view;
    },
    async sessionAccept() {
      await requireSession().accept();
      return view;
    },
    async sessionRefuse() {
      await requireSession().refuse();
      return view;
    },
    async sessionEnd() {
      await session?.endSession();
      return view;
    },
    async sessionState() {
      return view;
    },
    async consentPending() {
      return (consent()?.pending() ?? []).map(pendingFromPrompt);
    },
    async consentDecide({ requestId, decision }) {
      const engine = consent();
      if (engine === undefined) throw notActive();
      engine.decide(requestId, decision, { approver: 'approver' });
      return { ok: true };
    },
    async grantsList() {
      return consent()?.grants() ?? [];
    },
    async grantRevoke({ grantId }) {
      const engine = consent();
      if (engine === undefined) throw notActive();
      engine.revoke(grantId);
      return { ok: true };
    },
    async chatSend({ text }) {
      requireSession().chat(text);
      return chat.at(-1)!;
    },
    async chatHistory() {
      return [...chat];
    },
    async activityList() {
      return [...activity];
    },
    async auditSessions() {
      const entries = await listSessions(
        auditLogPath(agent.options.dataDir),
        agent.deviceKey.publicKey,
      );
      return entries.map(({ sessionId, summary, signature }) => ({
        sessionId,
        startedAt: Date.parse(summary.start),
        ...(summary.ended ? { endedAt: Date.parse(summary.end) } : {}),
        ...(summary.engineer ? { engineer: summary.engineer.name } : {}),
        ...(summary.engineer?.vendor ? { vendor: summary.engineer.vendor } : {}),
        ...(summary.ticket ? { ticket: summary.ticket } : {}),
        actions: summary.counts.requested,
        summarySigned: signature === 'valid',
      }));
    },
    async auditVerify() {
      const files = await readSummaryFiles(agent.options.dataDir);
      const result = await verifyAuditLog(auditLogPath(agent.options.dataDir), {
        anchors: summaryAnchors(files),
      });
      return result.ok
        ? { ok: true, records: result.count }
        : { ok: false, records: result.count, firstBroken: result.brokenAt, code: result.code };
    },
    async auditExportMonth({ month }) {
      const [year, m] = month.split('-').map(Number) as [number, number];
      const rows = await monthlyReport(auditLogPath(agent.options.dataDir), {
        year,
        month: m,
        devicePublicKey: agent.deviceKey.publicKey,
      });
      return { fileName: `assent-usage-${month}.csv`, csv: toCsv(rows) };
    },
    async rulesCurrent() {
      return options.rulesInForce === undefined ? null : options.rulesInForce();
    },
    async localeGet() {
      return { locale: pick(options.osLocale), osLocale: options.osLocale };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  function requireSession(): AgentSession {
    if (session === undefined) throw notActive();
    return session;
  }
}

function notActive(): AssentError {
  return new AssentError('SESSION_NOT_ACTIVE');
}
