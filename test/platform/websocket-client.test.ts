// The agent's and engineer's WebSocket client: interoperates with `ws` as a
// server (messages both ways, large and fragmented, ping, closing handshake),
// reads refusals, and refuses a server that gets the upgrade or the framing
// wrong — each with a clear error, nothing delivered from a faulty frame.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  ConnectFailed,
  UpgradeRefused,
  WebSocketClient,
  type WebSocketClientHandlers,
} from '../../platform/websocket-client';
import type { FrameFault } from '../../platform/websocket-frames';
import { acceptValue } from '../../platform/websocket-frames';
import { makeSelfSignedCertificate } from '../server/tls-cert';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Handlers that record everything the client reports. */
function recorder() {
  const texts: string[] = [];
  const binaries: Buffer[] = [];
  const faults: FrameFault[] = [];
  let closed!: (info: { code: number; reason: string }) => void;
  const closedP = new Promise<{ code: number; reason: string }>((r) => (closed = r));
  const handlers: WebSocketClientHandlers = {
    text: (text) => texts.push(text),
    binary: (frame) => binaries.push(Buffer.from(frame)),
    close: (code, reason) => closed({ code, reason }),
    fault: (fault) => faults.push(fault),
  };
  return { texts, binaries, faults, closed: closedP, handlers };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

/** The request headers each server-side socket was opened with. */
const requestHeaders = new WeakMap<WebSocket, Record<string, unknown>>();

async function wsServer(
  maxPayload = 1024 * 1024,
): Promise<{ url: URL; next: () => Promise<WebSocket> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload });
  await once(wss, 'listening');
  cleanups.push(() => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
  const sockets: WebSocket[] = [];
  const waiters: Array<(ws: WebSocket) => void> = [];
  wss.on('connection', (ws, request) => {
    requestHeaders.set(ws, request.headers);
    const waiter = waiters.shift();
    if (waiter) waiter(ws);
    else sockets.push(ws);
  });
  return {
    url: new URL(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/agent`),
    next: () =>
      new Promise((resolve) => {
        const ws = sockets.shift();
        if (ws) resolve(ws);
        else waiters.push(resolve);
      }),
  };
}

/** A raw TCP server that answers each connection with `answer(request, socket)`. */
async function rawServer(answer: (request: string, socket: Socket) => void): Promise<URL> {
  const server: Server = createServer((socket) => {
    socket.on('error', () => undefined);
    let request = '';
    socket.on('data', (chunk: Buffer) => {
      if (request.includes('\r\n\r\n')) return;
      request += chunk.toString('latin1');
      if (request.includes('\r\n\r\n')) answer(request, socket);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => server.close());
  return new URL(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/agent`);
}

function keyOf(request: string): string {
  return /sec-websocket-key: (\S+)/i.exec(request)![1]!;
}

function upgraded(request: string, extra = ''): string {
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptValue(keyOf(request))}\r\n${extra}\r\n`;
}

const options = (url: URL, extra: Partial<Parameters<typeof WebSocketClient.connect>[0]> = {}) => ({
  url,
  headers: { 'x-assent-test': 'yes' },
  connectTimeoutMs: 2000,
  maxPayload: 1024 * 1024,
  ...extra,
});

async function connect(url: URL, handlers: WebSocketClientHandlers, extra = {}) {
  const client = await WebSocketClient.connect(options(url, extra), handlers);
  cleanups.push(() => client.terminate());
  return client;
}

describe('WebSocketClient against ws', () => {
  it('sends its headers and exchanges text and binary messages both ways, byte-exact', async () => {
    const server = await wsServer();
    const r = recorder();
    const client = await connect(server.url, r.handlers);
    const ws = await server.next();
    expect(requestHeaders.get(ws)?.['x-assent-test']).toBe('yes');
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    const big = randomBytes(700_000);
    const small = randomBytes(5);
    const sent = Buffer.from(big);
    client.sendBinary(sent, false);
    client.sendBinary(Buffer.from(small), true);
    client.sendText('{"t":"leave"} ü');
    await until(() => r.binaries.length === 2 && r.texts.length === 1);
    expect(r.binaries[0]!.equals(big)).toBe(true);
    expect(r.binaries[1]!.equals(small)).toBe(true);
    expect(r.texts).toEqual(['{"t":"leave"} ü']);
    // Not owned: the caller's buffer is untouched by masking.
    expect(sent.equals(big)).toBe(true);
  });

  it('masks an owned frame in place instead of copying it', async () => {
    const server = await wsServer();
    const r = recorder();
    const client = await connect(server.url, r.handlers);
    const ws = await server.next();
    const got = new Promise<Buffer>((resolve) => ws.once('message', (d) => resolve(d as Buffer)));
    const frame = randomBytes(4096);
    const original = Buffer.from(frame);
    let written = false;
    client.sendBinary(frame, true, () => (written = true));
    expect((await got).equals(original)).toBe(true);
    await until(() => written);
    expect(frame.equals(original)).toBe(false);
  });

  it('takes fragmented messages whole and answers pings', async () => {
    const server = await wsServer();
    const r = recorder();
    await connect(server.url, r.handlers);
    const ws = await server.next();
    const parts = [randomBytes(10), randomBytes(100_000), randomBytes(3)];
    ws.send(parts[0]!, { binary: true, fin: false });
    ws.send(parts[1]!, { binary: true, fin: false });
    ws.send(parts[2]!, { binary: true, fin: true });
    const pong = new Promise<Buffer>((resolve) => ws.once('pong', (d) => resolve(d)));
    ws.ping(Buffer.from('are you there'));
    expect((await pong).toString()).toBe('are you there');
    await until(() => r.binaries.length === 1);
    expect(r.binaries[0]!.equals(Buffer.concat(parts))).toBe(true);
  });

  it('runs the closing handshake from either side and reports the code', async () => {
    const server = await wsServer();
    const byServer = recorder();
    await connect(server.url, byServer.handlers);
    (await server.next()).close(4001, 'RELAY_PEER_GONE');
    expect(await byServer.closed).toEqual({ code: 4001, reason: 'RELAY_PEER_GONE' });

    const byClient = recorder();
    const client = await connect(server.url, byClient.handlers);
    const ws = await server.next();
    const serverSaw = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    client.close(1000, 'leaving');
    expect(await serverSaw).toBe(1000);
    expect((await byClient.closed).code).toBe(1000);
    expect(client.isClosed).toBe(true);

    const dropped = recorder();
    const cut = await connect(server.url, dropped.handlers);
    await server.next();
    cut.terminate();
    expect((await dropped.closed).code).toBe(1006);
  });

  it('closes with 1009 on a message over maxPayload, and delivers none of it', async () => {
    const server = await wsServer();
    const r = recorder();
    await connect(server.url, r.handlers, { maxPayload: 1000 });
    const ws = await server.next();
    const serverSaw = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(Buffer.alloc(1001), { binary: true });
    expect(await serverSaw).toBe(1009);
    await r.closed;
    expect(r.faults.map((f) => f.closeCode)).toEqual([1009]);
    expect(r.binaries).toEqual([]);
  });
});

describe('WebSocketClient over TLS', () => {
  it('refuses an untrusted certificate and talks through a trusted one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'assent-wsc-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const tls = makeSelfSignedCertificate(dir);
    const https = createHttpsServer({ cert: tls.cert, key: tls.key });
    const wss = new WebSocketServer({ server: https });
    wss.on('connection', (ws) =>
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary })),
    );
    https.listen(0, '127.0.0.1');
    await once(https, 'listening');
    cleanups.push(() => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      https.close();
    });
    const url = new URL(`wss://127.0.0.1:${(https.address() as AddressInfo).port}/agent`);

    const untrusted = await WebSocketClient.connect(options(url), recorder().handlers).catch(
      (e: unknown) => e,
    );
    expect(untrusted).toBeInstanceOf(ConnectFailed);
    expect(String((untrusted as Error).message)).toMatch(/self[- ]signed|unable to verify/i);

    const r = recorder();
    const client = await connect(url, r.handlers, { ca: tls.cert });
    const payload = randomBytes(300_000);
    client.sendBinary(Buffer.from(payload), true);
    await until(() => r.binaries.length === 1);
    expect(r.binaries[0]!.equals(payload)).toBe(true);
  });
});

