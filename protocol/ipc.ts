// The IPC contract between the agent's main process and its renderer, declared
// once (HOUSE-STYLE habit 2). Invoke channels take one request and return a
// promise of one response; events flow from main to the renderer. The preload
// exposes one function per entry, the main process validates every request
// against these schemas after checking the sender, and the renderer's types
// are inferred from here. Everything the renderer sends is untrusted.
import { z } from 'zod';
import { ActionPreview, ConsentDecision, GrantInfo } from './consent';
import { GroundRules } from './ground-rules';
import { MAX_CHAT_CHARS, MAX_REASON_CHARS, MAX_TICKET_CHARS } from './limits';

const Text = (max: number) => z.string().max(max);
const Id = z.string().min(1).max(128);
const Millis = z.number().int().nonnegative();
const NoArgs = z.object({}).strict();
const Done = z.object({ ok: z.literal(true) });

/** Session states as the approver sees them (also drives the tray icon). */
export const SESSION_PHASES = [
  'idle',
  'connecting',
  'waiting-for-engineer',
  'awaiting-approval',
  'active',
  'ended',
] as const;
export const SessionPhase = z.enum(SESSION_PHASES);
export type SessionPhase = z.infer<typeof SessionPhase>;

/** What the approver fills in on "Get help". */
export const SessionStartRequest = z
  .object({
    ticket: Text(MAX_TICKET_CHARS).optional(),
    description: Text(MAX_REASON_CHARS).optional(),
    since: Text(200).optional(),
    tried: Text(MAX_REASON_CHARS).optional(),
  })
  .strict();
export type SessionStartRequest = z.infer<typeof SessionStartRequest>;

/** The engineer as verified in the handshake. */
export const EngineerView = z.object({
  name: Text(200),
  email: Text(320),
  vendor: Text(200),
  fingerprint: Text(128),
});
export type EngineerView = z.infer<typeof EngineerView>;

/** Fingerprint and readable summary of the ground rules in force. */
export const RulesDigestView = z.object({
  fingerprint: Text(128),
  summary: z.array(Text(500)).max(100),
});

/** The whole session state; sent in full on every change (small, and never stale). */
export const SessionView = z.object({
  phase: SessionPhase,
  /** One-time code to read to the engineer, while waiting for them. */
  code: Text(32).optional(),
  codeExpiresAt: Millis.optional(),
  sessionId: Text(64).optional(),
  engineer: EngineerView.optional(),
  /** Short authentication string both people compare. */
  sas: Text(64).optional(),
  ticket: Text(MAX_TICKET_CHARS).optional(),
  reason: Text(MAX_REASON_CHARS).optional(),
  rules: RulesDigestView.optional(),
  /** The approver must answer the session request before this time. */
  decideBy: Millis.optional(),
  startedAt: Millis.optional(),
  endsBy: Millis.optional(),
  endedAt: Millis.optional(),
  /** Stable error code of why the session ended or failed, if not a normal end. */
  endCode: Text(64).optional(),
  endMessage: Text(2000).optional(),
});
export type SessionView = z.infer<typeof SessionView>;

/** One pending action waiting for the approver; `preview` is the consent engine's own data. */
export const ConsentRequestView = z.object({
  requestId: Id,
  /** Single-use approval nonce bound to `preview.digest`; must come back with the decision. */
  nonce: Text(128),
  preview: ActionPreview,
  requestedAt: Millis,
  /** No answer by this time means deny. */
  expiresAt: Millis,
});
export type ConsentRequestView = z.infer<typeof ConsentRequestView>;

/** The approver's answer, with the nonce the main process issued for that prompt. */
export const ConsentDecideRequest = z
  .object({ requestId: Id, nonce: Text(128), decision: ConsentDecision })
  .strict();
export type ConsentDecideRequest = z.infer<typeof ConsentDecideRequest>;

/** How a pending request ended. */
export const ConsentOutcome = z.object({
  requestId: Id,
  outcome: z.enum(['allowed', 'denied', 'timed-out', 'cancelled']),
});

/** Timeline entry events; each maps to one translated sentence in the renderer. */
export const ACTIVITY_EVENTS = [
  'session.requested',
  'session.accepted',
  'session.refused',
  'session.ended',
  'action.requested',
  'action.allowed',
  'action.allowed-by-rule',
  'action.denied',
  'action.timed-out',
  'action.completed',
  'action.failed',
  'grant.revoked',
  'chat',
] as const;
export const ActivityEntry = z.object({
  id: Id,
  at: Millis,
  event: z.enum(ACTIVITY_EVENTS),
  actor: z.enum(['engineer', 'approver', 'agent', 'rules']),
  /** The action kind, if any. */
  kind: Text(64).optional(),
  /** What it was about: a canonical path, a command line, a fix name. */
  subject: Text(8192).optional(),
  /** Error code or rule name, if any. */
  detail: Text(2000).optional(),
});
export type ActivityEntry = z.infer<typeof ActivityEntry>;

export const ChatEntry = z.object({
  id: Id,
  from: z.enum(['engineer', 'approver']),
  text: z.string().min(1).max(MAX_CHAT_CHARS),
  sentAt: Millis,
});
export type ChatEntry = z.infer<typeof ChatEntry>;

/** Progress of a transfer or a fix. */
export const ProgressView = z.object({
  id: Id,
  kind: z.enum(['transfer', 'fix']),
  label: Text(8192),
  done: Millis,
  total: Millis.optional(),
  state: z.enum(['running', 'done', 'failed', 'stopped']),
});
export type ProgressView = z.infer<typeof ProgressView>;

