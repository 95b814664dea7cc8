// The engineer's side of a support session: the typed client library the
// console is built on. Joins by session code, runs the handshake as
// initiator, waits for the approver, then carries chat and actions. Resumes
// after a network drop within the grace period, insisting on the same agent
// device key.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { AssentError, isAssentError, isErrorCode, type ErrorCode } from '../protocol/errors';
import type { EngineerCertificate } from '../protocol/identity';
import { HANDSHAKE_TIMEOUT_MS, RESUME_GRACE_MS } from '../protocol/limits';
import { FRAME_TYPES } from '../protocol/wire/handshake';
import type { ChannelMessage, MessageOf } from '../protocol/wire/messages';
import type { RelayToPeer } from '../protocol/wire/relay';
import type { RulesDigest } from '../protocol/wire/session';
import { EncryptedLink, type LinkEnd } from '../platform/encrypted-link';
import { reconnectWithBackoff } from '../platform/reconnect';
import { RelayConnection } from '../platform/relay-connection';
import { InitiatorHandshake } from '../platform/secure-channel';
import { InboundHolds } from '../platform/inbound-holds';
import { StreamChannels } from '../platform/stream-channels';
import { StreamListeners } from '../platform/stream-listeners';
import { keyFingerprint, type SigningKeyPair } from '../platform/signing';
import type { EngineerLink } from './engineer-link';

export type EngineerSessionState =
  'pairing' | 'handshake' | 'awaiting-approval' | 'active' | 'interrupted' | 'ended';

export interface EngineerSessionOptions {
  relayUrl: string;
  code: string;
  certificate: EngineerCertificate;
  signingKey: SigningKeyPair;
  reason?: string;
  ticket?: string;
  ca?: string | Buffer;
  resumeGraceMs?: number;
  /** Protocol versions to offer (tests use it to simulate old peers). */
  versions?: readonly number[];
}

/** How the session ended, from the engineer's side. */
export interface EngineerSessionEnd {
  readonly by: 'agent' | 'engineer' | 'system';
  readonly code: ErrorCode | string;
  readonly message: string;
}

type Events = {
  state: [state: EngineerSessionState];
  paired: [agent: { deviceKey: string; fingerprint: string }];
  sas: [sas: string];
  pending: [info: Omit<MessageOf<'session.pending'>, 'type'>];
  accepted: [info: { sessionId: string; resumed: boolean; rules?: RulesDigest; endsBy?: number }];
  chat: [chat: { from: 'agent' | 'engineer'; text: string; at: number }];
  interrupted: [reason: string];
  resumed: [];
  notice: [notice: { code: string; message: string }];
  ended: [end: EngineerSessionEnd];
};

/** An engineer's session with one agent. Use `EngineerSession.connect`. */
export class EngineerSession extends EventEmitter<Events> {
  private stateValue: EngineerSessionState = 'pairing';
  private connection: RelayConnection | undefined;
  private resumeToken: string | undefined;
  private handshake: InitiatorHandshake | undefined;
  private channelLink: EncryptedLink | undefined;
  private agentKey: string | undefined;
  private sasValue: string | undefined;
  private sessionIdValue = '';
  private accepted = false;
  private requestCounter = 0;
  private streamCounter = -1;
  /** A stream that sent on a channel a resume replaced does not go on on the new one. */
  private readonly streamChannels = new StreamChannels();
  /** Receivers whose disk is behind stop the reading of whichever channel is current. */
  private readonly inboundHolds = new InboundHolds();
  private readonly messageListeners = new Map<string, Set<(message: ChannelMessage) => void>>();
  private readonly streamListeners = new StreamListeners();
  private readonly abort = new AbortController();
  private endValue: EngineerSessionEnd | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;

  private constructor(private readonly options: EngineerSessionOptions) {
    super();
  }

  /** Joins the session with `code`. Rejects with the relay's code (RELAY_CODE_UNKNOWN, RELAY_CREDENTIAL_REVOKED, ...). */
  static async connect(options: EngineerSessionOptions): Promise<EngineerSession> {
    const session = new EngineerSession(options);
    session.attach(await session.open(options.code));
    return session;
  }

