// The engineer side of bench/session.ts, in its own process as the engineer
// console is in real use: `node bin/run-ts.js bench/support/session-engineer.ts
// <setup.json>`. A real EngineerSession (vendor-certified key) that joins
// with the code the parent gives it, then measures round trips and sinks or
// sources bulk streams on command. Commands arrive over IPC
// (bench/support/bench-child.ts); the bench process only orchestrates and
// reads CPU times, so nothing else it does lands in the engineer's figures.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EngineerSession } from '../../console/engineer-session';
import { importPrivateKey } from '../../platform/signing';
import type { EngineerCertificate } from '../../protocol/identity';
import { report, serveCommands } from './bench-child';
import { chatRoundTrips, messageRoundTrips, type Pacing } from './session-measures';

/** What the parent writes to the setup file. */
export interface SessionEngineerSetup {
  relayUrl: string;
  certificate: EngineerCertificate;
  /** The engineer's private key (exportPrivateKey form). */
  privateKey: string;
}

/** Distinct source buffers cycled through when the engineer sends (not one hot buffer). */
const SOURCE_BUFFERS = 4;
const SOURCE_CHUNK_BYTES = 1024 * 1024;

/** Entry point: serves the parent's commands until `quit`. */
export async function main(argv: string[]): Promise<number> {
  const setup = JSON.parse(readFileSync(argv[0]!, 'utf8')) as SessionEngineerSetup;
  const signingKey = importPrivateKey(setup.privateKey);
  const sources = Array.from({ length: SOURCE_BUFFERS }, () => randomBytes(SOURCE_CHUNK_BYTES));
  let engineer: EngineerSession | undefined;
  const session = (): EngineerSession => {
    if (!engineer) throw new Error('no session: send connect first');
    return engineer;
  };
  const pacing = (command: Record<string, unknown>): Pacing => ({
    count: command['count'] as number,
    warmup: command['warmup'] as number,
    intervalMs: command['intervalMs'] as number,
  });

  await serveCommands(async (command) => {
    switch (command.op) {
      case 'connect': {
        const t0 = performance.now();
        engineer = await EngineerSession.connect({
          relayUrl: setup.relayUrl,
          code: command['code'] as string,
          certificate: setup.certificate,
          signingKey,
          reason: 'Benchmark',
        });
        await engineer.waitForApproval();
        report({ ev: 'approved', ms: performance.now() - t0 });
        return;
      }
      case 'chat-round-trips':
        report({ ev: 'round-trips', times: await chatRoundTrips(session(), pacing(command)) });
        return;
      case 'message-round-trips':
        report({ ev: 'round-trips', times: await messageRoundTrips(session(), pacing(command)) });
        return;
      case 'open-stream':
        report({ ev: 'stream', streamId: session().link.nextStreamId() });
        return;
      case 'send': {
        const streamId = command['streamId'] as number;
        const bytes = command['bytes'] as number;
        const link = session().link;
        for (let sent = 0, i = 0; sent < bytes; sent += SOURCE_CHUNK_BYTES, i++) {
          const source = sources[i % sources.length]!;
          await link.sendStream(
            streamId,
            source.subarray(0, Math.min(source.length, bytes - sent)),
          );
        }
        report({ ev: 'sent' });
        return;
      }
      case 'expect': {
        const streamId = command['streamId'] as number;
        const bytes = command['bytes'] as number;
        let received = 0;
        const off = session().link.onStream(streamId, (chunk) => {
          received += chunk.length;
          if (received >= bytes) {
            off();
            report({ ev: 'received', bytes: received });
          }
        });
        report({ ev: 'expecting', streamId });
        return;
      }
      case 'end':
        await engineer?.endSession(String(command['reason'] ?? 'benchmark over'));
        engineer = undefined;
        report({ ev: 'ended' });
        return;
      case 'quit':
        await engineer?.endSession('benchmark over');
        return;
      default:
        throw new Error(`unknown command ${command.op}`);
    }
  });
  return 0;
}
