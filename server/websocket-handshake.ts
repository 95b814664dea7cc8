// The server half of the WebSocket opening handshake (RFC 6455 §4.2), for
// the relay's own socket layer (relay-socket.ts). The request is checked
// before authentication, so a malformed upgrade costs no signature check; the
// 101 answer is written only after the upgrade was admitted. No extension
// (compression) and no subprotocol is ever accepted.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { acceptValue } from '../platform/websocket-frames';
import { AssentError } from '../protocol/errors';

export { acceptValue };
/** A key is 16 random bytes in base64: 22 characters and `==`. */
const KEY_PATTERN = /^[+/0-9A-Za-z]{22}==$/;

function headerHas(value: string | undefined, token: string): boolean {
  return (value ?? '').split(',').some((part) => part.trim().toLowerCase() === token);
}

/**
 * Checks that `req` is a WebSocket version 13 upgrade and returns its
 * Sec-WebSocket-Key; throws RELAY_BAD_REQUEST (HTTP 400) otherwise.
 */
export function checkWebSocketRequest(req: IncomingMessage): string {
  const bad = (why: string): AssentError =>
    new AssentError('RELAY_BAD_REQUEST', `Not a WebSocket upgrade: ${why}.`);
  if (req.method !== 'GET') throw bad('the method must be GET');
  if (!headerHas(req.headers.upgrade, 'websocket')) throw bad('Upgrade must be websocket');
  if (!headerHas(req.headers.connection, 'upgrade')) throw bad('Connection must name Upgrade');
  if (req.headers['sec-websocket-version'] !== '13') throw bad('the version must be 13');
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) throw bad('Sec-WebSocket-Key is invalid');
  return key;
}

/** Writes the 101 answer that opens the WebSocket on `socket`. */
export function acceptWebSocket(socket: Duplex, key: string): void {
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\n' +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${acceptValue(key)}\r\n\r\n`,
  );
}
