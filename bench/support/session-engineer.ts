// The engineer side of bench/session.ts, in its own process as the engineer
// console is in real use: `node bin/run-ts.js bench/support/session-engineer.ts
// <setup.json>`. A real EngineerSession (vendor-certified key) that joins
// with the code the parent gives it, then measures round trips and sinks or
// sources bulk streams on command. Commands arrive over IPC
// (bench/support/bench-child.ts); the bench process only orchestrates and
// reads CPU times, so nothing else it does lands in the engineer's figures.
import { readFileSync } from 'node:fs';
import { EngineerSession } from '../../console/engineer-session';
import { importPrivateKey } from '../../platform/signing';
import type { EngineerCertificate } from '../../protocol/identity';
import { report, serveCommands } from './bench-child';
import { chatRoundTrips, messageRoundTrips, type Pacing } from './session-measures';
import { expectBytes, makeSources, sendBytes } from './stream-commands';

/** What the parent writes to the setup file. */
export interface SessionEngineerSetup {
  relayUrl: string;
  certificate: EngineerCertificate;
  /** The engineer's private key (exportPrivateKey form). */
  privateKey: string;
}

/** Entry point: serves the parent's commands until `quit`. */
export async function main(argv: string[]): Promise<number> {
  const setup = JSON.parse(readFileSync(argv[0]!, 'utf8')) as SessionEngineerSetup;
  const signingKey = importPrivateKey(setup.privateKey);
  const sources = makeSources();
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
      case 'send':
        await sendBytes(
          session().link,
          sources,
          command['streamId'] as number,
          command['bytes'] as number,
        );
        return;
      case 'expect':
        expectBytes(session().link, command['streamId'] as number, command['bytes'] as number);
        return;
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
