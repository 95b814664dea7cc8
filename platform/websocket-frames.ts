// WebSocket framing (RFC 6455 §5), shared by the relay's server side
// (server/relay-socket.ts) and the agent's and engineer's client side
// (platform/websocket-client.ts). Written for bulk ciphertext: payloads are
// handed on as the pieces they arrived in, or copied once into one buffer per
// frame; never reassembled twice. Refuses what `ws` refuses, with the same
// close codes: frames masked the wrong way or with RSV bits, unknown opcodes,
// fragmented or long control frames, bad close codes (1002), invalid UTF-8
// (1007), messages over the size limit (1009).
import { createHash, randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';

type MaskFn = (
  source: Buffer,
  mask: Buffer,
  output: Buffer,
  offset: number,
  length: number,
) => void;
type UnmaskFn = (buffer: Buffer, mask: Buffer) => void;

/** bufferutil's native loops (the issue requires it); JavaScript loops if it is missing. */
const native = ((): { mask: MaskFn; unmask: UnmaskFn } | undefined => {
  try {
    return createRequire(import.meta.url)('bufferutil') as { mask: MaskFn; unmask: UnmaskFn };
  } catch {
    return undefined;
  }
})();

/** XORs `bytes` in place with `mask` (payload index 0 at bytes[0]). */
export function applyMask(bytes: Buffer, mask: Buffer): void {
  if (native && bytes.length >= 32) {
    native.unmask(bytes, mask);
    return;
  }
  for (let i = 0; i < bytes.length; i++) bytes[i]! ^= mask[i & 3]!;
}

const rotatedMask = Buffer.alloc(4);

/** applyMask for bytes that start at payload offset `offset` (the mask rotated to match). */
export function applyMaskAt(bytes: Buffer, mask: Buffer, offset: number): void {
  const shift = offset & 3;
  if (shift === 0) {
    applyMask(bytes, mask);
    return;
  }
  for (let i = 0; i < 4; i++) rotatedMask[i] = mask[(i + shift) & 3]!;
  applyMask(bytes, rotatedMask);
}

export const OPCODE = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** RFC 6455 §1.3: appended to the client's key before hashing. */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The Sec-WebSocket-Accept value that answers a client's Sec-WebSocket-Key. */
export function acceptValue(key: string): string {
  return createHash('sha1')
    .update(key + ACCEPT_GUID)
    .digest('base64');
}

/** The longest control-frame payload. */
export const MAX_CONTROL_PAYLOAD = 125;

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Close codes a peer may send (RFC 6455 §7.4; 1004–1006 and 1015 never travel). */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

/** A peer's framing fault: the close code it earns and why. */
export class FrameFault extends Error {
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'FrameFault';
  }
}

/** `bytes` as a string; throws FrameFault(1007) unless they are valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    throw new FrameFault(1007, 'a text payload is not valid UTF-8');
  }
}

/** Four fresh random masking keys at a time, from a pool refilled 1,024 keys at once. */
const maskPool = Buffer.alloc(4096);
let maskPoolAt = maskPool.length;

/** A fresh, unpredictable masking key (RFC 6455 §5.3). */
export function nextMask(): Buffer {
  if (maskPoolAt === maskPool.length) {
    randomFillSync(maskPool);
    maskPoolAt = 0;
  }
  maskPoolAt += 4;
  return maskPool.subarray(maskPoolAt - 4, maskPoolAt);
}

/** A frame header (fin set) for `length` payload bytes; masked with `mask` when given. */
export function frameHeader(opcode: number, length: number, mask?: Buffer): Buffer {
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.allocUnsafe(2 + lengthBytes + (mask ? 4 : 0));
  header[0] = 0x80 | opcode;
  const maskBit = mask ? 0x80 : 0;
  if (lengthBytes === 0) header[1] = maskBit | length;
  else if (lengthBytes === 2) {
    header[1] = maskBit | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = maskBit | 127;
    header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    header.writeUInt32BE(length >>> 0, 6);
  }
  if (mask) mask.copy(header, 2 + lengthBytes);
  return header;
}

