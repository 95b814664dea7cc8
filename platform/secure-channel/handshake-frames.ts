// Handshake frames on the wire: a FRAME_TYPES byte, then UTF-8 JSON. Parsing
// is strict about everything that is signed or hashed, so one altered byte
// fails the handshake instead of producing a second valid encoding.
import type { z } from 'zod';
import { AssentError } from '../../protocol/errors';
import { fromBase64Url, toBase64Url } from '../encoding';

/** Largest handshake frame accepted (a certificate is well under 2 KiB). */
export const MAX_HANDSHAKE_FRAME_BYTES = 16 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function failed(message: string, cause?: unknown): AssentError {
  return new AssentError(
    'CHANNEL_HANDSHAKE_FAILED',
    message,
    cause === undefined ? undefined : { cause },
  );
}

/** Encodes one handshake frame: the type byte, then the JSON of `body`. */
export function encodeHandshakeFrame(type: number, body: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  const frame = Buffer.allocUnsafe(1 + json.length);
  frame[0] = type;
  json.copy(frame, 1);
  return frame;
}

/** A parsed handshake frame: the schema-checked message and the raw JSON object. */
export interface ParsedHandshakeFrame<T> {
  readonly message: T;
  readonly raw: Record<string, unknown>;
}

/** Checks the type byte and size, parses the JSON and validates it with `schema`. */
export function parseHandshakeFrame<S extends z.ZodType>(
  frame: Buffer,
  type: number,
  schema: S,
  what: string,
): ParsedHandshakeFrame<z.infer<S>> {
  if (!Buffer.isBuffer(frame) || frame.length < 2) throw failed(`The ${what} frame is too short.`);
  if (frame[0] !== type)
    throw failed(
      `Expected the ${what} frame (type 0x0${type}), got type 0x${frame[0]!.toString(16).padStart(2, '0')}.`,
    );
  if (frame.length > MAX_HANDSHAKE_FRAME_BYTES)
    throw failed(`The ${what} frame exceeds ${MAX_HANDSHAKE_FRAME_BYTES} bytes.`);
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(frame.subarray(1)));
  } catch (cause) {
    throw failed(`The ${what} frame is not valid UTF-8 JSON.`, cause);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success || raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw failed(`The ${what} frame is malformed.`, parsed.error);
  return { message: parsed.data, raw: raw as Record<string, unknown> };
}

/**
 * Decodes base64url that must be the one canonical encoding of its bytes
 * (unused low bits zero), so a signature or key has exactly one spelling.
 */
export function canonicalBytes(text: string, length: number, what: string): Buffer {
  const bytes = fromBase64Url(text);
  if (bytes.length !== length || toBase64Url(bytes) !== text)
    throw failed(`The ${what} is not a canonical ${length}-byte base64url value.`);
  return bytes;
}

/** The raw JSON object without its `signature`: what was signed. */
export function withoutSignature(raw: Record<string, unknown>): Record<string, unknown> {
  const { signature: _signature, ...rest } = raw;
  return rest;
}
