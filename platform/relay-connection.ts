// One authenticated WebSocket to the relay, as the agent or the engineer sees
// it: signed upgrade headers, relay control messages (text frames, validated),
// opaque binary frames, and backpressure on sending.
import { EventEmitter } from 'node:events';
import { AssentError, isErrorCode, type ErrorCode } from '../protocol/errors';
import type { EngineerCertificate } from '../protocol/identity';
import { MAX_CONTROL_MESSAGE_BYTES, MAX_FRAME_BYTES } from '../protocol/limits';
import { RELAY_PATHS, RelayToPeer, type PeerToRelay, type RelayRole } from '../protocol/wire/relay';
import { buildAuthHeaders } from './relay-auth';
import type { SigningKeyPair } from './signing';
import { UpgradeRefused, WebSocketClient } from './websocket-client';

/** Bytes handed to the socket but not yet written before sendFrame waits. */
export const SEND_HIGH_WATER_BYTES = 4 * 1024 * 1024;

export interface RelayConnectionOptions {
  /** Base URL of the relay, e.g. `wss://relay.example:8443` or `ws://127.0.0.1:8443`. */
  url: string;
  role: RelayRole;
  signingKey: SigningKeyPair;
  certificate?: EngineerCertificate;
  /** Session code (engineer join), resume token, or '' (agent's first connect). */
  target: string;
  /** Extra CA certificates (PEM) to trust for wss, e.g. a relay's self-signed certificate. */
  ca?: string | Buffer;
  /** Give up connecting after this long. */
  connectTimeoutMs?: number;
}

/** How the connection ended. */
export interface RelayClose {
  code: number;
  reason: string;
  /** True when this side closed on purpose. */
  local: boolean;
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'RELAY_BAD_REQUEST',
  401: 'RELAY_UNAUTHENTICATED',
  403: 'RELAY_CREDENTIAL_REVOKED',
  404: 'RELAY_CODE_UNKNOWN',
  429: 'RELAY_RATE_LIMITED',
  503: 'RELAY_FULL',
};

function rejectionFrom(refusal: UpgradeRefused): AssentError {
  const status = refusal.status;
  try {
    const body = JSON.parse(
      refusal.body.subarray(0, MAX_CONTROL_MESSAGE_BYTES).toString('utf8'),
    ) as {
      code?: unknown;
      message?: unknown;
    };
    if (isErrorCode(body.code)) {
      return new AssentError(
        body.code,
        typeof body.message === 'string' ? body.message : undefined,
        {
          details: { httpStatus: status, retryAfter: refusal.headers['retry-after'] },
        },
      );
    }
  } catch {
    // Not our JSON body: fall back to the status.
  }
  return new AssentError(
    STATUS_CODES[status] ?? 'RELAY_UNREACHABLE',
    `The relay refused the connection (HTTP ${status}).`,
    {
      details: { httpStatus: status },
    },
  );
}