/**
 * Writes one frame (`header`, then `parts`) to `socket` as one gathered write;
 * `written` runs once the socket took the last of it. Nothing is written to a
 * socket that can no longer be written to.
 */
export function writeFrame(
  socket: Writable,
  header: Buffer,
  parts: readonly Buffer[],
  written?: () => void,
): void {
  if (socket.destroyed || !socket.writable) return;
  socket.cork();
  socket.write(header, parts.length === 0 && written ? () => written() : undefined);
  for (let i = 0; i < parts.length; i++)
    socket.write(parts[i]!, i === parts.length - 1 && written ? () => written() : undefined);
  socket.uncork();
}

/** The payload of a close frame: the code, then up to 123 bytes of reason. */
export function closePayload(code: number, reason: string): Buffer {
  const reasonBytes = Buffer.from(reason, 'utf8').subarray(0, MAX_CONTROL_PAYLOAD - 2);
  const payload = Buffer.allocUnsafe(2 + reasonBytes.length);
  payload.writeUInt16BE(code, 0);
  reasonBytes.copy(payload, 2);
  return payload;
}

/** Reads a close frame's payload: 1005 when it carries no code. Throws FrameFault. */
export function readClosePayload(payload: Buffer): { code: number; reason: string } {
  if (payload.length === 0) return { code: 1005, reason: '' };
  if (payload.length === 1) throw new FrameFault(1002, 'a close frame of one byte');
  const code = payload.readUInt16BE(0);
  if (!isValidCloseCode(code)) throw new FrameFault(1002, `invalid close code ${code}`);
  return { code, reason: decodeUtf8(payload.subarray(2)) };
}

/** What a FrameReader reports. */
export interface FrameHandlers {
  /** A whole binary message, as the pieces it arrived in. */
  binary(pieces: Buffer[], length: number): void;
  /** A whole text message, decoded (checked as UTF-8 once, here); `length` in bytes. */
  text(text: string, length: number): void;
  /** A control frame (close, ping, pong) with its payload (a copy). */
  control(opcode: number, payload: Buffer): void;
}

export interface FrameReaderOptions {
  /** 'server' reads client frames (which must be masked), 'client' reads server frames (which must not be). */
  readonly role: 'server' | 'client';
  /** The largest data message accepted; larger ones fault with 1009. */
  readonly maxPayload: number;
  /**
   * True when the chunks given to push() are reused after it returns (a
   * socket reading into one static buffer): each frame's payload is then
   * copied into one buffer of its own. False hands on slices of the chunks.
   */
  readonly reusedChunks: boolean;
}

/**
 * Incremental frame parser. push() throws FrameFault on the first framing
 * fault; nothing of the faulty frame or its message is delivered.
 */
export class FrameReader {
  readonly #options: FrameReaderOptions;
  readonly #handlers: FrameHandlers;
  /** Header bytes of a frame split across chunks (at most 14). */
  #partialHeader: Buffer | undefined;
  #readingPayload = false;
  #remaining = 0;
  #frameOpcode = 0;
  #frameFin = false;
  #frameOffset = 0;
  #masked = false;
  /**
   * Its own 4 bytes, not a slice of Buffer's shared 8 KiB pool: each of
   * 18,000 idle relay sockets holds one for its life, and a pool slice would
   * keep its whole pool chunk alive.
   */
  readonly #mask = Buffer.alloc(4);
  /** The copy target of the current frame (reusedChunks). */
  #frameCopy: Buffer | undefined;
  #controlPieces: Buffer[] = [];
  /** The data message being assembled and its opcode; 0 = none. */
  #messageOpcode = 0;
  #messagePieces: Buffer[] = [];
  #messageLength = 0;

  constructor(options: FrameReaderOptions, handlers: FrameHandlers) {
    this.#options = options;
    this.#handlers = handlers;
  }

