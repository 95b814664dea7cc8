// Byte encodings used on the wire and in files.

/** Unpadded base64url of `bytes`. */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Bytes of an unpadded base64url string (callers validate the shape with the zod schemas first). */
export function fromBase64Url(text: string): Buffer {
  return Buffer.from(text, 'base64url');
}

/** Lower-case hex SHA-256 is written `sha256:<hex>` wherever a digest is shown to a person. */
export function formatDigest(hex: string): string {
  return `sha256:${hex}`;
}
