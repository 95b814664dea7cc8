// A malicious relay for tests (DESIGN "Threat model": treat the relay as
// hostile). It speaks the relay's control protocol well enough to pair an
// agent and an engineer, then lets the test replay, reorder, reflect,
// truncate, inject and oversize the binary frames it is supposed to forward.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { AUTH_HEADERS } from '../../protocol/wire/relay';
import { fromBase64Url } from '../../platform/encoding';

export type Side = 'agent' | 'engineer';

/** What to deliver for one forwarded frame: to the other side (`peer`) or back to the sender (`self`). */
export type Delivery = { to: 'peer' | 'self'; frame: Buffer };

/** Decides what happens to the n-th binary frame (per direction, from 0) sent by `from`. */
export type Tamper = (from: Side, frame: Buffer, n: number) => Delivery[];

export class HostileRelay {
  private agent: WebSocket | undefined;
  private engineer: WebSocket | undefined;
  private readonly counts = { agent: 0, engineer: 0 };
  readonly code = '4242424242';
  tamper: Tamper = (_from, frame) => [{ to: 'peer', frame }];

  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(): Promise<HostileRelay> {
    const server = createServer();
    const wss = new WebSocketServer({
      server,
      perMessageDeflate: false,
      maxPayload: 64 * 1024 * 1024,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const relay = new HostileRelay(
      server,
      wss,
      `ws://127.0.0.1:${(server.address() as { port: number }).port}`,
    );
    wss.on('connection', (socket, request) =>
      relay.onConnection(socket, request.url ?? '', request.headers),
    );
    return relay;
  }

  private onConnection(
    socket: WebSocket,
    path: string,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    const side: Side = path.startsWith('/v1/agent') ? 'agent' : 'engineer';
    socket.on('error', () => undefined);
    if (side === 'agent') {
      this.agent = socket;
      socket.send(JSON.stringify({ t: 'welcome', relay: 'hostile' }));
      socket.send(JSON.stringify({ t: 'code', code: this.code, expiresAt: Date.now() + 600_000 }));
      (socket as unknown as { deviceKey: string }).deviceKey = String(
        headers[AUTH_HEADERS.deviceKey],
      );
    } else {
      this.engineer = socket;
      const certificate = JSON.parse(
        fromBase64Url(String(headers[AUTH_HEADERS.certificate])).toString('utf8'),
      ) as unknown;
      const token = (): string => randomBytes(32).toString('base64url');
      this.agent?.send(
        JSON.stringify({
          t: 'paired',
          pairId: 'p1',
          resumeToken: token(),
          peer: { role: 'engineer', certificate },
        }),
      );
      socket.send(
        JSON.stringify({
          t: 'paired',
          pairId: 'p1',
          resumeToken: token(),
          peer: {
            role: 'agent',
            deviceKey: (this.agent as unknown as { deviceKey: string }).deviceKey,
          },
        }),
      );
    }
    socket.on('message', (data, isBinary) => {
      if (!isBinary) return;
      const frame = data as Buffer;
      const n = this.counts[side]++;
      for (const delivery of this.tamper(side, frame, n)) this.deliver(side, delivery);
    });
  }

  /** Sends raw bytes to one side, as if the other side had sent them. */
  inject(to: Side, frame: Buffer): void {
    (to === 'agent' ? this.agent : this.engineer)?.send(frame, { binary: true });
  }

  private deliver(from: Side, delivery: Delivery): void {
    const to = delivery.to === 'self' ? from : from === 'agent' ? 'engineer' : 'agent';
    this.inject(to, delivery.frame);
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