  get state(): EngineerSessionState {
    return this.stateValue;
  }
  get sas(): string | undefined {
    return this.sasValue;
  }
  get sessionId(): string {
    return this.sessionIdValue;
  }
  get signal(): AbortSignal {
    return this.abort.signal;
  }
  get end(): EngineerSessionEnd | undefined {
    return this.endValue;
  }
  /** The agent's device key fingerprint as verified in the handshake. */
  get agentFingerprint(): string | undefined {
    return this.agentKey ? keyFingerprint(this.agentKey) : undefined;
  }

  /**
   * Resolves when the approver accepts; rejects with SESSION_REFUSED,
   * SESSION_APPROVAL_TIMEOUT, or whatever else ended the session first.
   */
  waitForApproval(): Promise<void> {
    if (this.accepted) return Promise.resolve();
    if (this.endValue) return Promise.reject(this.endError());
    return new Promise((resolve, reject) => {
      const onAccepted = (): void => {
        this.off('ended', onEnded);
        resolve();
      };
      const onEnded = (): void => {
        this.off('accepted', onAccepted);
        reject(this.endError());
      };
      this.once('accepted', onAccepted);
      this.once('ended', onEnded);
    });
  }

  /** Resolves when the session has ended (for any reason). */
  whenEnded(): Promise<EngineerSessionEnd> {
    if (this.endValue) return Promise.resolve(this.endValue);
    return new Promise((resolve) => this.once('ended', resolve));
  }

  /** Sends a chat message to the person at the agent. */
  chat(text: string): void {
    if (this.stateValue !== 'active')
      throw new AssentError('SESSION_NOT_ACTIVE', 'Chat opens when the session is accepted.');
    const at = Date.now();
    this.send({ type: 'chat', id: randomBytes(6).toString('hex'), text, sentAt: at });
    this.emit('chat', { from: 'engineer', text, at });
  }

  /** Ends the session for good. */
  async endSession(reason = 'The engineer ended the session.'): Promise<void> {
    if (this.endValue) return;
    if (this.channelLink?.isOpen) {
      this.channelLink.send({ type: 'session.end', by: 'engineer', reason });
      await this.channelLink.close();
    }
    this.finish({ by: 'engineer', code: 'SESSION_ENDED', message: reason });
  }

  // ---- EngineerLink -----------------------------------------------------

  /** The approved session as the console's commands use it. */
  readonly link: EngineerLink = this.createLink();

  private createLink(): EngineerLink {
    // The getters below read live session state; they need the session itself.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const session = this;
    return {
      get sessionId() {
        return session.sessionIdValue;
      },
      get signal() {
        return session.abort.signal;
      },
      send: (message) => this.send(message),
      nextRequestId: () => {
        this.requestCounter += 1;
        return `r${this.requestCounter}`;
      },
      nextStreamId: () => {
        this.streamCounter += 2;
        return this.streamCounter;
      },
      on: (type, listener) => {
        let set = this.messageListeners.get(type);
        if (!set) this.messageListeners.set(type, (set = new Set()));
        const entry = listener as (message: ChannelMessage) => void;
        set.add(entry);
        return () => set.delete(entry);
      },
      streamSender: (streamId) =>
        this.streamChannels.sender(streamId, () => {
          if (!this.channelLink?.isOpen) throw new AssentError('CHANNEL_CLOSED');
          return this.channelLink;
        }),
      onStream: (streamId, listener) => this.streamListeners.add(streamId, listener),
      holdInbound: () => this.inboundHolds.hold(),
    };
  }

  /** Sends a message to the agent. */
  send(message: ChannelMessage): void {
    if (!this.channelLink?.isOpen) {
      throw new AssentError(
        'CHANNEL_CLOSED',
        this.endValue
          ? 'The session has ended.'
          : 'The connection is interrupted; try again in a moment.',
      );
    }
    this.channelLink.send(message);
  }

  // ---- connection -------------------------------------------------------

  private open(target: string): Promise<RelayConnection> {
    return RelayConnection.open({
      url: this.options.relayUrl,
      role: 'engineer',
      signingKey: this.options.signingKey,
      certificate: this.options.certificate,
      target,
      ...(this.options.ca ? { ca: this.options.ca } : {}),
    });
  }

