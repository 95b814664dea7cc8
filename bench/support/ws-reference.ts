// The plain-WebSocket reference of bench/session.ts, client side: the same
// frames and round trips as the session, over one `ws` connection to
// bench/support/ws-sink.ts with no relay and no encryption.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { SEND_HIGH_WATER_BYTES } from '../../platform/relay-connection';
import { MAX_FRAME_BYTES, MAX_PLAINTEXT_BYTES } from '../../protocol/limits';
import { BenchChild } from './bench-child';
import { pacedRoundTrips } from './round-trips';

/** A connected client and its sink process. */
export interface WsReference {
  /** The sink process's id. */
  readonly pid: number | undefined;
  /** Bytes per second of `bytes` sent in MAX_PLAINTEXT_BYTES frames, until the sink has them all. */
  throughput(bytes: number): Promise<number>;
  /** Round trips in ms of a `size`-byte text message echoed by the sink, paced by `intervalMs`. */
  roundTrips(count: number, warmup: number, intervalMs: number, size: number): Promise<number[]>;
  close(): Promise<void>;
}

/** Starts the sink process and connects to it. */
export async function startWsReference(): Promise<WsReference> {
  const sink = BenchChild.start('bench/support/ws-sink.ts');
  try {
    const { port } = await sink.next('listening', 30_000);
    const socket = new WebSocket(`ws://127.0.0.1:${String(port)}`, {
      perMessageDeflate: false,
      maxPayload: MAX_FRAME_BYTES,
    });
    socket.binaryType = 'nodebuffer';
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const frames = Array.from({ length: 16 }, () => randomBytes(MAX_PLAINTEXT_BYTES));
    return {
      pid: sink.pid,
      async throughput(bytes) {
        sink.send({ op: 'expect', bytes });
        await sink.next('expecting');
        // The same backpressure as RelayConnection.sendFrame.
        let pending = 0;
        let wake: (() => void) | undefined;
        const t0 = performance.now();
        for (let sent = 0, i = 0; sent < bytes; sent += MAX_PLAINTEXT_BYTES, i++) {
          const frame = frames[i % frames.length]!.subarray(
            0,
            Math.min(MAX_PLAINTEXT_BYTES, bytes - sent),
          );
          pending += frame.length;
          socket.send(frame, { binary: true }, () => {
            pending -= frame.length;
            if (pending < SEND_HIGH_WATER_BYTES / 2) wake?.();
          });
          if (pending >= SEND_HIGH_WATER_BYTES)
            await new Promise<void>((resolve) => {
              wake = () => {
                wake = undefined;
                resolve();
              };
            });
        }
        await sink.next('received', 600_000);
        return bytes / ((performance.now() - t0) / 1000);
      },
      roundTrips: (count, warmup, intervalMs, size) =>
        pacedRoundTrips(count, warmup, intervalMs, (i) => {
          const text = `${String(i).padStart(8, '0')}${'x'.repeat(Math.max(0, size - 8))}`;
          return new Promise<void>((resolve) => {
            const onMessage = (data: Buffer, isBinary: boolean): void => {
              if (isBinary || data.toString('utf8') !== text) return;
              socket.off('message', onMessage);
              resolve();
            };
            socket.on('message', onMessage);
            socket.send(text);
          });
        }),
      async close() {
        socket.terminate();
        await sink.stop();
      },
    };
  } catch (error) {
    await sink.stop();
    throw error;
  }
}
