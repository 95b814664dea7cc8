// One authenticated WebSocket to the relay, as the agent or the engineer sees
// it: signed upgrade headers, relay control messages (text frames, validated),
// opaque binary frames, and backpressure on sending.
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { AssentError, isErrorCode, type ErrorCode } from '../protocol/errors';
import type { EngineerCertificate } from '../protocol/identity';
import { MAX_CONTROL_MESSAGE_BYTES, MAX_FRAME_BYTES } from '../protocol/limits';
import { RELAY_PATHS, RelayToPeer, type PeerToRelay, type RelayRole } from '../protocol/wire/relay';
import { buildAuthHeaders } from './relay-auth';
import type { SigningKeyPair } from './signing';

/** Bytes handed to ws but not yet written to the socket before sendFrame waits. */
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

async function rejectionFrom(response: IncomingMessage): Promise<AssentError> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    size += (chunk as Buffer).length;
    if (size > MAX_CONTROL_MESSAGE_BYTES) break;
    chunks.push(chunk as Buffer);
  }
  const status = response.statusCode ?? 0;
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      code?: unknown;
      message?: unknown;
    };
    if (isErrorCode(body.code)) {
      return new AssentError(
        body.code,
        typeof body.message === 'string' ? body.message : undefined,
        {
          details: { httpStatus: status, retryAfter: response.headers['retry-after'] },
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
  private held: Array<{ data: Buffer; isBinary: boolean }> | undefined = [];
  private heldClose: RelayClose | undefined;
  private closeCodeOverride: number | undefined;

  private constructor(private readonly socket: WebSocket) {
    super();
    socket.on('message', (data, isBinary) => {
      if (this.held) this.held.push({ data: data as Buffer, isBinary });
      else this.onMessage(data as Buffer, isBinary);
    });
    socket.on('close', (code, reason) => {
      this.releaseWaiters();
      const info = {
        code: this.closeCodeOverride ?? code,
        reason: reason.toString('utf8'),
        local: this.closedLocally,
      };
      if (this.held) this.heldClose = info;
      else this.emit('close', info);
    });
    socket.on('error', (error: Error & { code?: string }) => {
      // 'close' follows every error. A frame over maxPayload is reported as
      // 1009 to the owner even when the peer never answers our close frame.
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.closeCodeOverride = 1009;
    });
  }

  /** Connects and authenticates; rejects with the relay's error code (e.g. RELAY_CODE_UNKNOWN). */
  static open(options: RelayConnectionOptions): Promise<RelayConnection> {
    const path = options.role === 'agent' ? RELAY_PATHS.agent : RELAY_PATHS.engineer;
    const headers = buildAuthHeaders({
      role: options.role,
      path,
      signingKey: options.signingKey,
      ...(options.certificate ? { certificate: options.certificate } : {}),
      target: options.target,
    });
    const url = new URL(path, options.url.endsWith('/') ? options.url : `${options.url}/`);
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, {
        headers,
        maxPayload: MAX_FRAME_BYTES,
        perMessageDeflate: false,
        handshakeTimeout: options.connectTimeoutMs ?? 10_000,
        ...(options.ca ? { ca: options.ca } : {}),
      });
      socket.binaryType = 'nodebuffer';
      let settled = false;
      const fail = (error: AssentError): void => {
        if (settled) return;
        settled = true;
        socket.removeAllListeners();
        socket.on('error', () => undefined);
        socket.terminate();
        reject(error);
      };
      socket.once('unexpected-response', (_request, response) => {
        void rejectionFrom(response).then(fail);
      });
      socket.once('error', (cause) => {
        fail(
          new AssentError(
            'RELAY_UNREACHABLE',
            `Could not reach the relay at ${options.url}: ${cause.message}`,
            { cause },
          ),
        );
      });
      socket.once('open', () => {
        if (settled) return;
        settled = true;
        socket.removeAllListeners('error');
        resolve(new RelayConnection(socket));
      });
    });
  }

  /**
   * Starts delivering events. Call once the listeners are attached: anything
   * that arrived since the upgrade is delivered first, in order.
   */
  listen(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    for (const { data, isBinary } of held) this.onMessage(data, isBinary);
    if (this.heldClose) this.emit('close', this.heldClose);
  }

  /** True while the socket is open. */
  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends a control message to the relay. */
  sendControl(message: PeerToRelay): void {
    if (this.isOpen) this.socket.send(JSON.stringify(message));
  }

  /** Sends one binary frame; resolves once the socket can take more (backpressure). */
  sendFrame(frame: Buffer): Promise<void> {
    if (!this.isOpen)
      return Promise.reject(
        new AssentError('CHANNEL_CLOSED', 'The connection to the relay is closed.'),
      );
    this.pendingBytes += frame.length;
    this.socket.send(frame, { binary: true }, () => {
      this.pendingBytes -= frame.length;
      if (this.pendingBytes < SEND_HIGH_WATER_BYTES / 2) this.releaseWaiters();
    });
    if (this.pendingBytes < SEND_HIGH_WATER_BYTES) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Closes the connection (1000 = leaving for good; the relay ends the pairing at once). */
  close(code = 1000, reason = ''): void {
    this.closedLocally = true;
    if (
      this.socket.readyState === WebSocket.OPEN ||
      this.socket.readyState === WebSocket.CONNECTING
    ) {
      this.socket.close(code, reason);
    }
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

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.emit('frame', data);
      return;
    }
    let parsed: ReturnType<typeof RelayToPeer.safeParse>;
    try {
      parsed = RelayToPeer.safeParse(JSON.parse(data.toString('utf8')));
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
