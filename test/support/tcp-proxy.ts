// A TCP proxy on 127.0.0.1 that can cut every connection through it, the way
// a network drop would (no WebSocket close handshake, no FIN from the peer).
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1:0 and forwards to `targetPort`. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const sockets = new Set<Socket>();
    const server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TcpProxy(server, sockets, (server.address() as { port: number }).port);
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Resets every connection through the proxy. */
  cutAll(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