  private attach(connection: RelayConnection): void {
    this.connection = connection;
    connection.on('control', (message) => this.onControl(message));
    connection.on('frame', (frame) => this.onHandshakeFrame(frame));
    connection.on('close', (info) => {
      if (connection !== this.connection || this.endValue || info.local) return;
      // An oversized frame (1009) is a protocol violation, not a network drop: no resume.
      if (info.code === 1009) {
        this.failWith('RELAY_FRAME_TOO_LARGE', 'The relay sent a frame larger than the limit.');
        return;
      }
      void this.onConnectionLost(`the relay connection closed (${info.code})`);
    });
    connection.listen();
  }

  private onControl(message: RelayToPeer): void {
    switch (message.t) {
      case 'paired':
        if (message.peer.role !== 'agent') return;
        if (this.agentKey && message.peer.deviceKey !== this.agentKey) {
          this.failWith(
            'SESSION_RESUME_REJECTED',
            'A different agent answered the resumed session.',
          );
          return;
        }
        this.resumeToken = message.resumeToken;
        this.emit('paired', {
          deviceKey: message.peer.deviceKey,
          fingerprint: keyFingerprint(message.peer.deviceKey),
        });
        this.beginHandshake();
        return;
      case 'peer-away':
        this.dropLink();
        this.setState('interrupted');
        this.emit('interrupted', 'The customer machine lost its connection.');
        return;
      case 'peer-left':
        this.finish({
          by: 'agent',
          code: message.code,
          message: message.message || 'The customer machine left the session.',
        });
        return;
      case 'error':
        this.emit('notice', { code: message.code, message: message.message });
        return;
      default:
        return;
    }
  }

  private beginHandshake(): void {
    this.dropLink();
    if (!this.accepted) this.setState('handshake');
    this.handshake = new InitiatorHandshake({
      certificate: this.options.certificate,
      signingKey: this.options.signingKey,
      ...(this.options.versions ? { versions: this.options.versions } : {}),
      // On resume the agent must be the one that approved us.
      ...(this.agentKey ? { expectedDeviceKey: this.agentKey } : {}),
    });
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = setTimeout(
      () => this.failWith('CHANNEL_HANDSHAKE_FAILED', 'The key exchange did not complete in time.'),
      HANDSHAKE_TIMEOUT_MS,
    );
    this.handshakeTimer.unref();
    void this.connection?.sendFrame(this.handshake.start()).catch(() => undefined);
  }

  private onHandshakeFrame(frame: Buffer): void {
    const handshake = this.handshake;
    if (!handshake || this.channelLink) return;
    // On a resume, data frames the agent sent on the channel this handshake
    // replaces may still be in flight (the relay can swap in our new socket
    // before the agent hears of it): they cannot be opened and nothing is done
    // with them, so they are dropped, not a fault.
    if (frame[0] === FRAME_TYPES.data && this.agentKey) return;
    try {
      if (frame[0] !== FRAME_TYPES.handshakeResponse) {
        throw new AssentError(
          'CHANNEL_HANDSHAKE_FAILED',
          'A frame arrived that is not part of the key exchange.',
        );
      }
      const { finish, result } = handshake.onResponse(frame);
      this.handshake = undefined;
      clearTimeout(this.handshakeTimer);
      if (!('deviceKey' in result.peer)) throw new AssentError('CHANNEL_HANDSHAKE_FAILED');
      this.agentKey = result.peer.deviceKey;
      this.sasValue = result.sas;
      void this.connection!.sendFrame(finish).catch(() => undefined);
      const link = new EncryptedLink(this.connection!, result.channel);
      this.channelLink = link;
      this.streamChannels.channelReplaced();
      this.inboundHolds.attach(link);
      this.streamListeners.attach(link);
      link.on('message', (message) => this.onMessage(message));
      link.on('end', (end) => this.onLinkEnd(link, end));
      link.send({
        type: 'session.hello',
        resuming: this.accepted,
        ...(this.options.reason ? { reason: this.options.reason } : {}),
        ...(this.options.ticket ? { ticket: this.options.ticket } : {}),
      });
      this.emit('sas', result.sas);
    } catch (error) {
      const fault = isAssentError(error)
        ? error
        : new AssentError('CHANNEL_HANDSHAKE_FAILED', 'The key exchange failed.', { cause: error });
      this.failWith(fault.code, fault.message);
    }
  }