describe('WebSocketClient refusing a bad server', () => {
  it('reads a refusal: status, headers and the JSON body (with or without a length)', async () => {
    const body = JSON.stringify({ code: 'RELAY_CODE_UNKNOWN', message: 'no such code' });
    for (const framing of ['length', 'close'] as const) {
      const url = await rawServer((_request, socket) => {
        const length = framing === 'length' ? `Content-Length: ${body.length}\r\n` : '';
        socket.end(`HTTP/1.1 404 Not Found\r\nRetry-After: 3\r\n${length}\r\n${body}`);
      });
      const error = await WebSocketClient.connect(options(url), recorder().handlers).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UpgradeRefused);
      const refusal = error as UpgradeRefused;
      expect(refusal.status).toBe(404);
      expect(refusal.headers['retry-after']).toBe('3');
      expect(JSON.parse(refusal.body.toString())).toEqual(JSON.parse(body));
    }
  });

  it.each([
    [
      'a wrong Sec-WebSocket-Accept',
      (req: string) => upgraded(req).replace(/Accept: \S+/, 'Accept: AAAA'),
    ],
    [
      'an extension it never offered',
      (req: string) => upgraded(req, 'Sec-WebSocket-Extensions: permessage-deflate\r\n'),
    ],
    ['a 101 without Upgrade', (req: string) => upgraded(req).replace('Upgrade: websocket\r\n', '')],
    ['something that is not HTTP', () => 'SSH-2.0-OpenSSH_9.2\r\n\r\n'],
    ['an endless header', () => `HTTP/1.1 101 OK\r\nX: ${'y'.repeat(20_000)}`],
  ])('fails to connect on %s', async (_name, answer) => {
    const url = await rawServer((request, socket) => socket.write(answer(request)));
    await expect(WebSocketClient.connect(options(url), recorder().handlers)).rejects.toBeInstanceOf(
      ConnectFailed,
    );
  });

  it('fails to connect when nobody answers in time or nobody listens', async () => {
    const silent = await rawServer(() => undefined);
    await expect(
      WebSocketClient.connect(options(silent, { connectTimeoutMs: 100 }), recorder().handlers),
    ).rejects.toThrow(/no answer within 100 ms/);
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    server.close();
    await expect(
      WebSocketClient.connect(options(new URL(`ws://127.0.0.1:${port}/`)), recorder().handlers),
    ).rejects.toBeInstanceOf(ConnectFailed);
  });

  it('closes with 1002 when the server masks a frame, delivering nothing of it', async () => {
    const url = await rawServer((request, socket) => {
      const masked = Buffer.from([0x82, 0x81, 1, 2, 3, 4, 0x55]);
      socket.write(Buffer.concat([Buffer.from(upgraded(request), 'latin1'), masked]));
      socket.on('end', () => socket.end());
    });
    const r = recorder();
    await connect(url, r.handlers);
    expect((await r.closed).code).toBe(1002);
    expect(r.faults[0]?.message).toMatch(/must not be masked/);
    expect(r.binaries).toEqual([]);
  });

  it('refuses a URL that is not ws:, wss:, http: or https:', async () => {
    await expect(
      WebSocketClient.connect(options(new URL('ftp://127.0.0.1:1/')), recorder().handlers),
    ).rejects.toThrow(/must be ws: or wss:/);
  });

  it('refuses request headers that could smuggle a line', async () => {
    const url = await rawServer(() => undefined);
    await expect(
      WebSocketClient.connect(
        { ...options(url), headers: { 'x-evil': 'a\r\nHost: elsewhere' } },
        recorder().handlers,
      ),
    ).rejects.toThrow(TypeError);
  });
});
