// The client side of one WebSocket (RFC 6455) to the relay, written for bulk
// ciphertext: the socket reads into one reused buffer (no allocation per
// read), each frame's payload is copied once into a buffer of its own, and a
// frame the caller hands over is masked in place and written with its header
// in one gathered write (ws allocates a masked copy of every frame and a
// reassembly buffer of every message). Framing rules: websocket-frames.ts.
import { randomBytes } from 'node:crypto';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import {
  acceptValue,
  applyMaskAt,
  closePayload,
  FrameFault,
  FrameReader,
  frameHeader,
  nextMask,
  OPCODE,
  readClosePayload,
  writeFrame,
} from './websocket-frames';

/** Bytes the socket reads at most at once, into one buffer reused for the connection's life. */
export const READ_BUFFER_BYTES = 1024 * 1024;
/** After this side sends a close frame, the relay has this long to answer before the socket is cut. */
export const CLOSE_TIMEOUT_MS = 30 * 1000;
/** The upgrade answer's status line and headers may not exceed this. */
const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;
/** Of a refusal's body, this much is kept (the relay's is a small JSON error). */
const MAX_REFUSAL_BODY_BYTES = 16 * 1024;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

export interface WebSocketClientOptions {
  /** ws: or wss: URL, path included. */
  readonly url: URL;
  /** Extra request headers (the relay's signed authentication headers). */
  readonly headers: Readonly<Record<string, string>>;
  /** Extra CA certificates to trust for wss. */
  readonly ca?: string | Buffer | undefined;
  readonly connectTimeoutMs: number;
  /** Largest message accepted from the server; larger ones close with 1009. */
  readonly maxPayload: number;
}

/** What the client reports; given before connecting, so nothing can arrive unheard. */
export interface WebSocketClientHandlers {
  text(text: string): void;
  binary(frame: Buffer): void;
  /** The connection ended: the code the server sent (1005 none, 1006 no close frame) and reason. */
  close(code: number, reason: string): void;
  /** A framing fault of the server; this side closes with `fault.closeCode`. */
  fault(fault: FrameFault): void;
}

/** The server answered the upgrade with something other than 101. */
export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string>>,
    readonly body: Buffer,
  ) {
    super(`The server refused the WebSocket upgrade (HTTP ${status}).`);
    this.name = 'UpgradeRefused';
  }
}

/** The upgrade answer could not be read, or the connection failed before it opened. */
export class ConnectFailed extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectFailed';
  }
}

interface ResponseHead {
  status: number;
  headers: Record<string, string>;
}

/** Parses an HTTP/1.1 response head (status line and headers, without the blank line). */
function parseResponseHead(text: string): ResponseHead {
  const [statusLine, ...lines] = text.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine ?? '');
  if (!match) throw new ConnectFailed('The server did not answer with HTTP.');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new ConnectFailed('The server sent a malformed header.');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(match[1]), headers };
}

function hasToken(value: string | undefined, token: string): boolean {
  return (value ?? '').split(',').some((part) => part.trim().toLowerCase() === token);
}

const STATE = { connecting: 0, open: 1, closing: 2, closed: 3 } as const;

/** An open WebSocket to a server. */
export class WebSocketClient {
  readonly #socket: Socket;
  readonly #handlers: WebSocketClientHandlers;
  readonly #reader: FrameReader;
  readonly #key = randomBytes(16).toString('base64');
  #state: number = STATE.connecting;
  #head: Buffer[] = [];
  #headBytes = 0;
  #refusal: { head: ResponseHead; body: Buffer[]; bodyBytes: number; expected: number } | undefined;
  #settle: ((error: Error | undefined) => void) | undefined;
  #closeSent = false;
  #closeReceived = false;
  #closeCode = 1006;
  #closeReason = '';
  #closeTimer: NodeJS.Timeout | undefined;
  #discarding = false;

