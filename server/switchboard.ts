// The relay's pairing state: waiting agents with their codes, paired
// sessions, forwarding with backpressure, drop and resume, and the heartbeat.
// Connections reach it only after the upgrade was authenticated (relay.ts),
// so everything here trusts the identity it is given and validates only what
// arrives on the sockets. Binary frames are end-to-end ciphertext: forwarded
// verbatim, counted, never parsed or logged.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { ERROR_CODES, type ErrorCode } from '../protocol/errors';
import type { EngineerCertificate } from '../protocol/identity';
import { MAX_CONTROL_MESSAGE_BYTES } from '../protocol/limits';
import {
  PeerToRelay,
  type PeerInfo,
  type RelayRole,
  type RelayToPeer,
} from '../protocol/wire/relay';
import { keyFingerprint } from '../platform/signing';
import { SessionCodeBook, type SessionCodeLimits } from './session-codes';
import type { SessionLog } from './session-log';

/** Who a connection proved to be at the upgrade. */
export interface PeerIdentity {
  role: RelayRole;
  key: string;
  certificate?: EngineerCertificate;
}

/** One socket. Kept small: the relay holds 18,000 of these for 9,000 idle pairs. */
class Connection {
  alive = true;
  /** Set when the relay itself ends this connection, so its close is not taken for a drop. */
  finished = false;
  code: string | undefined = undefined;
  seat: Seat | undefined = undefined;
  constructor(
    readonly ws: WebSocket,
    readonly socket: Duplex,
    readonly identity: PeerIdentity,
  ) {}
}

/** One side of a pair; its connection is undefined while that side is away. */
interface Seat {
  pair: Pair;
  identity: PeerIdentity;
  conn: Connection | undefined;
  token: string;
}

interface Pair {
  id: string;
  agent: Seat;
  engineer: Seat;
  startedAt: number;
  /** Bytes forwarded, [agent -> engineer, engineer -> agent]. */
  bytes: [number, number];
  graceTimer: NodeJS.Timeout | undefined;
  graceEndsAt: number;
}

/** What the switchboard needs from the relay. */
export interface SwitchboardOptions {
  codes: SessionCodeLimits;
  resumeGraceMs: number;
  highWaterBytes: number;
  now: () => number;
  sessionLog: SessionLog;
  /** The welcome message (carries the revocation list in force). */
  welcome: () => RelayToPeer;
}

const newToken = (): string => randomBytes(32).toString('base64url');

/** Waiting agents, pairs and resume tokens of one relay. */
export class Switchboard {
  readonly #options: SwitchboardOptions;
  readonly #codes: SessionCodeBook<Connection>;
  readonly #conns = new Set<Connection>();
  readonly #tokens = new Map<string, Seat>();
  readonly #pairs = new Set<Pair>();
  #bytes = 0;

