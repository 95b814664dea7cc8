// The relay's own WebSocket layer, spoken to byte by byte over a raw TCP
// socket: every framing fault a client can commit gets the close code ws
// would give it, and messages arrive whole whatever the read boundaries.
// (The relay tests drive it with real `ws` clients.)
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RelaySocket } from '../../server/relay-socket';
import { acceptValue, checkWebSocketRequest } from '../../server/websocket-handshake';
import type { IncomingMessage } from 'node:http';

const MAX_PAYLOAD = 4096;

interface Rig {
  server: Server;
  relay: RelaySocket;
  client: Socket;
  /** Everything the relay wrote to the client. */
  received: () => Buffer;
  messages: Array<{ data: Buffer; isBinary: boolean }>;
  closed: Promise<number>;
  errors: Error[];
}

const rigs: Rig[] = [];
afterEach(() => {
  for (const rig of rigs.splice(0)) {
    rig.client.destroy();
    rig.relay.terminate();
    rig.server.close();
  }
});

async function rig(): Promise<Rig> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const [socket] = await accepted;
  const relay = new RelaySocket(socket, MAX_PAYLOAD);
  const chunks: Buffer[] = [];
  client.on('data', (chunk: Buffer) => chunks.push(chunk));
  client.on('error', () => undefined);
  const messages: Rig['messages'] = [];
  const errors: Error[] = [];
  relay.on('binary', (pieces, length) =>
    messages.push({ data: Buffer.concat(pieces, length), isBinary: true }),
  );
  relay.on('text', (text) => messages.push({ data: Buffer.from(text, 'utf8'), isBinary: false }));
  relay.on('error', (error) => errors.push(error));
  const closed = new Promise<number>((resolve) => relay.once('close', resolve));
  const result = {
    server,
    relay,
    client,
    received: () => Buffer.concat(chunks),
    messages,
    closed,
    errors,
  };
  rigs.push(result);
  return result;
}

/** A client frame: masked unless told otherwise. */
function frame(
  opcode: number,
  payload: Buffer,
  options: { fin?: boolean; masked?: boolean; rsv?: number; mask?: Buffer } = {},
): Buffer {
  const { fin = true, masked = true, rsv = 0 } = options;
  const mask = options.mask ?? randomBytes(4);
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + (masked ? 4 : 0));
  header[0] = (fin ? 0x80 : 0) | rsv | opcode;
  header[1] = (masked ? 0x80 : 0) | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) header.writeUInt16BE(length, 2);
  if (lengthBytes === 8) header.writeBigUInt64BE(BigInt(length), 2);
  const body = Buffer.from(payload);
  if (masked) {
    mask.copy(header, 2 + lengthBytes);
    for (let i = 0; i < body.length; i++) body[i]! ^= mask[i & 3]!;
  }
  return Buffer.concat([header, body]);
}

function closePayload(code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return payload;
}

/** The close code in the first close frame the relay sent, if any. */
function sentCloseCode(bytes: Buffer): number | undefined {
  let offset = 0;
  while (offset + 2 <= bytes.length) {
    const opcode = bytes[offset]! & 0x0f;
    let length = bytes[offset + 1]! & 0x7f;
    let start = offset + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(offset + 2);
      start += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(offset + 2));
      start += 8;
    }
    if (opcode === 0x8) return bytes.readUInt16BE(start);
    offset = start + length;
  }
  return undefined;
}

