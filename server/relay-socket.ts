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
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { RELAY_CLOSE_TIMEOUT_MS } from '../protocol/limits';

type Unmask = (buffer: Buffer, mask: Buffer) => void;

/** bufferutil's native unmask (the issue requires it); a JavaScript loop if it is missing. */
const nativeUnmask: Unmask | undefined = (() => {
  try {
    return (createRequire(import.meta.url)('bufferutil') as { unmask: Unmask }).unmask;
  } catch {
    return undefined;
  }
})();

function unmask(piece: Buffer, mask: Buffer): void {
  if (nativeUnmask && piece.length >= 32) {
    nativeUnmask(piece, mask);
    return;
  }
  for (let i = 0; i < piece.length; i++) piece[i]! ^= mask[i & 3]!;
}

const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa };
const MAX_CONTROL_PAYLOAD = 125;
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Close codes a peer may send (RFC 6455 §7.4; 1004–1006 and 1015 never travel). */
function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

/** A protocol fault: the close code it earns and why. */
class FrameFault extends Error {
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The socket's state, as ws names it. */
export const SOCKET_STATE = { open: 1, closing: 2, closed: 3 } as const;

/**
 * One accepted WebSocket. Events: `message` (pieces, total length, binary?),
 * `pong`, `error` (a protocol fault of the peer; `close` follows), `close`
 * (the code the peer sent, 1005 without one, 1006 when the connection simply
 * ended).
 */
export class RelaySocket extends EventEmitter<{
  message: [pieces: Buffer[], length: number, isBinary: boolean];
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
  /** Header bytes of a frame split across reads (at most 14). */
  #partialHeader: Buffer | undefined;
  /** The frame being read: payload bytes still due, its mask, and where its payload is. */
  #remaining = 0;
  #frameOpcode = 0;
  #frameFin = false;
  #framePieces: Buffer[] = [];
  #frameOffset = 0;
  #mask = Buffer.alloc(4);
  #rotated = Buffer.alloc(4);
  /** The data message being assembled (as pieces) and its opcode; 0 = none. */
  #messageOpcode = 0;
  #messagePieces: Buffer[] = [];
  #messageLength = 0;
  #readingPayload = false;
  #discarding = false;

  constructor(
    readonly socket: Duplex,
    private readonly maxPayload: number,
  ) {
    super();
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
      const reasonBytes = Buffer.from(reason, 'utf8').subarray(0, MAX_CONTROL_PAYLOAD - 2);
      const payload = Buffer.allocUnsafe(2 + reasonBytes.length);
      payload.writeUInt16BE(code, 0);
      reasonBytes.copy(payload, 2);
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
    const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
    const header = Buffer.allocUnsafe(2 + lengthBytes);
    header[0] = 0x80 | opcode;
    if (lengthBytes === 0) header[1] = length;
    else if (lengthBytes === 2) {
      header[1] = 126;
      header.writeUInt16BE(length, 2);
    } else {
      header[1] = 127;
      header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
      header.writeUInt32BE(length >>> 0, 6);
    }
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return;
    socket.cork();
    socket.write(header);
    for (const piece of pieces) socket.write(piece);
    socket.uncork();
  }