  constructor(options: SwitchboardOptions) {
    this.#options = options;
    this.#codes = new SessionCodeBook<Connection>(
      options.codes,
      {
        expired: (conn) => this.#codeEnded(conn, { t: 'code-expired' }),
        burned: (conn) => this.#codeEnded(conn, { t: 'code-burned' }),
      },
      options.now,
    );
  }

  stats(): {
    connections: number;
    waiting: number;
    pairs: number;
    bytes: number;
    queuedBytes: number;
  } {
    let queuedBytes = 0;
    for (const conn of this.#conns) queuedBytes += conn.ws.bufferedAmount;
    return {
      connections: this.#conns.size,
      waiting: this.#codes.size,
      pairs: this.#pairs.size,
      bytes: this.#bytes,
      queuedBytes,
    };
  }

  /** Claims a live code for a joining engineer (single use); undefined counts as a miss. */
  claimCode(code: string): Connection | undefined {
    const agent = this.#codes.take(code);
    if (agent) agent.code = undefined;
    return agent;
  }

  /** Gives a waiting agent a fresh code when a claimed join did not complete. */
  releaseClaim(agent: Connection): void {
    if (this.#conns.has(agent) && !agent.seat) this.#issueCode(agent);
  }

  /** The seat a resume token opens, if the same role and key come back while the pair lives. */
  findSeat(token: string, identity: PeerIdentity): Seat | undefined {
    const seat = this.#tokens.get(token);
    if (!seat || seat.identity.role !== identity.role || seat.identity.key !== identity.key)
      return undefined;
    return seat;
  }

  /** A newly connected agent: welcome, then a code. */
  admitAgent(ws: WebSocket, socket: Duplex, identity: PeerIdentity): void {
    const conn = this.#attach(ws, socket, identity);
    this.#issueCode(conn);
  }

  /** An engineer that claimed `agent`'s code: pair the two. */
  admitEngineer(ws: WebSocket, socket: Duplex, identity: PeerIdentity, agent: Connection): void {
    const conn = this.#attach(ws, socket, identity);
    if (!this.#conns.has(agent) || agent.seat) {
      this.#finish(conn, 'RELAY_PEER_GONE');
      return;
    }
    const pair: Pair = {
      id: randomBytes(12).toString('base64url'),
      startedAt: this.#options.now(),
      bytes: [0, 0],
      graceTimer: undefined,
      graceEndsAt: 0,
    } as Pair;
    pair.agent = { pair, identity: agent.identity, conn: agent, token: '' };
    pair.engineer = { pair, identity, conn, token: '' };
    agent.seat = pair.agent;
    conn.seat = pair.engineer;
    this.#pairs.add(pair);
    this.#sendPaired(pair);
    this.#log(pair, 'pair-start');
  }

  /** A dropped side came back with its token and the same key. */
  resume(ws: WebSocket, socket: Duplex, identity: PeerIdentity, seat: Seat): void {
    const conn = this.#attach(ws, socket, identity);
    const pair = seat.pair;
    if (!this.#pairs.has(pair)) {
      this.#finish(conn, 'RELAY_PEER_GONE');
      return;
    }
    const stale = seat.conn;
    seat.conn = conn;
    seat.identity = identity;
    conn.seat = seat;
    if (stale) {
      // The client noticed the drop before the relay did: the old socket is replaced, not a departure.
      stale.finished = true;
      stale.seat = undefined;
      stale.ws.terminate();
    }
    const other = this.#other(seat);
    if (other.conn) {
      this.#stopGrace(pair);
      this.#sendPaired(pair);
      this.#log(pair, 'pair-resume');
    } else {
      this.#send(conn, {
        t: 'peer-away',
        graceMs: Math.max(0, pair.graceEndsAt - this.#options.now()),
      });
    }
  }

  /** Heartbeat tick: terminate connections that missed the previous pong, ping the rest. */
  heartbeat(): void {
    for (const conn of this.#conns) {
      if (!conn.alive) {
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  /** Relay shutdown: every socket is closed with 1001, every pair ends. */
  shutdown(): Connection[] {
    this.#codes.clear();
    for (const pair of [...this.#pairs]) this.#endPair(pair, 'shutdown', undefined, false);
    const open = [...this.#conns];
    for (const conn of open) {
      conn.finished = true;
      conn.ws.close(1001, 'RELAY_SHUTTING_DOWN');
    }
    return open;
  }

  #attach(ws: WebSocket, socket: Duplex, identity: PeerIdentity): Connection {
    const conn = new Connection(ws, socket, identity);
    this.#conns.add(conn);
    ws.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(conn, data, isBinary));
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('error', () => {
      // ws closes the socket itself (1009 oversize, 1002 bad framing): that is the peer's fault.
      conn.finished = true;
    });
    ws.on('close', (code: number) => this.#onClose(conn, code));
    this.#send(conn, this.#options.welcome());
    return conn;
  }

  #issueCode(conn: Connection): void {
    if (conn.code) this.#codes.withdraw(conn.code);
    const { code, expiresAt } = this.#codes.issue(conn);
    conn.code = code;
    this.#send(conn, { t: 'code', code, expiresAt });
  }

  #codeEnded(conn: Connection, message: RelayToPeer): void {
    conn.code = undefined;
    this.#send(conn, message);
  }

  #onMessage(conn: Connection, data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      const seat = conn.seat;
      if (!seat) return this.#violation(conn);
      this.#forward(conn, seat, data);
      return;
    }
    if (data.length > MAX_CONTROL_MESSAGE_BYTES) return this.#violation(conn);
    let parsed: ReturnType<typeof PeerToRelay.safeParse>;
    try {
      parsed = PeerToRelay.safeParse(JSON.parse(data.toString('utf8')));
    } catch {
      return this.#violation(conn);
    }
    if (!parsed.success) return this.#violation(conn);
    const message = parsed.data;
    if (message.t === 'new-code') {
      if (conn.identity.role !== 'agent' || conn.seat) return this.#violation(conn);
      this.#issueCode(conn);
      return;
    }
    // leave
    if (conn.seat) this.#endPair(conn.seat.pair, 'leave', conn.seat);
    this.#finish(conn, undefined, 1000);
  }

  #forward(from: Connection, seat: Seat, data: Buffer): void {
    const pair = seat.pair;
    const to = this.#other(seat).conn;
    // While the other side is away its frames are dropped: the channel restarts with a new handshake on resume.
    if (!to) return;
    to.ws.send(data, { binary: true });
    pair.bytes[seat === pair.agent ? 0 : 1] += data.length;
    this.#bytes += data.length;
    if (to.ws.bufferedAmount > this.#options.highWaterBytes && !from.ws.isPaused) {
      // Stop reading from the sender until the receiver's socket drains: bounded memory per pair.
      from.ws.pause();
      to.socket.once('drain', () => from.ws.resume());
    }
  }

  #violation(conn: Connection): void {
    if (conn.seat) this.#endPair(conn.seat.pair, 'protocol-violation', conn.seat);
    this.#finish(conn, 'RELAY_PROTOCOL_VIOLATION');
  }

  #finish(conn: Connection, code: ErrorCode | undefined, closeCode?: number): void {
    conn.finished = true;
    if (code) this.#send(conn, { t: 'error', code, message: ERROR_CODES[code].meaning });
    conn.ws.close(closeCode ?? ERROR_CODES[code ?? 'RELAY_PEER_GONE'].closeCode ?? 1000, code);
  }

  #onClose(conn: Connection, code: number): void {
    this.#conns.delete(conn);
    if (conn.code) this.#codes.withdraw(conn.code);
    const seat = conn.seat;
    if (!seat || seat.conn !== conn || !this.#pairs.has(seat.pair)) return;
    if (code === 1000 || conn.finished) {
      this.#endPair(seat.pair, code === 1000 ? 'closed' : 'protocol-violation', seat);
      return;
    }
    seat.conn = undefined;
    const pair = seat.pair;
    const other = this.#other(seat).conn;
    if (other?.ws.isPaused) other.ws.resume();
    if (!pair.graceTimer) {
      pair.graceEndsAt = this.#options.now() + this.#options.resumeGraceMs;
      pair.graceTimer = setTimeout(
        () => this.#endPair(pair, 'grace-expired'),
        this.#options.resumeGraceMs,
      );
    }
    if (other) this.#send(other, { t: 'peer-away', graceMs: this.#options.resumeGraceMs });
  }

  /** Ends a pair: the sides still connected (other than `cause`) get peer-left and are closed. */
  #endPair(pair: Pair, reason: string, cause?: Seat, notify = true): void {
    if (!this.#pairs.delete(pair)) return;
    this.#stopGrace(pair);
    for (const seat of [pair.agent, pair.engineer]) {
      this.#tokens.delete(seat.token);
      const conn = seat.conn;
      if (!conn || seat === cause || !notify) continue;
      conn.finished = true;
      this.#send(conn, {
        t: 'peer-left',
        code: 'RELAY_PEER_GONE',
        message: ERROR_CODES.RELAY_PEER_GONE.meaning,
      });
      conn.ws.close(ERROR_CODES.RELAY_PEER_GONE.closeCode, 'RELAY_PEER_GONE');
    }
    this.#options.sessionLog.write({
      event: 'pair-end',
      at: new Date(this.#options.now()).toISOString(),
      pairId: pair.id,
      reason,
      durationMs: this.#options.now() - pair.startedAt,
      bytes: { agentToEngineer: pair.bytes[0], engineerToAgent: pair.bytes[1] },
    });
  }

  #stopGrace(pair: Pair): void {
    if (pair.graceTimer) clearTimeout(pair.graceTimer);
    pair.graceTimer = undefined;
  }

  #sendPaired(pair: Pair): void {
    for (const seat of [pair.agent, pair.engineer]) {
      this.#tokens.delete(seat.token);
      seat.token = newToken();
      this.#tokens.set(seat.token, seat);
    }
    const agentInfo: PeerInfo = { role: 'agent', deviceKey: pair.agent.identity.key };
    const engineerInfo: PeerInfo = {
      role: 'engineer',
      certificate: pair.engineer.identity.certificate!,
    };
    for (const [seat, peer] of [
      [pair.agent, engineerInfo],
      [pair.engineer, agentInfo],
    ] as const) {
      if (seat.conn)
        this.#send(seat.conn, { t: 'paired', pairId: pair.id, resumeToken: seat.token, peer });
    }
  }

  #other(seat: Seat): Seat {
    return seat === seat.pair.agent ? seat.pair.engineer : seat.pair.agent;
  }

  #send(conn: Connection, message: RelayToPeer): void {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(message));
  }

  #log(pair: Pair, event: 'pair-start' | 'pair-resume'): void {
    const cert = pair.engineer.identity.certificate!;
    this.#options.sessionLog.write({
      event,
      at: new Date(this.#options.now()).toISOString(),
      pairId: pair.id,
      agentKey: keyFingerprint(pair.agent.identity.key),
      engineer: {
        name: cert.name,
        serial: cert.serial,
        fingerprint: keyFingerprint(cert.publicKey),
      },
    });
  }
}

export type { Connection as SwitchboardConnection, Seat as SwitchboardSeat };
