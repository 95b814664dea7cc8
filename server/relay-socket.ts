// The relay's side of one WebSocket (RFC 6455, server role), written for
// forwarding: a binary message is handed on as the list of pieces it arrived
// in (unmasked in place, slices of the socket's own read buffers) and written
// to the other peer with one gathered write, never reassembled into a new
// buffer. `ws` copies every message into one buffer first, which cost the
// relay about a third of its CPU and most of its garbage (docs/performance.md).
// Everything a client may get wrong is refused as ws refuses it: unmasked or
// RSV frames, unknown opcodes, fragmented or long control frames, bad close
// codes, invalid UTF-8 in text (1002/1007), messages over maxPayload (1009).
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  closePayload,
  FrameFault,
  FrameReader,
  frameHeader,
  OPCODE,
  readClosePayload,
  writeFrame,
} from '../platform/websocket-frames';
import { RELAY_CLOSE_TIMEOUT_MS } from '../protocol/limits';

/** The socket's state, as ws names it. */
export const SOCKET_STATE = { open: 1, closing: 2, closed: 3 } as const;

/**
 * One accepted WebSocket. Events: `binary` (the pieces and their total
 * length), `text` (decoded, with its length in bytes), `pong`, `error` (a
 * protocol fault of the peer; `close` follows), `close` (the code the peer
 * sent, 1005 without one, 1006 when the connection simply ended).
 */
export class RelaySocket extends EventEmitter<{
  binary: [pieces: Buffer[], length: number];
  /** A text message (a relay control message), decoded; `length` in bytes. */
  text: [text: string, length: number];
  pong: [];
  error: [error: Error];
  close: [code: number];
}> {
  #state: number = SOCKET_STATE.open;
  #paused = false;
  #closeSent = false;
  #closeReceived = false;
  #closeCode = 1006;
  #closeTimer: NodeJS.Timeout | undefined;
  readonly #reader: FrameReader;
  #discarding = false;

  constructor(
    readonly socket: Duplex,
    maxPayload: number,
  ) {
    super();
    this.#reader = new FrameReader(
      { role: 'server', maxPayload, reusedChunks: false },
      {
        binary: (pieces, length) => {
          if (!this.#discarding) this.emit('binary', pieces, length);
        },
        text: (text, length) => {
          if (!this.#discarding) this.emit('text', text, length);
        },
        control: (opcode, payload) => this.#control(opcode, payload),
      },
    );
    const net = socket as Duplex & { setNoDelay?: (on: boolean) => void };
    net.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('close', () => this.#onClose());
    // A reset or write after the peer vanished: 'close' follows and says so.
    socket.on('error', () => undefined);
  }

  /** OPEN, CLOSING or CLOSED (SOCKET_STATE). */
  get readyState(): number {
    return this.#state;
  }

  get isOpen(): boolean {
    return this.#state === SOCKET_STATE.open;
  }

  /** Bytes written but not yet taken by the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** True while the relay has stopped reading this peer (backpressure). */
  get isPaused(): boolean {
    return this.#paused;
  }

  pause(): void {
    this.#paused = true;
    this.socket.pause();
  }

  resume(): void {
    this.#paused = false;
    this.socket.resume();
  }

  /** Feeds bytes that arrived with the upgrade request. */
  receive(head: Buffer): void {
    if (head.length > 0) this.#onData(head);
  }

  /** Sends a text message (a relay control message). */
  sendText(text: string): void {
    if (this.#state !== SOCKET_STATE.open) return;
    const payload = Buffer.from(text, 'utf8');
    this.#writeFrame(OPCODE.text, [payload], payload.length);
  }

  /** Sends a binary message given as pieces, with one gathered write. */
  sendBinary(pieces: readonly Buffer[], length: number): void {
    if (this.#state !== SOCKET_STATE.open) return;
    this.#writeFrame(OPCODE.binary, pieces, length);
  }

  ping(): void {
    if (this.#state === SOCKET_STATE.open) this.#writeFrame(OPCODE.ping, [], 0);
  }

  /** Starts the closing handshake; the socket is destroyed if the peer does not answer. */
  close(code = 1000, reason = ''): void {
    if (this.#state === SOCKET_STATE.closed) return;
    if (!this.#closeSent) {
      this.#closeSent = true;
      const payload = closePayload(code, reason);
      this.#writeFrame(OPCODE.close, [payload], payload.length);
    }
    this.#state = SOCKET_STATE.closing;
    if (this.#closeReceived) this.socket.end();
    this.#closeTimer ??= setTimeout(() => this.socket.destroy(), RELAY_CLOSE_TIMEOUT_MS);
  }

  /** Drops the connection at once, without a closing handshake. */
  terminate(): void {
    this.socket.destroy();
  }

  #writeFrame(opcode: number, pieces: readonly Buffer[], length: number): void {
    writeFrame(this.socket, frameHeader(opcode, length), pieces);
  }

  #onData(chunk: Buffer): void {
    if (this.#discarding) return;
    try {
      this.#reader.push(chunk);
    } catch (error) {
      if (!(error instanceof FrameFault)) throw error;
      this.#fault(error);
    }
  }

  #control(opcode: number, payload: Buffer): void {
    if (this.#discarding) return;
    if (opcode === OPCODE.ping) {
      if (this.#state === SOCKET_STATE.open)
        this.#writeFrame(OPCODE.pong, [payload], payload.length);
      return;
    }
    if (opcode === OPCODE.pong) {
      this.emit('pong');
      return;
    }
    const { code } = readClosePayload(payload);
    this.#closeReceived = true;
    this.#closeCode = code;
    this.#discarding = true;
    // Answer with the same code (a peer's own close needs no reason), then end.
    if (!this.#closeSent) this.close(code === 1005 ? 1000 : code);
    else this.socket.end();
  }

  /** A protocol fault of the peer: close with its code, read nothing more from it. */
  #fault(fault: FrameFault): void {
    this.#discarding = true;
    this.#closeCode = fault.closeCode;
    this.emit('error', fault);
    this.close(fault.closeCode, fault.message);
    this.socket.end();
    if (this.#paused) this.resume();
  }

  #onEnd(): void {
    // The peer will send nothing more: finish our side too.
    this.#state = SOCKET_STATE.closing;
    this.socket.end();
  }

  #onClose(): void {
    if (this.#state === SOCKET_STATE.closed) return;
    this.#state = SOCKET_STATE.closed;
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    this.removeAllListeners('binary');
    this.removeAllListeners('text');
    this.emit('close', this.#closeCode);
  }
}
