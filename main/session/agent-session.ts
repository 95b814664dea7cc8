// The agent's side of one support session (issue 2, DESIGN "The session"):
// connect to the relay, show the code, run the handshake as responder,
// present the request to the approver, serve the approved session, resume
// after a network drop (same engineer key only), and end it for good.
//
// UI-agnostic: everything the approver must see is emitted as data; the
// headless terminal UI and the desktop app subscribe to the same events.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { AssentError, ERROR_CODES, isAssentError, type ErrorCode } from '../../protocol/errors';
import type { RevocationList, VendorPublicKey } from '../../protocol/identity';
import {
  HANDSHAKE_TIMEOUT_MS,
  RESUME_GRACE_MS,
  SESSION_APPROVAL_TIMEOUT_MS,
} from '../../protocol/limits';
import { FRAME_TYPES } from '../../protocol/wire/handshake';
import type { ChannelMessage, MessageOf } from '../../protocol/wire/messages';
import type { RelayToPeer } from '../../protocol/wire/relay';
import type { RulesDigest } from '../../protocol/wire/session';
import { sha256Hex } from '../audit/audit-record';
import { EncryptedLink, type LinkEnd } from '../../platform/encrypted-link';
import { RelayConnection } from '../../platform/relay-connection';
import type { SigningKeyPair } from '../../platform/signing';
import type { PeerLink, VerifiedEngineer } from './peer-link';
import { reconnectWithBackoff } from '../../platform/reconnect';
import { SessionPeerLink } from './session-peer-link';
import type { AuditSink } from '../audit/audit-sink';
import type { AuditActor, AuditEvent } from '../../protocol/audit';
import { AgentHandshake } from './agent-handshake';
import { SessionTimers } from './session-timers';

/** The agent session's states, in the order they normally happen. */
export type AgentSessionState =
  | 'connecting'
  | 'waiting-for-engineer'
  | 'handshake'
  | 'awaiting-approval'
  | 'active'
  | 'interrupted'
  | 'ended';

/** The parts that serve an approved session (consent engine + action router), built by the composer. */
export interface SessionServices {
  /** A message from the engineer that is not session control or chat. */
  handle(message: ChannelMessage): void;
  /** The session ended: stop everything in flight. */
  close(reason: string): void;
}

/** What the approver is asked to decide. */
export interface SessionRequest {
  readonly sessionId: string;
  readonly engineer: VerifiedEngineer;
  /** The short authentication string to compare with the engineer, e.g. `123 456`. */
  readonly sas: string;
  readonly reason?: string;
  readonly engineerTicket?: string;
  readonly ticket?: string;
  readonly description?: string;
  readonly since?: string;
  readonly tried?: string;
  readonly rules?: RulesDigest;
  readonly decideBy: number;
}

/** How a session ended. */
export interface SessionEnd {
  readonly by: 'agent' | 'engineer' | 'system';
  readonly code: ErrorCode;
  readonly message: string;
  readonly accepted: boolean;
}

export interface AgentSessionOptions {
  relayUrl: string;
  /** Extra CA (PEM) for a relay with a private certificate. */
  ca?: string | Buffer;
  deviceKey: SigningKeyPair;
  vendor: VendorPublicKey;
  revocations?: RevocationList;
  /** Called with a revocation list the relay offered; returns the list in force (verified, persisted). */
  onRevocations?: (candidate: unknown) => RevocationList | undefined;
  audit: AuditSink;
  ticket?: string;
  description?: string;
  since?: string;
  tried?: string;
  rules?: RulesDigest;
  approvalTimeoutMs?: number;
  resumeGraceMs?: number;
  handshakeTimeoutMs?: number;
  /** The session ends by itself after this long (ground rules' session max duration). */
  sessionMaxMs?: number;
  /** Builds the services of an approved session. */
  onActive?: (link: PeerLink) => SessionServices | undefined;
  now?: () => number;
}