  #onData(chunk: Buffer): void {
    try {
      let data = chunk;
      if (this.#partialHeader) {
        data = Buffer.concat([this.#partialHeader, chunk]);
        this.#partialHeader = undefined;
      }
      let offset = 0;
      while (offset < data.length && !this.#discarding) {
        if (this.#readingPayload) offset = this.#readPayload(data, offset);
        else {
          const next = this.#readHeader(data, offset);
          if (next < 0) {
            this.#partialHeader = Buffer.from(data.subarray(offset));
            return;
          }
          offset = next;
        }
      }
    } catch (error) {
      if (!(error instanceof FrameFault)) throw error;
      this.#fault(error);
    }
  }

  /** Parses one frame header at `offset`; returns where its payload starts, or -1 if incomplete. */
  #readHeader(data: Buffer, offset: number): number {
    const available = data.length - offset;
    if (available < 2) return -1;
    const first = data[offset]!;
    const second = data[offset + 1]!;
    if ((first & 0x70) !== 0) throw new FrameFault(1002, 'RSV bits set without an extension');
    if ((second & 0x80) === 0) throw new FrameFault(1002, 'a client frame must be masked');
    let length = second & 0x7f;
    const lengthBytes = length === 126 ? 2 : length === 127 ? 8 : 0;
    const headerBytes = 2 + lengthBytes + 4;
    if (available < headerBytes) return -1;
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    if (lengthBytes === 2) length = data.readUInt16BE(offset + 2);
    else if (lengthBytes === 8) {
      const high = data.readUInt32BE(offset + 2);
      if (high !== 0) throw new FrameFault(1009, 'the frame is too large');
      length = data.readUInt32BE(offset + 6);
    }

    const control = opcode >= 0x8;
    if (control) {
      if (opcode !== OPCODE.close && opcode !== OPCODE.ping && opcode !== OPCODE.pong)
        throw new FrameFault(1002, `unknown opcode ${opcode}`);
      if (!fin) throw new FrameFault(1002, 'a control frame must not be fragmented');
      if (length > MAX_CONTROL_PAYLOAD) throw new FrameFault(1002, 'a control frame is too long');
    } else if (opcode === OPCODE.continuation) {
      if (this.#messageOpcode === 0) throw new FrameFault(1002, 'a continuation without a message');
    } else if (opcode === OPCODE.text || opcode === OPCODE.binary) {
      if (this.#messageOpcode !== 0)
        throw new FrameFault(1002, 'a new message inside a fragmented one');
      this.#messageOpcode = opcode;
    } else throw new FrameFault(1002, `unknown opcode ${opcode}`);
    if (!control && this.#messageLength + length > this.maxPayload)
      throw new FrameFault(1009, 'the message exceeds the relay frame limit');

    data.copy(this.#mask, 0, offset + 2 + lengthBytes, offset + headerBytes);
    this.#frameOpcode = opcode;
    this.#frameFin = fin;
    this.#remaining = length;
    this.#frameOffset = 0;
    this.#readingPayload = true;
    if (length === 0) this.#frameDone();
    return offset + headerBytes;
  }

  #readPayload(data: Buffer, offset: number): number {
    const take = Math.min(this.#remaining, data.length - offset);
    const piece = data.subarray(offset, offset + take);
    const shift = this.#frameOffset & 3;
    let mask = this.#mask;
    if (shift !== 0) {
      for (let i = 0; i < 4; i++) this.#rotated[i] = this.#mask[(i + shift) & 3]!;
      mask = this.#rotated;
    }
    unmask(piece, mask);
    this.#frameOffset += take;
    this.#remaining -= take;
    if (this.#frameOpcode >= 0x8) this.#framePieces.push(piece);
    else {
      this.#messagePieces.push(piece);
      this.#messageLength += take;
    }
    if (this.#remaining === 0) this.#frameDone();
    return offset + take;
  }

  #frameDone(): void {
    this.#readingPayload = false;
    const opcode = this.#frameOpcode;
    if (opcode < 0x8) {
      if (!this.#frameFin) return;
      const pieces = this.#messagePieces;
      const length = this.#messageLength;
      const isBinary = this.#messageOpcode === OPCODE.binary;
      this.#messageOpcode = 0;
      this.#messagePieces = [];
      this.#messageLength = 0;
      if (!isBinary) {
        try {
          fatalUtf8.decode(pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, length));
        } catch {
          throw new FrameFault(1007, 'a text message is not valid UTF-8');
        }
      }
      this.emit('message', pieces, length, isBinary);
      return;
    }
    const payload =
      this.#framePieces.length === 1 ? this.#framePieces[0]! : Buffer.concat(this.#framePieces);
    this.#framePieces = [];
    if (opcode === OPCODE.ping) {
      if (this.#state === SOCKET_STATE.open)
        this.#writeFrame(OPCODE.pong, [Buffer.from(payload)], payload.length);
    } else if (opcode === OPCODE.pong) this.emit('pong');
    else this.#closeFrame(payload);
  }

  #closeFrame(payload: Buffer): void {
    let code = 1005;
    if (payload.length === 1) throw new FrameFault(1002, 'a close frame of one byte');
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!isValidCloseCode(code)) throw new FrameFault(1002, `invalid close code ${code}`);
      try {
        fatalUtf8.decode(payload.subarray(2));
      } catch {
        throw new FrameFault(1007, 'a close reason is not valid UTF-8');
      }
    }
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
    this.#partialHeader = undefined;
    this.#messagePieces = [];
    this.#framePieces = [];
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
    this.removeAllListeners('message');
    this.emit('close', this.#closeCode);
  }
}