  private onMessage(message: ChannelMessage): void {
    switch (message.type) {
      case 'session.pending':
        this.setState('awaiting-approval');
        this.emit('pending', {
          decideBy: message.decideBy,
          ...(message.ticket ? { ticket: message.ticket } : {}),
          ...(message.description ? { description: message.description } : {}),
          ...(message.since ? { since: message.since } : {}),
          ...(message.tried ? { tried: message.tried } : {}),
          ...(message.rules ? { rules: message.rules } : {}),
        });
        break;
      case 'session.accepted': {
        const wasAccepted = this.accepted;
        this.accepted = true;
        this.sessionIdValue = message.sessionId;
        this.setState('active');
        this.emit('accepted', {
          sessionId: message.sessionId,
          resumed: message.resumed,
          ...(message.rules ? { rules: message.rules } : {}),
          ...(message.endsBy ? { endsBy: message.endsBy } : {}),
        });
        if (wasAccepted) this.emit('resumed');
        break;
      }
      case 'session.refused':
        this.finish({ by: 'agent', code: message.code, message: message.message });
        break;
      case 'session.end':
        this.finish({
          by: 'agent',
          code: 'SESSION_ENDED',
          message: message.reason ?? 'The customer ended the session.',
        });
        break;
      case 'chat':
        this.emit('chat', { from: 'agent', text: message.text, at: message.sentAt });
        break;
      default:
        break;
    }
    const set = this.messageListeners.get(message.type);
    if (set) for (const listener of [...set]) listener(message);
  }

  private onLinkEnd(link: EncryptedLink, end: LinkEnd): void {
    if (link !== this.channelLink || this.endValue) return;
    if (end.kind === 'closed-by-peer')
      this.finish({
        by: 'agent',
        code: 'SESSION_ENDED',
        message: 'The customer machine ended the session.',
      });
    else if (end.kind === 'fault') this.failWith(end.error.code, end.error.message);
  }

  private async onConnectionLost(reason: string): Promise<void> {
    this.dropLink();
    if (!this.resumeToken) {
      this.finish({
        by: 'system',
        code: 'RELAY_UNREACHABLE',
        message: `The connection was lost: ${reason}.`,
      });
      return;
    }
    this.setState('interrupted');
    this.emit('interrupted', reason);
    const token = this.resumeToken;
    const connection = await reconnectWithBackoff(() => this.open(token), {
      deadline: Date.now() + (this.options.resumeGraceMs ?? RESUME_GRACE_MS),
      signal: this.abort.signal,
    });
    if (this.endValue) {
      connection?.close();
      return;
    }
    if (connection) {
      this.attach(connection);
      return;
    }
    this.finish({
      by: 'system',
      code: 'SESSION_RESUME_REJECTED',
      message: 'The connection did not come back within the grace period.',
    });
  }

  private dropLink(): void {
    this.channelLink?.detach();
    this.channelLink = undefined;
    this.streamListeners.attach(undefined);
  }

  private failWith(code: ErrorCode | string, message: string): void {
    this.finish({ by: 'system', code, message });
  }

  private finish(end: EngineerSessionEnd): void {
    if (this.endValue) return;
    this.endValue = end;
    clearTimeout(this.handshakeTimer);
    this.abort.abort(this.endError());
    this.dropLink();
    if (this.connection?.isOpen) {
      this.connection.sendControl({ t: 'leave' });
      this.connection.close(1000);
    }
    this.setState('ended');
    this.emit('ended', end);
  }

  private endError(): AssentError {
    const end = this.endValue!;
    const code: ErrorCode = isErrorCode(end.code) ? end.code : 'SESSION_ENDED';
    return new AssentError(code, end.message, { details: { by: end.by } });
  }

  private setState(state: EngineerSessionState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.emit('state', state);
  }
}