type Events = {
  state: [state: AgentSessionState];
  code: [code: { code: string; expiresAt: number }];
  request: [request: SessionRequest];
  accepted: [request: SessionRequest];
  chat: [chat: { from: 'agent' | 'engineer'; text: string; at: number }];
  interrupted: [info: { reason: string; graceMs: number }];
  resumed: [];
  notice: [notice: { code: string; message: string }];
  ended: [end: SessionEnd];
};

/** One support session on the agent. Create, listen, then `start()`. */
export class AgentSession extends EventEmitter<Events> {
  readonly sessionId = randomBytes(8).toString('hex');
  private stateValue: AgentSessionState = 'connecting';
  private readonly options: Required<
    Pick<AgentSessionOptions, 'approvalTimeoutMs' | 'resumeGraceMs' | 'handshakeTimeoutMs'>
  > &
    AgentSessionOptions;
  private readonly now: () => number;
  private revocations: RevocationList | undefined;
  private connection: RelayConnection | undefined;
  private resumeToken: string | undefined;
  private handshake: AgentHandshake | undefined;
  private handshakeSas: string | undefined;
  private link: EncryptedLink | undefined;
  private engineer: VerifiedEngineer | undefined;
  private requestValue: SessionRequest | undefined;
  private accepted = false;
  private startedAt: number | undefined;
  private readonly peerLink: SessionPeerLink;
  private services: SessionServices | undefined;
  private readonly timers = new SessionTimers<'handshake' | 'approval' | 'max'>();
  private readonly abort = new AbortController();
  private endValue: SessionEnd | undefined;

  constructor(options: AgentSessionOptions) {
    super();
    this.options = {
      approvalTimeoutMs: SESSION_APPROVAL_TIMEOUT_MS,
      resumeGraceMs: RESUME_GRACE_MS,
      handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
      ...options,
    };
    this.now = options.now ?? Date.now;
    this.revocations = options.revocations;
    this.peerLink = new SessionPeerLink(this.sessionId, this.abort.signal);
  }

  get state(): AgentSessionState {
    return this.stateValue;
  }

  /** The pending or accepted request (engineer, SAS, ticket, reason). */
  get request(): SessionRequest | undefined {
    return this.requestValue;
  }

  /** How the session ended, once it has. */
  get end(): SessionEnd | undefined {
    return this.endValue;
  }

  /** Aborted when the session ends. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Connects to the relay and asks for a session code. Rejects when the relay cannot be reached. */
  async start(): Promise<void> {
    if (this.stateValue !== 'connecting' || this.connection)
      throw new AssentError('SESSION_BAD_STATE');
    await this.audit('session.started', {
      ticket: this.options.ticket ?? null,
      relay: this.options.relayUrl,
    });
    try {
      this.attach(await this.open(''));
    } catch (error) {
      await this.finish({
        by: 'system',
        code: isAssentError(error) ? error.code : 'RELAY_UNREACHABLE',
        message: (error as Error).message,
      });
      throw error;
    }
  }

  /** The approver accepts the pending request. */
  async accept(approver = 'approver'): Promise<void> {
    const request = this.requestValue;
    if (this.stateValue !== 'awaiting-approval' || !request || !this.link) {
      throw new AssentError(
        'SESSION_BAD_STATE',
        'There is no session request waiting for a decision.',
      );
    }
    this.timers.clear('approval');
    this.accepted = true;
    await this.audit(
      'session.accepted',
      { approver, engineer: request.engineer.fingerprint, sas: request.sas },
      'approver',
    );
    this.startedAt = this.now();
    const endsBy = this.options.sessionMaxMs
      ? this.startedAt + this.options.sessionMaxMs
      : undefined;
    if (this.options.sessionMaxMs) {
      this.timers.set(
        'max',
        this.options.sessionMaxMs,
        () =>
          void this.endSession(
            'SESSION_DURATION_EXCEEDED',
            'The session reached its maximum duration.',
            'system',
          ),
      );
    }
    this.setState('active');
    this.link.send({
      type: 'session.accepted',
      sessionId: this.sessionId,
      resumed: false,
      ...(this.options.rules ? { rules: this.options.rules } : {}),
      ...(endsBy ? { endsBy } : {}),
    });
    this.emit('accepted', request);
    this.services = this.options.onActive?.(this.peerLink);
  }

