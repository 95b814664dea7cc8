// A TCP proxy on 127.0.0.1 that can cut every connection through it, the way
// a network drop would (no WebSocket close handshake, no FIN from the peer),
// or drop them for the client only while the target still believes them open.
import { createServer, connect, type Server, type Socket } from 'node:net';

interface Route {
  client: Socket;
  upstream: Socket;
  /** The client was cut off; the target's side is kept open and silent. */
  silenced: boolean;
}

export class TcpProxy {
  private constructor(
    private readonly server: Server,
    private readonly routes: Set<Route>,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1:0 and forwards to `targetPort`. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const routes = new Set<Route>();
    const server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      const route: Route = { client, upstream, silenced: false };
      routes.add(route);
      client.pipe(upstream).pipe(client);
      const drop = (): void => {
        client.destroy();
        if (route.silenced) return;
        upstream.destroy();
        routes.delete(route);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TcpProxy(server, routes, (server.address() as { port: number }).port);
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Resets every connection through the proxy. */
  cutAll(): void {
    for (const { client, upstream } of this.routes) {
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    this.routes.clear();
  }

  /**
   * Resets every client's connection but leaves the target's side open and
   * silent (nothing forwarded, nothing read, no FIN): a path that died where
   * the target has not noticed yet.
   */
  silenceAll(): void {
    for (const route of this.routes) {
      if (route.silenced) continue;
      route.silenced = true;
      route.client.unpipe(route.upstream);
      route.upstream.unpipe(route.client);
      route.upstream.pause();
      route.client.resetAndDestroy();
    }
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