export const TerminalOutput = z.object({
  terminalId: Id,
  mode: z.enum(['supervised', 'interactive']),
  data: z.string().max(1024 * 1024),
});

export const AuditSessionView = z.object({
  sessionId: Text(64),
  startedAt: Millis,
  endedAt: Millis.optional(),
  engineer: Text(200).optional(),
  vendor: Text(200).optional(),
  ticket: Text(MAX_TICKET_CHARS).optional(),
  actions: z.number().int().nonnegative(),
  /** Signed session summary present and its signature valid. */
  summarySigned: z.boolean(),
});
export type AuditSessionView = z.infer<typeof AuditSessionView>;

export const AuditVerifyView = z.object({
  ok: z.boolean(),
  records: z.number().int().nonnegative(),
  /** 1-based line number of the first broken record. */
  firstBroken: z.number().int().positive().optional(),
  code: Text(64).optional(),
});
export type AuditVerifyView = z.infer<typeof AuditVerifyView>;

export const MonthExportRequest = z
  .object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'YYYY-MM') })
  .strict();
export const MonthExportView = z.object({ fileName: Text(200), csv: z.string() });

/** The ground rules in force with who signed them; null when none are countersigned. */
export const RulesView = z
  .object({
    fingerprint: Text(128),
    rules: GroundRules,
    vendorSigner: Text(200),
    vendorSignedAt: Text(64),
    admin: Text(200),
    countersignedAt: Text(64),
  })
  .nullable();
export type RulesView = z.infer<typeof RulesView>;

export const LOCALES = ['en', 'fr', 'de', 'nb'] as const;
export const LocaleView = z.object({ locale: z.enum(LOCALES), osLocale: Text(64) });

/** Invoke channels: name -> request and response schema. */
export const IPC_INVOKE = {
  sessionStart: { request: SessionStartRequest, response: SessionView },
  sessionAccept: { request: NoArgs, response: SessionView },
  sessionRefuse: { request: NoArgs, response: SessionView },
  sessionEnd: { request: NoArgs, response: SessionView },
  sessionState: { request: NoArgs, response: SessionView },
  consentPending: { request: NoArgs, response: z.array(ConsentRequestView) },
  consentDecide: { request: ConsentDecideRequest, response: Done },
  grantsList: { request: NoArgs, response: z.array(GrantInfo) },
  grantRevoke: { request: z.object({ grantId: Id }).strict(), response: Done },
  chatSend: {
    request: z.object({ text: z.string().min(1).max(MAX_CHAT_CHARS) }).strict(),
    response: ChatEntry,
  },
  chatHistory: { request: NoArgs, response: z.array(ChatEntry) },
  activityList: { request: NoArgs, response: z.array(ActivityEntry) },
  auditSessions: { request: NoArgs, response: z.array(AuditSessionView) },
  auditVerify: { request: NoArgs, response: AuditVerifyView },
  auditExportMonth: { request: MonthExportRequest, response: MonthExportView },
  rulesCurrent: { request: NoArgs, response: RulesView },
  localeGet: { request: NoArgs, response: LocaleView },
} as const;

/** Events from main: name -> payload schema. */
export const IPC_EVENTS = {
  sessionChanged: SessionView,
  consentRequested: ConsentRequestView,
  consentResolved: ConsentOutcome,
  grantsChanged: z.array(GrantInfo),
  activityAppended: ActivityEntry,
  chatReceived: ChatEntry,
  progressChanged: ProgressView,
  terminalOutput: TerminalOutput,
} as const;

export type InvokeChannel = keyof typeof IPC_INVOKE;
export type EventChannel = keyof typeof IPC_EVENTS;
export type InvokeRequest<C extends InvokeChannel> = z.input<(typeof IPC_INVOKE)[C]['request']>;
export type InvokeResponse<C extends InvokeChannel> = z.output<(typeof IPC_INVOKE)[C]['response']>;
export type EventPayload<E extends EventChannel> = z.output<(typeof IPC_EVENTS)[E]>;

export const INVOKE_CHANNELS = Object.keys(IPC_INVOKE) as InvokeChannel[];
export const EVENT_CHANNELS = Object.keys(IPC_EVENTS) as EventChannel[];

/** The Electron channel string for an invoke name (namespaced so nothing else collides). */
export function invokeChannelName(channel: InvokeChannel): string {
  return `assent:invoke:${channel}`;
}
/** The Electron channel string for an event name. */
export function eventChannelName(event: EventChannel): string {
  return `assent:event:${event}`;
}
/** The preload function that subscribes to an event: `sessionChanged` -> `onSessionChanged`. */
export function eventListenerName<E extends EventChannel>(event: E): `on${Capitalize<E>}` {
  return `on${event[0]!.toUpperCase()}${event.slice(1)}` as `on${Capitalize<E>}`;
}

/** The API the preload exposes as `window.assent`: one function per channel. */
export type AssentApi = {
  readonly [C in InvokeChannel]: (request: InvokeRequest<C>) => Promise<InvokeResponse<C>>;
} & {
  readonly [E in EventChannel as `on${Capitalize<E>}`]: (
    listener: (payload: EventPayload<E>) => void,
  ) => () => void;
};

/** The reply of every invoke on the wire: a value, or an error with a stable code and a readable message. */
export type IpcReply =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** The stable code and text of an error from an API call (see preload/api.ts), or null. */
export function ipcErrorParts(err: unknown): { code: string; text: string } | null {
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : '';
  const match = /^([A-Z][A-Z0-9_]+): ([\s\S]*)$/.exec(message.replace(/^Error: /, ''));
  return match === null ? null : { code: match[1]!, text: match[2]! };
}

/** Name of the global the preload exposes. */
export const API_GLOBAL = 'assent';