  private constructor(
    options: WebSocketClientOptions,
    handlers: WebSocketClientHandlers,
    settle: (error: Error | undefined) => void,
  ) {
    this.#handlers = handlers;
    this.#settle = settle;
    this.#reader = new FrameReader(
      { role: 'client', maxPayload: options.maxPayload, reusedChunks: true },
      {
        binary: (pieces, length) => {
          if (!this.#discarding)
            this.#handlers.binary(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, length));
        },
        text: (text) => {
          if (!this.#discarding) this.#handlers.text(text);
        },
        control: (opcode, payload) => this.#control(opcode, payload),
      },
    );
    const request = this.#request(options);
    const url = options.url;
    // As ws does: http: and https: name the same endpoints as ws: and wss:.
    if (!['ws:', 'wss:', 'http:', 'https:'].includes(url.protocol))
      throw new TypeError(`a WebSocket URL must be ws: or wss:, not ${url.protocol}`);
    const secure = url.protocol === 'wss:' || url.protocol === 'https:';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port) || (secure ? 443 : 80);
    const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const onread = {
      buffer: readBuffer,
      callback: (bytes: number, buffer: Uint8Array): boolean => {
        this.#onRead(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
        return true;
      },
    };
    this.#socket = secure
      ? tlsConnect({
          host,
          port,
          ...(isIP(host) ? {} : { servername: host }),
          ...(options.ca ? { ca: options.ca } : {}),
          onread,
        } as ConnectionOptions)
      : netConnect({ host, port, onread });
    this.#socket.setNoDelay(true);
    this.#socket.once(secure ? 'secureConnect' : 'connect', () => this.#socket.write(request));
    this.#socket.on('end', () => this.#onEnd());
    this.#socket.on('close', () => this.#onClose());
    this.#socket.on('error', (error) => this.#fail(error));
    const timer = setTimeout(
      () => this.#fail(new ConnectFailed(`no answer within ${options.connectTimeoutMs} ms`)),
      options.connectTimeoutMs,
    );
    const settleOnce = this.#settle;
    this.#settle = (error) => {
      clearTimeout(timer);
      settleOnce(error);
    };
  }

  /**
   * Connects and upgrades; resolves once the WebSocket is open. Rejects with
   * UpgradeRefused (the server's status, headers and body) or ConnectFailed.
   */
  static connect(
    options: WebSocketClientOptions,
    handlers: WebSocketClientHandlers,
  ): Promise<WebSocketClient> {
    return new Promise((resolve, reject) => {
      const client: WebSocketClient = new WebSocketClient(options, handlers, (error) =>
        error ? reject(error) : resolve(client),
      );
    });
  }

  get isOpen(): boolean {
    return this.#state === STATE.open;
  }

  /** True once the connection is neither open nor closing. */
  get isClosed(): boolean {
    return this.#state === STATE.closed;
  }

  /** Bytes written but not yet taken by the kernel. */
  get bufferedAmount(): number {
    return this.#socket.writableLength;
  }

  /**
   * Stops reading the socket: the peer's writes then meet TCP's backpressure
   * (through a relay, its socket is paused in turn). What one read already
   * brought in is still delivered.
   */
  pauseReading(): void {
    this.#socket.pause();
  }

  /** Reads the socket again after pauseReading. */
  resumeReading(): void {
    this.#socket.resume();
  }

  /** Sends a text message. */
  sendText(text: string): void {
    if (this.#state !== STATE.open) return;
    this.#write(OPCODE.text, [Buffer.from(text, 'utf8')]);
  }

  /**
   * Sends a binary message, given whole or as parts that concatenated make
   * it; `written` runs once the socket took it. With `owned`, the caller
   * hands the buffers over: they are masked in place (no copy) and must not
   * be used again.
   */
  sendBinary(frame: Buffer | readonly Buffer[], owned: boolean, written?: () => void): void {
    if (this.#state !== STATE.open) return;
    const parts = Array.isArray(frame) ? frame : [frame as Buffer];
    this.#write(OPCODE.binary, owned ? parts : parts.map((part) => Buffer.from(part)), written);
  }

  /** Starts the closing handshake; the socket is cut if the server does not answer in time. */
  close(code = 1000, reason = ''): void {
    if (this.#state === STATE.closed || this.#state === STATE.connecting) {
      this.#socket.destroy();
      return;
    }
    if (!this.#closeSent) {
      this.#write(OPCODE.close, [closePayload(code, reason)]);
      this.#closeSent = true;
    }
    this.#state = STATE.closing;
    if (this.#closeReceived) this.#socket.end();
    this.#closeTimer ??= setTimeout(() => this.#socket.destroy(), CLOSE_TIMEOUT_MS);
  }

  /** Drops the connection at once, without a closing handshake. */
  terminate(): void {
    this.#socket.destroy();
  }

  #request(options: WebSocketClientOptions): string {
    const lines = [
      `GET ${options.url.pathname}${options.url.search} HTTP/1.1`,
      `Host: ${options.url.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${this.#key}`,
      'Sec-WebSocket-Version: 13',
    ];
    for (const [name, value] of Object.entries(options.headers)) {
      if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(value))
        throw new TypeError(`invalid request header ${JSON.stringify(name)}`);
      lines.push(`${name}: ${value}`);
    }
    return `${lines.join('\r\n')}\r\n\r\n`;
  }

  /** One masked frame of `parts` (ours to mask in place), header and parts in one gathered write. */
  #write(opcode: number, parts: readonly Buffer[], written?: () => void): void {
    const mask = nextMask();
    let length = 0;
    for (const part of parts) {
      applyMaskAt(part, mask, length);
      length += part.length;
    }
    writeFrame(this.#socket, frameHeader(opcode, length, mask), parts, written);
  }

  #onRead(chunk: Buffer): void {
    if (this.#state === STATE.connecting) {
      try {
        this.#readResponse(chunk);
      } catch (error) {
        this.#fail(error as Error);
      }
      return;
    }
    if (this.#discarding) return;
    try {
      this.#reader.push(chunk);
    } catch (error) {
      if (!(error instanceof FrameFault)) throw error;
      this.#discarding = true;
      this.#closeCode = error.closeCode;
      this.#handlers.fault(error);
      this.close(error.closeCode, error.message);
      this.#socket.end();
    }
  }

  /** Reads the upgrade answer (the chunk is reused after this returns: copy what is kept). */
  #readResponse(chunk: Buffer): void {
    if (this.#refusal) {
      this.#refusalBody(chunk);
      return;
    }
    this.#head.push(Buffer.from(chunk));
    this.#headBytes += chunk.length;
    const received = Buffer.concat(this.#head, this.#headBytes);
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.#headBytes > MAX_RESPONSE_HEAD_BYTES)
        throw new ConnectFailed('The server sent an oversized answer.');
      return;
    }
    this.#head = [];
    const head = parseResponseHead(received.subarray(0, end).toString('latin1'));
    const rest = received.subarray(end + 4);
    if (head.status !== 101) {
      const length = Number(head.headers['content-length']);
      this.#refusal = {
        head,
        body: [],
        bodyBytes: 0,
        expected: Number.isSafeInteger(length) && length >= 0 ? length : Infinity,
      };
      this.#refusalBody(rest);
      return;
    }
    const h = head.headers;
    if (!hasToken(h['upgrade'], 'websocket') || !hasToken(h['connection'], 'upgrade'))
      throw new ConnectFailed('The server answered 101 without upgrading to WebSocket.');
    if (h['sec-websocket-accept'] !== acceptValue(this.#key))
      throw new ConnectFailed('The server answered with a wrong Sec-WebSocket-Accept.');
    if (h['sec-websocket-extensions'] !== undefined || h['sec-websocket-protocol'] !== undefined)
      throw new ConnectFailed('The server chose an extension or subprotocol that was not offered.');
    this.#state = STATE.open;
    this.#settle?.(undefined);
    this.#settle = undefined;
    if (rest.length > 0) this.#onRead(rest);
  }

  #refusalBody(bytes: Buffer): void {
    const refusal = this.#refusal!;
    const keep = Math.min(bytes.length, MAX_REFUSAL_BODY_BYTES - refusal.bodyBytes);
    if (keep > 0) {
      refusal.body.push(Buffer.from(bytes.subarray(0, keep)));
      refusal.bodyBytes += keep;
    }
    if (refusal.bodyBytes >= Math.min(refusal.expected, MAX_REFUSAL_BODY_BYTES)) this.#refused();
  }

  #refused(): void {
    const refusal = this.#refusal!;
    this.#fail(
      new UpgradeRefused(
        refusal.head.status,
        refusal.head.headers,
        Buffer.concat(refusal.body, refusal.bodyBytes),
      ),
    );
  }

  #control(opcode: number, payload: Buffer): void {
    if (this.#discarding) return;
    if (opcode === OPCODE.ping) {
      if (this.#state === STATE.open) this.#write(OPCODE.pong, [payload]);
      return;
    }
    if (opcode === OPCODE.pong) return;
    const { code, reason } = readClosePayload(payload);
    this.#closeReceived = true;
    this.#closeCode = code;
    this.#closeReason = reason;
    this.#discarding = true;
    if (!this.#closeSent) {
      this.#write(OPCODE.close, code === 1005 ? [] : [closePayload(code, '')]);
      this.#closeSent = true;
    }
    this.#state = STATE.closing;
    this.#socket.end();
  }

  /** Before the upgrade completed: reject connect(); afterwards, 'close' follows every error. */
  #fail(error: Error): void {
    if (!this.#settle) return;
    const settle = this.#settle;
    this.#settle = undefined;
    this.#socket.destroy();
    settle(
      error instanceof UpgradeRefused || error instanceof ConnectFailed
        ? error
        : new ConnectFailed(error.message, { cause: error }),
    );
  }

  #onEnd(): void {
    if (this.#state === STATE.connecting && this.#refusal) {
      this.#refused();
      return;
    }
    if (this.#state === STATE.open) this.#state = STATE.closing;
    this.#socket.end();
  }

  #onClose(): void {
    if (this.#state === STATE.closed) return;
    const wasConnecting = this.#state === STATE.connecting;
    this.#state = STATE.closed;
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    if (wasConnecting) {
      this.#fail(new ConnectFailed('The connection closed before the upgrade completed.'));
      return;
    }
    this.#handlers.close(this.#closeCode, this.#closeReason);
  }
}
