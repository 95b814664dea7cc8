// The server side of the plain-WebSocket reference in bench/session.ts, in
// its own process: `node bin/run-ts.js bench/support/ws-sink.ts`. One `ws`
// server on 127.0.0.1 (bufferutil on, no compression, no relay, no
// encryption) that counts binary bytes and echoes text messages. Reports
// `listening` with its port, then `received` each time the expected byte
// count (set by `expect`) has arrived.
import { WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES } from '../../protocol/limits';
import { report, serveCommands } from './bench-child';

/** Entry point: serves until the parent sends `quit`. */
export async function main(): Promise<number> {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: false,
    maxPayload: MAX_FRAME_BYTES,
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  let expected = Infinity;
  let received = 0;
  server.on('connection', (socket) => {
    socket.binaryType = 'nodebuffer';
    socket.on('message', (data, isBinary) => {
      if (!isBinary) {
        socket.send(data, { binary: false });
        return;
      }
      received += (data as Buffer).length;
      if (received >= expected) {
        report({ ev: 'received', bytes: received });
        expected = Infinity;
      }
    });
  });
  const address = server.address();
  report({ ev: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
  await serveCommands((command) => {
    if (command.op === 'expect') {
      received = 0;
      expected = command['bytes'] as number;
      report({ ev: 'expecting' });
    } else if (command.op === 'quit') {
      for (const client of server.clients) client.terminate();
      server.close();
    } else {
      throw new Error(`unknown command ${command.op}`);
    }
  });
  return 0;
}