  /** Parses `chunk` (which the reader may unmask in place). */
  push(chunk: Buffer): void {
    let data = chunk;
    if (this.#partialHeader) {
      data = Buffer.concat([this.#partialHeader, chunk]);
      this.#partialHeader = undefined;
    }
    let offset = 0;
    while (offset < data.length) {
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
  }

  /** Parses one frame header at `offset`; returns where its payload starts, or -1 if incomplete. */
  #readHeader(data: Buffer, offset: number): number {
    const available = data.length - offset;
    if (available < 2) return -1;
    const first = data[offset]!;
    const second = data[offset + 1]!;
    if ((first & 0x70) !== 0) throw new FrameFault(1002, 'RSV bits set without an extension');
    const masked = (second & 0x80) !== 0;
    if (this.#options.role === 'server' && !masked)
      throw new FrameFault(1002, 'a client frame must be masked');
    if (this.#options.role === 'client' && masked)
      throw new FrameFault(1002, 'a server frame must not be masked');
    let length = second & 0x7f;
    const lengthBytes = length === 126 ? 2 : length === 127 ? 8 : 0;
    const headerBytes = 2 + lengthBytes + (masked ? 4 : 0);
    if (available < headerBytes) return -1;
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    if (lengthBytes === 2) length = data.readUInt16BE(offset + 2);
    else if (lengthBytes === 8) {
      if (data.readUInt32BE(offset + 2) !== 0) throw new FrameFault(1009, 'the frame is too large');
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
    } else throw new FrameFault(1002, `unknown opcode ${opcode}`);
    if (!control && this.#messageLength + length > this.#options.maxPayload)
      throw new FrameFault(1009, 'the message exceeds the size limit');
    if (opcode === OPCODE.text || opcode === OPCODE.binary) this.#messageOpcode = opcode;

    this.#masked = masked;
    if (masked) data.copy(this.#mask, 0, offset + 2 + lengthBytes, offset + headerBytes);
    this.#frameOpcode = opcode;
    this.#frameFin = fin;
    this.#remaining = length;
    this.#frameOffset = 0;
    this.#frameCopy =
      this.#options.reusedChunks && !control && length > 0 ? Buffer.allocUnsafe(length) : undefined;
    this.#readingPayload = true;
    if (length === 0) this.#frameDone();
    return offset + headerBytes;
  }

  #readPayload(data: Buffer, offset: number): number {
    const take = Math.min(this.#remaining, data.length - offset);
    let piece = data.subarray(offset, offset + take);
    if (this.#frameCopy) {
      piece.copy(this.#frameCopy, this.#frameOffset);
      piece = this.#frameCopy.subarray(this.#frameOffset, this.#frameOffset + take);
    } else if (this.#frameOpcode >= 0x8 && this.#options.reusedChunks) piece = Buffer.from(piece);
    if (this.#masked) applyMaskAt(piece, this.#mask, this.#frameOffset);
    this.#frameOffset += take;
    this.#remaining -= take;
    if (this.#frameOpcode >= 0x8) this.#controlPieces.push(piece);
    else if (!this.#frameCopy) {
      this.#messagePieces.push(piece);
      this.#messageLength += take;
    }
    if (this.#remaining === 0) {
      if (this.#frameCopy) {
        this.#messagePieces.push(this.#frameCopy);
        this.#messageLength += this.#frameCopy.length;
        this.#frameCopy = undefined;
      }
      this.#frameDone();
    }
    return offset + take;
  }

  #frameDone(): void {
    this.#readingPayload = false;
    const opcode = this.#frameOpcode;
    if (opcode >= 0x8) {
      const pieces = this.#controlPieces;
      this.#controlPieces = [];
      const payload =
        pieces.length === 0
          ? Buffer.alloc(0)
          : pieces.length === 1
            ? Buffer.from(pieces[0]!)
            : Buffer.concat(pieces);
      this.#handlers.control(opcode, payload);
      return;
    }
    if (!this.#frameFin) return;
    const pieces = this.#messagePieces;
    const length = this.#messageLength;
    const isBinary = this.#messageOpcode === OPCODE.binary;
    this.#messageOpcode = 0;
    this.#messagePieces = [];
    this.#messageLength = 0;
    if (isBinary) this.#handlers.binary(pieces, length);
    else
      this.#handlers.text(
        decodeUtf8(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, length)),
        length,
      );
  }
}
