// The handshake transcript: a SHA-256 chain over length-prefixed parts, so
// every byte both sides exchanged (offered versions included) is bound into
// the signatures and the session keys. See docs/protocol.md, "End-to-end channel".
import { createHash } from 'node:crypto';

/** One transcript part: u32 big-endian length, then the bytes. */
function lengthPrefix(bytes: Uint8Array): Buffer {
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32BE(bytes.byteLength, 0);
  return prefix;
}

/** SHA-256 over `previous` (if any) followed by each part, length-prefixed. */
export function transcriptHash(previous: Buffer | undefined, ...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  if (previous) hash.update(previous);
  for (const part of parts) {
    hash.update(lengthPrefix(part));
    hash.update(part);
  }
  return hash.digest();
}
