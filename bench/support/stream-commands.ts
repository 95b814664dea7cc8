// The bulk-stream commands both bench helpers (agent and engineer) serve:
// `send` from a few distinct source buffers, `expect` a stream's bytes.
import { randomBytes } from 'node:crypto';
import type { StreamSender } from '../../platform/stream-channels';
import { report } from './bench-child';

/** Either side's view of the link: send on a stream, listen on one. */
export interface StreamEnds {
  streamSender(streamId: number): StreamSender;
  onStream(streamId: number, listener: (chunk: Buffer) => void): () => void;
}

/** Distinct source buffers cycled through when sending (not one hot buffer). */
const SOURCE_BUFFERS = 4;
const SOURCE_CHUNK_BYTES = 1024 * 1024;

/** Random source buffers for `sendBytes`, made once per helper. */
export function makeSources(): Buffer[] {
  return Array.from({ length: SOURCE_BUFFERS }, () => randomBytes(SOURCE_CHUNK_BYTES));
}

/** Sends `bytes` on `streamId`, 1 MiB at a time from `sources`; then reports `sent`. */
export async function sendBytes(
  ends: StreamEnds,
  sources: readonly Buffer[],
  streamId: number,
  bytes: number,
): Promise<void> {
  const send = ends.streamSender(streamId);
  for (let sent = 0, i = 0; sent < bytes; sent += SOURCE_CHUNK_BYTES, i++) {
    const source = sources[i % sources.length]!;
    await send(source.subarray(0, Math.min(source.length, bytes - sent)));
  }
  report({ ev: 'sent', bytes });
}

/** Counts what arrives on `streamId`: reports `expecting` now and `received` once `bytes` came. */
export function expectBytes(ends: StreamEnds, streamId: number, bytes: number): void {
  let received = 0;
  const off = ends.onStream(streamId, (chunk) => {
    received += chunk.length;
    if (received >= bytes) {
      off();
      report({ ev: 'received', bytes: received });
    }
  });
  report({ ev: 'expecting', streamId });
}