/** Writes `bytes` one small piece at a time, so frames straddle every kind of read boundary. */
async function trickle(socket: Socket, bytes: Buffer, step: number): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += step) {
    socket.write(bytes.subarray(offset, offset + step));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

describe('the relay WebSocket layer', () => {
  it('reassembles messages whatever the read boundaries and the mask alignment', async () => {
    const r = await rig();
    const big = randomBytes(3000);
    const parts = [randomBytes(7), randomBytes(1001), randomBytes(2)];
    const bytes = Buffer.concat([
      frame(0x2, big),
      frame(0x1, Buffer.from('{"t":"leave"}')),
      // A fragmented binary message: delivered as one message.
      frame(0x2, parts[0]!, { fin: false }),
      frame(0x9, Buffer.from('ping inside')),
      frame(0x0, parts[1]!, { fin: false }),
      frame(0x0, parts[2]!),
      frame(0x2, Buffer.alloc(0)),
    ]);
    await trickle(r.client, bytes, 3);
    await until(() => r.messages.length === 4);
    expect(r.messages[0]).toEqual({ data: big, isBinary: true });
    expect(r.messages[1]).toEqual({ data: Buffer.from('{"t":"leave"}'), isBinary: false });
    expect(r.messages[2]!.data.equals(Buffer.concat(parts))).toBe(true);
    expect(r.messages[3]).toEqual({ data: Buffer.alloc(0), isBinary: true });
    // The ping was answered with its payload, unmasked.
    const pong = Buffer.from([0x8a, 11, ...Buffer.from('ping inside')]);
    await until(() => r.received().includes(pong));
    expect(r.errors).toEqual([]);
  });

  it('sends unmasked frames with the right length encodings, pieces gathered', async () => {
    const r = await rig();
    const pieces = [randomBytes(100), randomBytes(70_000)];
    r.relay.sendBinary(pieces, 70_100);
    r.relay.sendText('{"t":"code"}');
    const expected = Buffer.concat([
      Buffer.from([0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0xd4]),
      ...pieces,
      Buffer.from([0x81, 12]),
      Buffer.from('{"t":"code"}'),
    ]);
    await until(() => r.received().length >= expected.length);
    expect(r.received().equals(expected)).toBe(true);
  });

  it.each([
    ['an unmasked frame', frame(0x2, Buffer.from('x'), { masked: false }), 1002],
    ['RSV bits', frame(0x2, Buffer.from('x'), { rsv: 0x40 }), 1002],
    ['an unknown data opcode', frame(0x3, Buffer.from('x')), 1002],
    ['an unknown control opcode', frame(0xb, Buffer.alloc(0)), 1002],
    ['a fragmented control frame', frame(0x9, Buffer.alloc(1), { fin: false }), 1002],
    ['a control frame over 125 bytes', frame(0x9, Buffer.alloc(126)), 1002],
    ['a continuation without a message', frame(0x0, Buffer.from('x')), 1002],
    [
      'a new message inside a fragmented one',
      Buffer.concat([frame(0x2, Buffer.from('a'), { fin: false }), frame(0x2, Buffer.from('b'))]),
      1002,
    ],
    ['a message over maxPayload', frame(0x2, Buffer.alloc(MAX_PAYLOAD + 1)), 1009],
    [
      'fragments that add up to more than maxPayload',
      Buffer.concat([
        frame(0x2, Buffer.alloc(MAX_PAYLOAD), { fin: false }),
        frame(0x0, Buffer.alloc(1)),
      ]),
      1009,
    ],
    [
      'a length beyond 32 bits',
      Buffer.from([0x82, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4]),
      1009,
    ],
    ['invalid UTF-8 in a text message', frame(0x1, Buffer.from([0xc3, 0x28])), 1007],
    ['a one-byte close frame', frame(0x8, Buffer.alloc(1)), 1002],
    ['a reserved close code', frame(0x8, closePayload(1005)), 1002],
    ['a close code out of range', frame(0x8, closePayload(2999)), 1002],
    ['invalid UTF-8 in a close reason', frame(0x8, Buffer.from([0x03, 0xe8, 0xff])), 1007],
  ])('closes on %s, and delivers nothing of it', async (_name, bytes, code) => {
    const r = await rig();
    r.client.write(bytes);
    await r.closed;
    expect(sentCloseCode(r.received())).toBe(code);
    expect(r.errors).toHaveLength(1);
    expect(r.messages).toEqual([]);
  });

  it('answers a close frame with the same code and reports it', async () => {
    const r = await rig();
    r.client.write(frame(0x8, closePayload(1000, 'bye')));
    expect(await r.closed).toBe(1000);
    expect(sentCloseCode(r.received())).toBe(1000);
    expect(r.errors).toEqual([]);
  });

  it('reports 1006 when the connection simply ends, and 1005 for an empty close', async () => {
    const dropped = await rig();
    dropped.client.destroy();
    expect(await dropped.closed).toBe(1006);
    const empty = await rig();
    empty.client.write(frame(0x8, Buffer.alloc(0)));
    expect(await empty.closed).toBe(1005);
  });

  it('closes first when asked, and finishes once the peer answers', async () => {
    const r = await rig();
    r.relay.close(4001, 'RELAY_PEER_GONE');
    expect(r.relay.readyState).toBe(2);
    r.relay.sendText('dropped: not open');
    await until(() => sentCloseCode(r.received()) === 4001);
    r.client.write(frame(0x8, closePayload(4001)));
    expect(await r.closed).toBe(4001);
    expect(r.received().includes(Buffer.from('dropped'))).toBe(false);
  });
});

describe('the WebSocket opening handshake', () => {
  const request = (headers: Record<string, string>, method = 'GET'): IncomingMessage =>
    ({ method, headers }) as unknown as IncomingMessage;
  const good = {
    upgrade: 'websocket',
    connection: 'keep-alive, Upgrade',
    'sec-websocket-version': '13',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  };

  it('computes the accept value of RFC 6455 §1.3', () => {
    expect(acceptValue('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(checkWebSocketRequest(request(good))).toBe('dGhlIHNhbXBsZSBub25jZQ==');
  });

  it.each([
    ['POST', good, 'POST'],
    ['no Upgrade', { ...good, upgrade: 'h2c' }, 'GET'],
    ['no Connection: Upgrade', { ...good, connection: 'close' }, 'GET'],
    ['version 8', { ...good, 'sec-websocket-version': '8' }, 'GET'],
    ['a short key', { ...good, 'sec-websocket-key': 'c2hvcnQ=' }, 'GET'],
  ])('refuses %s with RELAY_BAD_REQUEST', (_name, headers, method) => {
    expect(() => checkWebSocketRequest(request(headers, method))).toThrow(
      expect.objectContaining({ code: 'RELAY_BAD_REQUEST' }),
    );
  });
});