/** An open, authenticated connection to the relay. */
export class RelayConnection extends EventEmitter<{
  control: [message: RelayToPeer];
  frame: [frame: Buffer];
  close: [info: RelayClose];
}> {
  private pendingBytes = 0;
  private drainWaiters: Array<() => void> = [];
  private closedLocally = false;
  /** Messages that arrived before the owner attached its listeners (they can share the upgrade's packet). */
  private held: Array<Buffer | string> | undefined = [];
  private heldClose: RelayClose | undefined;
  private closeCodeOverride: number | undefined;

  private socket!: WebSocketClient;

  private constructor() {
    super();
  }

  /** Connects and authenticates; rejects with the relay's error code (e.g. RELAY_CODE_UNKNOWN). */
  static async open(options: RelayConnectionOptions): Promise<RelayConnection> {
    const path = options.role === 'agent' ? RELAY_PATHS.agent : RELAY_PATHS.engineer;
    const headers = buildAuthHeaders({
      role: options.role,
      path,
      signingKey: options.signingKey,
      ...(options.certificate ? { certificate: options.certificate } : {}),
      target: options.target,
    });
    const url = new URL(path, options.url.endsWith('/') ? options.url : `${options.url}/`);
    const connection = new RelayConnection();
    try {
      connection.socket = await WebSocketClient.connect(
        {
          url,
          headers,
          ca: options.ca,
          connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
          maxPayload: MAX_FRAME_BYTES,
        },
        {
          text: (text) => connection.arrived(text),
          binary: (frame) => connection.arrived(frame),
          close: (code, reason) => connection.closed(code, reason),
          // A frame over maxPayload is reported as 1009 even when the relay never answers our close.
          fault: (fault) => (connection.closeCodeOverride = fault.closeCode),
        },
      );
    } catch (cause) {
      if (cause instanceof UpgradeRefused) throw rejectionFrom(cause);
      throw new AssentError(
        'RELAY_UNREACHABLE',
        `Could not reach the relay at ${options.url}: ${(cause as Error).message}`,
        { cause },
      );
    }
    return connection;
  }

  /** A binary frame (Buffer) or a control message (string). */
  private arrived(data: Buffer | string): void {
    if (this.held) this.held.push(data);
    else this.onMessage(data);
  }

  private closed(code: number, reason: string): void {
    this.releaseWaiters();
    const info = {
      code: this.closeCodeOverride ?? code,
      reason,
      local: this.closedLocally,
    };
    if (this.held) this.heldClose = info;
    else this.emit('close', info);
  }

  /**
   * Starts delivering events. Call once the listeners are attached: anything
   * that arrived since the upgrade is delivered first, in order.
   */
  listen(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    for (const data of held) this.onMessage(data);
    if (this.heldClose) this.emit('close', this.heldClose);
  }

  /** True while the socket is open. */
  get isOpen(): boolean {
    return this.socket.isOpen;
  }

  /** Sends a control message to the relay. */
  sendControl(message: PeerToRelay): void {
    this.socket.sendText(JSON.stringify(message));
  }

  /**
   * Sends one binary frame (whole, or as parts that concatenated make it);
   * resolves once the socket can take more (backpressure). With `owned`, the
   * caller hands the buffers over (a freshly sealed frame): they are masked
   * in place instead of copied, and must not be used again.
   */
  sendFrame(frame: Buffer | readonly Buffer[], owned = false): Promise<void> {
    if (!this.isOpen)
      return Promise.reject(
        new AssentError('CHANNEL_CLOSED', 'The connection to the relay is closed.'),
      );
    const length = Array.isArray(frame)
      ? frame.reduce((sum: number, part: Buffer) => sum + part.length, 0)
      : (frame as Buffer).length;
    this.pendingBytes += length;
    this.socket.sendBinary(frame, owned, () => {
      this.pendingBytes -= length;
      if (this.pendingBytes < SEND_HIGH_WATER_BYTES / 2) this.releaseWaiters();
    });
    if (this.pendingBytes < SEND_HIGH_WATER_BYTES) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Stops reading from the relay until resumeReading (a receiver whose disk is behind). */
  pauseReading(): void {
    this.socket.pauseReading();
  }

  resumeReading(): void {
    this.socket.resumeReading();
  }

  /** Closes the connection (1000 = leaving for good; the relay ends the pairing at once). */
  close(code = 1000, reason = ''): void {
    this.closedLocally = true;
    if (!this.socket.isClosed) this.socket.close(code, reason);
  }

  /** Drops the connection without a closing handshake (as a network failure would). */
  terminate(): void {
    this.closedLocally = true;
    this.socket.terminate();
  }

  private releaseWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const wake of waiters) wake();
  }

  private onMessage(data: Buffer | string): void {
    if (typeof data !== 'string') {
      this.emit('frame', data);
      return;
    }
    let parsed: ReturnType<typeof RelayToPeer.safeParse>;
    try {
      parsed = RelayToPeer.safeParse(JSON.parse(data));
    } catch {
      parsed = { success: false } as ReturnType<typeof RelayToPeer.safeParse>;
    }
    if (!parsed.success) {
      // A relay that sends garbage control messages is misbehaving: leave.
      this.close(1008, 'malformed control message');
      return;
    }
    this.emit('control', parsed.data);
  }
}