  /** The approver refuses the pending request; the session ends. */
  async refuse(
    reason = 'The person at the machine refused the session.',
    approver = 'approver',
  ): Promise<void> {
    if (this.stateValue !== 'awaiting-approval')
      throw new AssentError(
        'SESSION_BAD_STATE',
        'There is no session request waiting for a decision.',
      );
    await this.audit('session.refused', { approver, reason }, 'approver');
    await this.refuseWith('SESSION_REFUSED', reason);
  }

  /** Sends a chat message to the engineer (not consent-gated). */
  chat(text: string): void {
    if (this.stateValue !== 'active' || !this.link)
      throw new AssentError(
        'SESSION_NOT_ACTIVE',
        'Chat is available once the session is accepted.',
      );
    const message: ChannelMessage = {
      type: 'chat',
      id: randomBytes(6).toString('hex'),
      text,
      sentAt: this.now(),
    };
    this.link.send(message);
    void this.audit(
      'chat',
      { from: 'agent', length: text.length, digest: sha256Hex(text) },
      'approver',
    );
    this.emit('chat', { from: 'agent', text, at: message.sentAt });
  }

  /** Ends the session at once and for good (the agent's end is final). */
  async endSession(
    code: ErrorCode = 'SESSION_ENDED',
    message = 'The session was ended at the customer machine.',
    by: SessionEnd['by'] = 'agent',
  ): Promise<void> {
    if (this.endValue) return;
    if (this.link?.isOpen) {
      try {
        this.link.send({ type: 'session.end', by: 'agent', reason: message });
      } catch {
        // The link may have just failed; the close below still happens.
      }
      await this.link.close();
    }
    await this.finish({ by, code, message });
  }

  // ---- relay connection -------------------------------------------------

  private open(target: string): Promise<RelayConnection> {
    return RelayConnection.open({
      url: this.options.relayUrl,
      role: 'agent',
      signingKey: this.options.deviceKey,
      target,
      ...(this.options.ca ? { ca: this.options.ca } : {}),
    });
  }

  private attach(connection: RelayConnection): void {
    this.connection = connection;
    connection.on('control', (message) => void this.onControl(message));
    connection.on('frame', (frame) => this.onHandshakeFrame(frame));
    connection.on('close', (info) => {
      if (connection !== this.connection || this.endValue || info.local) return;
      // An oversized frame (1009) is a protocol violation, not a network drop: no resume.
      if (info.code === 1009) {
        void this.fail(
          new AssentError('RELAY_FRAME_TOO_LARGE', 'The relay sent a frame larger than the limit.'),
        );
        return;
      }
      void this.onConnectionLost(`the relay connection closed (${info.code})`);
    });
    connection.listen();
  }

