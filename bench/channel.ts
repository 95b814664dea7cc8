// Benchmark (not a test): SecureChannel seal+open throughput for full 256 KiB
// stream frames against bare AES-256-GCM (createCipheriv/createDecipheriv)
// over the same buffers, in the same run. The channel adds framing, the
// counter check and one copy of the ciphertext into the frame buffer; the
// ratio shows what that costs. `node bin/run-ts.js bench/channel.ts`.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { decodePlaintext, SecureChannel } from '../platform/secure-channel';
import { MAX_PLAINTEXT_BYTES } from '../protocol/limits';

const FRAME_PAYLOAD = MAX_PLAINTEXT_BYTES;
/** Distinct payload buffers cycled through (keeps the working set realistic, not one hot buffer). */
const PAYLOADS = 16;
/** Payload bytes per measurement. */
const BYTES_PER_ROUND = 256 * 1024 * 1024;
const ROUNDS = 5;
const FRAMES_PER_ROUND = BYTES_PER_ROUND / FRAME_PAYLOAD;

interface Figures {
  sealOpen: number[];
  sealOnly: number[];
}

function gbPerSecond(bytes: number, ns: bigint): number {
  return bytes / Number(ns); // bytes per ns = GB/s
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function spread(values: number[]): string {
  return `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
}

/** Bare AES-256-GCM with a counter nonce: the floor any framing sits on. */
function rawRound(payloads: Buffer[], key: Buffer, sealOnly: boolean): number {
  const nonce = Buffer.alloc(12);
  const aad = Buffer.alloc(9);
  let checksum = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < FRAMES_PER_ROUND; i++) {
    nonce.writeUInt32BE(i, 8);
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
    cipher.setAAD(aad);
    const ciphertext = cipher.update(payloads[i % PAYLOADS]!);
    cipher.final();
    const tag = cipher.getAuthTag();
    if (sealOnly) {
      checksum ^= ciphertext[0]!;
      continue;
    }
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const plaintext = decipher.update(ciphertext);
    decipher.final();
    checksum ^= plaintext[0]!;
  }
  const elapsed = process.hrtime.bigint() - start;
  if (checksum === 0x1_0000) console.log('unreachable');
  return gbPerSecond(BYTES_PER_ROUND, elapsed);
}

/** The same bytes through SecureChannel.sealStream, open and decodePlaintext. */
function channelRound(payloads: Buffer[], sealOnly: boolean): number {
  const aToB = randomBytes(32);
  const bToA = randomBytes(32);
  const sender = new SecureChannel({ sendKey: aToB, receiveKey: bToA });
  const receiver = new SecureChannel({ sendKey: bToA, receiveKey: aToB });
  let checksum = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < FRAMES_PER_ROUND; i++) {
    const frame = sender.sealStream(1, payloads[i % PAYLOADS]!);
    if (sealOnly) {
      checksum ^= frame[20]!;
      continue;
    }
    const decoded = decodePlaintext(receiver.open(frame));
    if (decoded.kind === 'stream') checksum ^= decoded.bytes[0]!;
  }
  const elapsed = process.hrtime.bigint() - start;
  if (checksum === 0x1_0000) console.log('unreachable');
  return gbPerSecond(BYTES_PER_ROUND, elapsed);
}

/** Runs the benchmark and prints medians, spread and ratios. */
export async function run(): Promise<void> {
  const payloads = Array.from({ length: PAYLOADS }, () => randomBytes(FRAME_PAYLOAD));
  const key = randomBytes(32);
  const raw: Figures = { sealOpen: [], sealOnly: [] };
  const channel: Figures = { sealOpen: [], sealOnly: [] };
  // Warm-up, then alternate the two so drift on a shared machine hits both alike.
  rawRound(payloads, key, false);
  channelRound(payloads, false);
  for (let round = 0; round < ROUNDS; round++) {
    raw.sealOpen.push(rawRound(payloads, key, false));
    channel.sealOpen.push(channelRound(payloads, false));
    raw.sealOnly.push(rawRound(payloads, key, true));
    channel.sealOnly.push(channelRound(payloads, true));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const line = (name: string, ch: number[], ref: number[]): string =>
    `${name.padEnd(12)} channel ${median(ch).toFixed(2)} GB/s (${spread(ch)})   ` +
    `raw AES-256-GCM ${median(ref).toFixed(2)} GB/s (${spread(ref)})   ` +
    `ratio ${(median(ch) / median(ref)).toFixed(2)}`;
  console.log(
    `secure channel: ${FRAME_PAYLOAD / 1024} KiB frames, ${BYTES_PER_ROUND / 2 ** 20} MiB a round, ` +
      `${ROUNDS} rounds, one core; median (min–max)`,
  );
  console.log(line('seal+open', channel.sealOpen, raw.sealOpen));
  console.log(line('seal only', channel.sealOnly, raw.sealOnly));
}

/** Entry point for `node bin/run-ts.js bench/channel.ts`. */
export async function main(): Promise<number> {
  await run();
  return 0;
}
