import { describe, expect, it } from 'vitest';
import { RELAY_PATHS } from '../../protocol/wire/relay';
import { generateSigningKeyPair } from '../../platform/signing';
import type { Relay } from '../../server/relay';
import {
  cleanUpAfterEach,
  expectPeer,
  headersFor,
  makeVendor,
  open,
  pairUp,
  startRelay,
  tempDir,
  type Peer,
} from './relay-harness';
import { makeSelfSignedCertificate } from './tls-cert';

const vendor = makeVendor();
let relay: Relay | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
const peers: Peer[] = [];
cleanUpAfterEach(peers);

describe('relay over TLS', () => {
  it('serves wss with the given certificate and pairs over it', async () => {
    dir = tempDir();
    const tls = makeSelfSignedCertificate(dir.path);
    relay = await startRelay(vendor, { tls: { cert: tls.cert, key: tls.key } });
    expect(relay.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);

    // A client that does not trust the certificate never gets as far as the upgrade.
    const untrusted = await open(
      relay.url,
      RELAY_PATHS.agent,
      headersFor('agent', generateSigningKeyPair(), ''),
    ).catch((err: NodeJS.ErrnoException) => err);
    expect(untrusted).toBeInstanceOf(Error);
    expect((untrusted as NodeJS.ErrnoException).code).toMatch(
      /SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/,
    );

    const pair = await pairUp(relay, vendor, { client: { ca: tls.cert } });
    peers.push(pair.agent, pair.engineer);
    pair.agent.ws.send(Buffer.from('over tls'), { binary: true });
    expect((await pair.engineer.bytes(8)).toString()).toBe('over tls');
    peers.push(
      expectPeer(
        await open(
          relay.url,
          RELAY_PATHS.agent,
          headersFor('agent', generateSigningKeyPair(), ''),
          { ca: tls.cert },
        ),
      ),
    );
  });
});