  private async onControl(message: RelayToPeer): Promise<void> {
    switch (message.t) {
      case 'welcome':
        if (message.revocations && this.options.onRevocations) {
          try {
            this.revocations = this.options.onRevocations(message.revocations) ?? this.revocations;
          } catch (error) {
            this.emit('notice', {
              code: 'REVOCATION_LIST_INVALID',
              message: (error as Error).message,
            });
          }
        }
        return;
      case 'code':
        if (this.stateValue === 'connecting') this.setState('waiting-for-engineer');
        await this.audit('session.code-issued', {
          expiresAt: new Date(message.expiresAt).toISOString(),
        });
        this.emit('code', { code: message.code, expiresAt: message.expiresAt });
        return;
      case 'code-burned':
      case 'code-expired':
        await this.audit(`session.${message.t}`, {});
        this.emit('notice', {
          code: message.t === 'code-burned' ? 'RELAY_RATE_LIMITED' : 'RELAY_CODE_UNKNOWN',
          message:
            message.t === 'code-burned'
              ? 'Too many wrong attempts: the code was withdrawn. A new code follows.'
              : 'The code expired. A new code follows.',
        });
        if (this.stateValue === 'waiting-for-engineer')
          this.connection?.sendControl({ t: 'new-code' });
        return;
      case 'paired':
        this.resumeToken = message.resumeToken;
        this.beginHandshake();
        return;
      case 'peer-away':
        this.detachLink();
        this.setState('interrupted');
        this.emit('interrupted', {
          reason: 'The engineer lost the connection.',
          graceMs: message.graceMs,
        });
        return;
      case 'peer-left':
        await this.endSession('RELAY_PEER_GONE', 'The engineer left the session.', 'engineer');
        return;
      case 'error':
        this.emit('notice', { code: message.code, message: message.message });
        return;
    }
  }

  private async onConnectionLost(reason: string): Promise<void> {
    this.detachLink();
    const resumable =
      this.resumeToken &&
      ['handshake', 'awaiting-approval', 'active', 'interrupted'].includes(this.stateValue);
    if (!resumable) {
      await this.finish({
        by: 'system',
        code: 'RELAY_UNREACHABLE',
        message: `The session was lost: ${reason}.`,
      });
      return;
    }
    this.setState('interrupted');
    this.emit('interrupted', { reason, graceMs: this.options.resumeGraceMs });
    await this.audit('session.interrupted', { reason });
    const token = this.resumeToken!;
    const connection = await reconnectWithBackoff(() => this.open(token), {
      deadline: this.now() + this.options.resumeGraceMs,
      signal: this.abort.signal,
      now: this.now,
    });
    if (this.endValue) {
      connection?.close();
      return;
    }
    if (!connection) {
      await this.finish({
        by: 'system',
        code: 'SESSION_RESUME_REJECTED',
        message: 'The connection did not come back within the grace period.',
      });
      return;
    }
    this.attach(connection);
  }

  // ---- handshake --------------------------------------------------------

  private beginHandshake(): void {
    this.detachLink();
    if (this.stateValue !== 'interrupted' || !this.accepted) this.setState('handshake');
    this.handshake = new AgentHandshake({
      deviceKey: this.options.deviceKey,
      vendorPublicKey: this.options.vendor.publicKey,
      revocations: this.revocations,
      now: this.now(),
      previousEngineerKey: this.engineer?.publicKey,
    });
    this.timers.set(
      'handshake',
      this.options.handshakeTimeoutMs,
      () =>
        void this.fail(
          new AssentError('CHANNEL_HANDSHAKE_FAILED', 'The key exchange did not complete in time.'),
        ),
    );
  }

  private onHandshakeFrame(frame: Buffer): void {
    const handshake = this.handshake;
    if (!handshake || this.link) return; // after the handshake, EncryptedLink owns the frames
    // On a resume, data frames the engineer sent on the channel this handshake
    // replaces may still be in flight: they cannot be opened (those keys are
    // gone) and nothing is done with them, so they are dropped, not a fault.
    if (frame[0] === FRAME_TYPES.data && this.engineer) return;
    try {
      const step = handshake.onFrame(frame);
      if ('reply' in step) {
        void this.connection?.sendFrame(step.reply).catch(() => undefined);
        return;
      }
      const { channel, engineer, sas, version, transcriptHash } = step.done;
      this.handshake = undefined;
      this.engineer = engineer;
      this.handshakeSas = sas;
      void this.audit('session.handshake', {
        engineer: engineer.name,
        fingerprint: engineer.fingerprint,
        serial: engineer.serial,
        version,
        transcript: transcriptHash,
      });
      const link = new EncryptedLink(this.connection!, channel, { now: this.now });
      this.link = link;
      this.peerLink.use(link, engineer);
      link.on('message', (message) => void this.onMessage(message));
      link.on('end', (end) => void this.onLinkEnd(link, end));
    } catch (error) {
      void this.fail(
        isAssentError(error)
          ? error
          : new AssentError('CHANNEL_HANDSHAKE_FAILED', 'The key exchange failed.', {
              cause: error,
            }),
      );
    }
  }

