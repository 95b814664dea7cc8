// decodePlaintext: the kind byte and body of a decrypted frame.
import { describe, expect, it } from 'vitest';
import { decodePlaintext } from '../../../platform/secure-channel';
import { MAX_JSON_MESSAGE_BYTES } from '../../../protocol/limits';
import { PLAINTEXT_KINDS } from '../../../protocol/wire/handshake';
import { expectCode } from './fixtures';

const json = (text: string | Buffer): Buffer =>
  Buffer.concat([Buffer.of(PLAINTEXT_KINDS.json), Buffer.from(text)]);

describe('decodePlaintext', () => {
  it('decodes json, stream and close', () => {
    expect(decodePlaintext(json('{"type":"chat","text":"héllo"}'))).toEqual({
      kind: 'json',
      value: { type: 'chat', text: 'héllo' },
    });
    const stream = Buffer.of(PLAINTEXT_KINDS.stream, 0, 0, 1, 2, 9, 8, 7);
    const decoded = decodePlaintext(stream);
    expect(decoded).toEqual({ kind: 'stream', streamId: 258, bytes: Buffer.of(9, 8, 7) });
    // The stream bytes are a view, not a copy.
    if (decoded.kind === 'stream') expect(decoded.bytes.buffer).toBe(stream.buffer);
    expect(decodePlaintext(Buffer.of(PLAINTEXT_KINDS.stream, 0, 0, 0, 5))).toEqual({
      kind: 'stream',
      streamId: 5,
      bytes: Buffer.alloc(0),
    });
    expect(decodePlaintext(Buffer.of(PLAINTEXT_KINDS.close))).toEqual({ kind: 'close' });
  });

  it('rejects malformed plaintexts with CHANNEL_MESSAGE_INVALID', () => {
    for (const bad of [
      Buffer.alloc(0),
      json('{"type":'),
      json(''),
      json(Buffer.of(0x22, 0xff, 0xfe, 0x22)), // invalid UTF-8 inside a string
      json(`"${'x'.repeat(MAX_JSON_MESSAGE_BYTES)}"`),
      Buffer.of(PLAINTEXT_KINDS.stream, 0, 0, 1),
      Buffer.of(PLAINTEXT_KINDS.close, 0),
      Buffer.of(0x09, 1, 2, 3),
    ]) {
      expectCode(() => decodePlaintext(bad), 'CHANNEL_MESSAGE_INVALID');
    }
  });
});
