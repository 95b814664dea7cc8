// The vendor relay (issue 2, "Relay"): an HTTP(S) server whose only business
// is authenticated WebSocket upgrades. The request is checked as a WebSocket
// upgrade (websocket-handshake.ts) and authenticated (upgrade-gate.ts) in the
// `upgrade` event, before the 101 answer: a refused request gets an HTTP
// status and a small JSON body, and its socket is destroyed, never a
// half-open WebSocket. Admitted sockets are served by relay-socket.ts;
// pairing and forwarding live in switchboard.ts.
import { mkdir } from 'node:fs/promises';
import { createServer as createHttpServer, STATUS_CODES, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { AssentError, ERROR_CODES, isAssentError } from '../protocol/errors';
import {
  AUTH_MAX_SKEW_MS,
  FREE_ATTEMPTS_PER_SOURCE,
  HEARTBEAT_INTERVAL_MS,
  MAX_FAILED_ATTEMPTS_PER_CODE,
  MAX_FRAME_BYTES,
  RELAY_HIGH_WATER_BYTES,
  RESUME_GRACE_MS,
  SESSION_CODE_DIGITS,
  SESSION_CODE_PREFIX_DIGITS,
  SESSION_CODE_TTL_MS,
  SOURCE_BACKOFF_BASE_MS,
  SOURCE_BACKOFF_MAX_MS,
  SOURCE_FAILURE_WINDOW_MS,
} from '../protocol/limits';
import type { RelayToPeer } from '../protocol/wire/relay';
import { NonceCache } from './nonce-cache';
import { RevocationSource } from './revocation-source';
import { SessionLog } from './session-log';
import { SourceLimiter } from './source-limiter';
import { RelaySocket } from './relay-socket';
import { Switchboard } from './switchboard';
import { admitUpgrade, type GateContext } from './upgrade-gate';
import { acceptWebSocket, checkWebSocketRequest } from './websocket-handshake';

/** Name and version the relay announces in `welcome`. */
export const RELAY_NAME = 'assent-relay/1';

/** Relay settings; every limit defaults to its named constant in protocol/limits.ts. */
export interface RelayOptions {
  host: string;
  /** 0 picks a free port (see `Relay.port`). */
  port: number;
  /** PEM certificate and key: serve wss. Without them, ws (the CLI allows that only on loopback). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** The vendor's raw Ed25519 public key (base64url) that engineer certificates must be signed by. */
  vendorPublicKey: string;
  /** Holds revocations.json (read) and relay-sessions.jsonl (appended); no files without it. */
  dataDir?: string;
  codeTtlMs?: number;
  heartbeatIntervalMs?: number;
  resumeGraceMs?: number;
  /** Largest message a peer may send: larger ones close with 1009. */
  maxPayload?: number;
  highWaterBytes?: number;
  freeAttemptsPerSource?: number;
  sourceBackoffBaseMs?: number;
  sourceBackoffMaxMs?: number;
  sourceFailureWindowMs?: number;
  maxFailedAttemptsPerCode?: number;
  /** Open WebSockets beyond this are refused with 503 RELAY_FULL. */
  maxConnections?: number;
  /** Clock for codes, proofs, credentials and logs (tests inject one). */
  now?: () => number;
  log?: (line: string) => void;
}

/** The defaults, spread first under the caller's options. */
export const DEFAULT_RELAY_OPTIONS = {
  codeTtlMs: SESSION_CODE_TTL_MS,
  heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
  resumeGraceMs: RESUME_GRACE_MS,
  maxPayload: MAX_FRAME_BYTES,
  highWaterBytes: RELAY_HIGH_WATER_BYTES,
  freeAttemptsPerSource: FREE_ATTEMPTS_PER_SOURCE,
  sourceBackoffBaseMs: SOURCE_BACKOFF_BASE_MS,
  sourceBackoffMaxMs: SOURCE_BACKOFF_MAX_MS,
  sourceFailureWindowMs: SOURCE_FAILURE_WINDOW_MS,
  maxFailedAttemptsPerCode: MAX_FAILED_ATTEMPTS_PER_CODE,
  maxConnections: 50_000,
  now: Date.now,
  log: (line: string): void => void line,
} satisfies Partial<RelayOptions>;

/** Counters a relay reports. */
export interface RelayStats {
  /** Open WebSockets. */
  connections: number;
  /** Agents waiting with a live code. */
  waiting: number;
  pairs: number;
  /** Bytes forwarded since start (both directions). */
  bytes: number;
  /** Bytes queued to peers right now (bounded by backpressure). */
  queuedBytes: number;
}

/** A running relay. */
export interface Relay {
  /** ws://host:port or wss://host:port. */
  readonly url: string;
  readonly port: number;
  stats(): RelayStats;
  /** Closes every socket with 1001 and stops the server. */
  close(): Promise<void>;
}

/** Writes an HTTP error for a refused upgrade and destroys the socket. */
function refuseUpgrade(socket: Duplex, err: AssentError): void {
  const status = ERROR_CODES[err.code].httpStatus ?? 500;
  const body = JSON.stringify(err.toJSON());
  const retryAfterMs = err.details?.retryAfterMs;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  if (typeof retryAfterMs === 'number')
    lines.push(`Retry-After: ${Math.ceil(retryAfterMs / 1000)}`);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/**
 * Error listener for raw upgrade sockets. A module-level function on purpose:
 * a closure here would keep the whole upgrade request (headers, certificate)
 * alive for the life of the connection, which costs kilobytes per socket.
 */
function destroySocket(this: Duplex): void {
  this.destroy();
}

/** Starts a relay; resolves once it listens. */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  const o = { ...DEFAULT_RELAY_OPTIONS, ...options };
  if (o.dataDir !== undefined) await mkdir(o.dataDir, { recursive: true });
  const revocations = new RevocationSource(o.dataDir, o.vendorPublicKey, o.log);
  await revocations.refresh(true);
  const sessionLog = new SessionLog(o.dataDir, o.log);

  const welcome = (): RelayToPeer => {
    const list = revocations.current;
    // A list too large for one frame is left out; agents then keep the one they have.
    if (list && JSON.stringify(list).length < o.maxPayload - 1024)
      return { t: 'welcome', relay: RELAY_NAME, revocations: list };
    return { t: 'welcome', relay: RELAY_NAME };
  };
  const switchboard = new Switchboard({
    codes: {
      digits: SESSION_CODE_DIGITS,
      prefixDigits: SESSION_CODE_PREFIX_DIGITS,
      ttlMs: o.codeTtlMs,
      maxFailedAttempts: o.maxFailedAttemptsPerCode,
    },
    resumeGraceMs: o.resumeGraceMs,
    highWaterBytes: o.highWaterBytes,
    now: o.now,
    sessionLog,
    welcome,
  });
  const limits = {
    freeAttempts: o.freeAttemptsPerSource,
    backoffBaseMs: o.sourceBackoffBaseMs,
    backoffMaxMs: o.sourceBackoffMaxMs,
    windowMs: o.sourceFailureWindowMs,
  };
  const gate: GateContext = {
    vendorPublicKey: o.vendorPublicKey,
    now: o.now,
    authFailures: new SourceLimiter(limits),
    codeFailures: new SourceLimiter(limits),
    nonces: new NonceCache(AUTH_MAX_SKEW_MS),
    revocations,
    switchboard,
    isFull: () => switchboard.connections >= o.maxConnections,
  };

  let closing: Promise<void> | undefined;
  const server = o.tls
    ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key })
    : createHttpServer();
  server.on('request', (_req, res) => {
    const body = JSON.stringify({ code: 'RELAY_BAD_REQUEST', message: 'WebSocket upgrades only.' });
    res.writeHead(426, { 'content-type': 'application/json', connection: 'close' }).end(body);
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', destroySocket);
    let key: string;
    try {
      key = checkWebSocketRequest(req);
    } catch (err) {
      refuseUpgrade(socket, err as AssentError);
      return;
    }
    admitUpgrade(req, gate).then(
      (admission) => {
        if (closing || !socket.writable) {
          if (admission.kind === 'join') switchboard.releaseClaim(admission.agent);
          refuseUpgrade(socket, new AssentError('RELAY_SHUTTING_DOWN'));
          return;
        }
        socket.off('error', destroySocket);
        acceptWebSocket(socket, key);
        const ws = new RelaySocket(socket, o.maxPayload);
        if (admission.kind === 'agent') switchboard.admitAgent(ws, admission.identity);
        else if (admission.kind === 'join')
          switchboard.admitEngineer(ws, admission.identity, admission.agent);
        else switchboard.resume(ws, admission.identity, admission.seat);
        ws.receive(head);
      },
      (err: unknown) => {
        const refusal = isAssentError(err)
          ? err
          : new AssentError('INTERNAL', undefined, { cause: err });
        // Who was refused and why, never what they sent.
        o.log(
          `refused ${req.socket.remoteAddress ?? '?'}: ${refusal.code}${isAssentError(err) ? '' : ` (${String(err)})`}`,
        );
        refuseUpgrade(socket, refusal);
      },
    );
  });

  const heartbeat = setInterval(() => switchboard.heartbeat(), o.heartbeatIntervalMs);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `${o.tls ? 'wss' : 'ws'}://${host}:${port}`;
  o.log(`listening on ${url}`);

  return {
    url,
    port,
    stats: () => switchboard.stats(),
    close: () => {
      closing ??= (async () => {
        clearInterval(heartbeat);
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        const open = switchboard.shutdown();
        // Peers get the close handshake; ones that do not answer promptly are cut off.
        const cutoff = setTimeout(() => {
          for (const conn of open) conn.ws.terminate();
          server.closeAllConnections();
        }, 2000);
        await serverClosed;
        clearTimeout(cutoff);
        await sessionLog.close();
      })();
      return closing;
    },
  };
}