  // ---- messages ---------------------------------------------------------

  private async onMessage(message: ChannelMessage): Promise<void> {
    const link = this.link;
    if (!link) return;
    switch (message.type) {
      case 'session.hello':
        this.timers.clear('handshake');
        if (this.accepted) {
          this.setState('active');
          await this.audit('session.resumed', { engineer: this.engineer?.fingerprint ?? null });
          link.send({
            type: 'session.accepted',
            sessionId: this.sessionId,
            resumed: true,
            ...(this.options.rules ? { rules: this.options.rules } : {}),
          });
          this.peerLink.resumed();
          this.emit('resumed');
          return;
        }
        if (this.stateValue === 'awaiting-approval' && this.requestValue) {
          // The engineer came back before a decision: the same request stays on screen.
          link.send({
            type: 'session.pending',
            decideBy: this.requestValue.decideBy,
            ...this.pendingFields(),
          });
          this.setState('awaiting-approval');
          return;
        }
        await this.present(message.reason, message.ticket);
        return;
      case 'chat':
        if (this.stateValue !== 'active') {
          link.send({
            type: 'error',
            code: 'SESSION_NOT_ACTIVE',
            message: 'Chat opens when the session is accepted.',
          });
          return;
        }
        // Chat is not an action: it is shown at once and its record (length
        // and digest) follows; appends are serialized, so the log keeps the order.
        this.emit('chat', { from: 'engineer', text: message.text, at: message.sentAt });
        await this.audit(
          'chat',
          { from: 'engineer', length: message.text.length, digest: sha256Hex(message.text) },
          'engineer',
        );
        return;
      case 'session.end':
        await this.audit(
          'session.end-requested',
          { by: 'engineer', reason: message.reason ?? null },
          'engineer',
        );
        await link.close();
        await this.finish({
          by: 'engineer',
          code: 'SESSION_ENDED',
          message: message.reason ?? 'The engineer ended the session.',
        });
        return;
      case 'error':
        this.emit('notice', { code: message.code, message: message.message });
        return;
      default:
        if (this.stateValue !== 'active' || !this.services) {
          link.send({
            type: 'error',
            code: 'SESSION_NOT_ACTIVE',
            message: 'The session is not active.',
            ...('requestId' in message ? { requestId: message.requestId } : {}),
          });
          return;
        }
        this.services.handle(message);
    }
  }

  /** What the approver wrote when asking for help, and the rules: shown to the engineer while waiting. */
  private pendingFields(): Pick<
    MessageOf<'session.pending'>,
    'ticket' | 'description' | 'since' | 'tried' | 'rules'
  > {
    const { ticket, description, since, tried, rules } = this.options;
    return {
      ...(ticket ? { ticket } : {}),
      ...(description ? { description } : {}),
      ...(since ? { since } : {}),
      ...(tried ? { tried } : {}),
      ...(rules ? { rules } : {}),
    };
  }

  private async present(
    reason: string | undefined,
    engineerTicket: string | undefined,
  ): Promise<void> {
    const engineer = this.engineer!;
    const decideBy = this.now() + this.options.approvalTimeoutMs;
    const request: SessionRequest = {
      sessionId: this.sessionId,
      engineer,
      sas: this.handshakeSas!,
      decideBy,
      ...(reason ? { reason } : {}),
      ...(engineerTicket ? { engineerTicket } : {}),
      ...this.pendingFields(),
    };
    this.requestValue = request;
    await this.audit('session.requested', {
      engineer: engineer.name,
      email: engineer.email,
      fingerprint: engineer.fingerprint,
      reason: reason ?? null,
      ticket: this.options.ticket ?? engineerTicket ?? null,
      rules: this.options.rules?.fingerprint ?? null,
    });
    this.setState('awaiting-approval');
    this.link?.send({ type: 'session.pending', decideBy, ...this.pendingFields() });
    this.timers.set('approval', this.options.approvalTimeoutMs, () => void this.approvalTimedOut());
    this.emit('request', request);
  }

  private async approvalTimedOut(): Promise<void> {
    if (this.stateValue !== 'awaiting-approval') return;
    await this.audit(
      'session.refused',
      { approver: null, reason: 'no answer before the timeout' },
      'system',
    );
    await this.refuseWith(
      'SESSION_APPROVAL_TIMEOUT',
      'Nobody at the customer machine answered in time.',
    );
  }

  private async refuseWith(code: ErrorCode, message: string): Promise<void> {
    this.timers.clear('approval');
    if (this.link?.isOpen) {
      this.link.send({ type: 'session.refused', code, message });
      await this.link.close();
    }
    await this.finish({ by: code === 'SESSION_REFUSED' ? 'agent' : 'system', code, message });
  }

  private async onLinkEnd(link: EncryptedLink, end: LinkEnd): Promise<void> {
    if (link !== this.link || this.endValue) return;
    switch (end.kind) {
      case 'closed-by-us':
        return;
      case 'closed-by-peer':
        await this.finish({
          by: 'engineer',
          code: 'SESSION_ENDED',
          message: 'The engineer ended the session.',
        });
        return;
      case 'transport-lost':
        // The relay connection closed: the connection's own close handler decides about resuming.
        return;
      case 'fault':
        await this.fail(end.error);
        return;
    }
  }

  private detachLink(): void {
    this.link?.detach();
    this.link = undefined;
    this.peerLink.interrupted();
  }

  /** A protocol fault: audit it, end the session, close the connection with the code's close status. */
  private async fail(error: AssentError): Promise<void> {
    if (this.endValue) return;
    await this.audit('session.error', { code: error.code, message: error.message }, 'system');
    await this.finish({ by: 'system', code: error.code, message: error.message });
  }

  private async finish(end: Omit<SessionEnd, 'accepted'>): Promise<void> {
    if (this.endValue) return;
    const result: SessionEnd = { ...end, accepted: this.accepted };
    this.endValue = result;
    this.timers.clearAll();
    this.services?.close(end.message);
    this.abort.abort(new AssentError('SESSION_ENDED', end.message));
    this.detachLink();
    const connection = this.connection;
    if (connection?.isOpen) {
      connection.sendControl({ t: 'leave' });
      connection.close(ERROR_CODES[end.code].closeCode ?? 1000, end.code);
    }
    this.setState('ended');
    await this.audit('session.ended', {
      by: end.by,
      code: end.code,
      message: end.message,
      accepted: this.accepted,
      durationMs: this.startedAt ? this.now() - this.startedAt : 0,
    });
    this.emit('ended', result);
  }

  // ---- helpers ----------------------------------------------------------

  private setState(state: AgentSessionState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.emit('state', state);
  }

  /**
   * Appends to the audit log. If the log cannot be written the session ends
   * (fail closed: nothing happens that is not recorded).
   */
  private async audit(
    type: string,
    data: AuditEvent['data'],
    actor: AuditActor = 'agent',
  ): Promise<void> {
    try {
      await this.options.audit.append({ type, sessionId: this.sessionId, actor, data });
    } catch (error) {
      if (this.endValue) return;
      this.emit('notice', { code: 'AUDIT_WRITE_FAILED', message: (error as Error).message });
      await this.finish({
        by: 'system',
        code: 'AUDIT_WRITE_FAILED',
        message: 'The audit log could not be written; the session was ended.',
      });
    }
  }
}
