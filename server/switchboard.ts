// The relay's pairing state: waiting agents with their codes, paired
// sessions, drop and resume, and the heartbeat. Connections reach it only
// after the upgrade was authenticated (relay.ts), so everything here trusts
// the identity it is given and validates only what arrives on the sockets.
// Binary frames are end-to-end ciphertext: forwarded verbatim (pair.ts),
// counted, never parsed or logged.
import { ERROR_CODES, type ErrorCode } from '../protocol/errors';
import { MAX_CONTROL_MESSAGE_BYTES } from '../protocol/limits';
import { PeerToRelay, type RelayToPeer } from '../protocol/wire/relay';
import { keyFingerprint } from '../platform/signing';
import { Connection, forward, Pair, type PeerIdentity, type Seat } from './pair';
import type { RelaySocket } from './relay-socket';
import { SessionCodeBook, type SessionCodeLimits } from './session-codes';
import type { SessionLog } from './session-log';

export type { Connection, PeerIdentity, Seat };

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

/** Why a pair ended, as written to the metadata log. */
type EndReason = 'leave' | 'closed' | 'grace-expired' | 'protocol-violation' | 'shutdown';

const PEER_LEFT: RelayToPeer = {
  t: 'peer-left',
  code: 'RELAY_PEER_GONE',
  message: ERROR_CODES.RELAY_PEER_GONE.meaning,
};

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
    const codeEnded = (conn: Connection, message: RelayToPeer): void => {
      conn.code = undefined;
      conn.send(message);
    };
    this.#codes = new SessionCodeBook<Connection>(
      options.codes,
      {
        expired: (conn) => codeEnded(conn, { t: 'code-expired' }),
        burned: (conn) => codeEnded(conn, { t: 'code-burned' }),
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

  /** Open sockets (cheap, unlike stats()). */
  get connections(): number {
    return this.#conns.size;
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
  admitAgent(ws: RelaySocket, identity: PeerIdentity): void {
    this.#issueCode(this.#attach(ws, identity));
  }

  /** An engineer that claimed `agent`'s code: pair the two. */
  admitEngineer(ws: RelaySocket, identity: PeerIdentity, agent: Connection): void {
    const conn = this.#attach(ws, identity);
    if (!this.#conns.has(agent) || agent.seat) {
      this.#finish(conn, 'RELAY_PEER_GONE');
      return;
    }
    const pair = new Pair(agent, conn, this.#options.now());
    this.#pairs.add(pair);
    this.#sendPaired(pair);
    this.#log(pair, 'pair-start');
  }

  /** A dropped side came back with its token and the same key. */
  resume(ws: RelaySocket, identity: PeerIdentity, seat: Seat): void {
    const conn = this.#attach(ws, identity);
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
      // Reading from the other side may have stopped for the old socket's backlog, which is gone
      // with it: its 'drain' never comes.
      const other = pair.other(seat).conn;
      if (other?.ws.isPaused) other.ws.resume();
    }
    if (pair.other(seat).conn) {
      pair.stopGrace();
      this.#sendPaired(pair);
      this.#log(pair, 'pair-resume');
    } else {
      conn.send({ t: 'peer-away', graceMs: Math.max(0, pair.graceEndsAt - this.#options.now()) });
    }
  }

  /** Heartbeat tick: terminate connections that missed the previous pong, ping the rest. */
  heartbeat(): void {
    for (const conn of this.#conns) {
      // A sender the relay itself stopped reading (backpressure) cannot be heard answering.
      if (conn.ws.isPaused) {
        conn.alive = true;
        continue;
      }
      if (!conn.alive) {
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  /** Relay shutdown: every pair ends, every socket is closed with 1001; returns the sockets. */
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

  #attach(ws: RelaySocket, identity: PeerIdentity): Connection {
    const conn = new Connection(ws, identity);
    this.#conns.add(conn);
    ws.on('binary', (pieces, length) => this.#onBinary(conn, pieces, length));
    ws.on('text', (text, length) => this.#onText(conn, text, length));
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('error', () => {
      // The socket closes itself (1009 oversize, 1002 bad framing): the peer's fault.
      conn.finished = true;
    });
    ws.on('close', (code: number) => this.#onClose(conn, code));
    conn.send(this.#options.welcome());
    return conn;
  }

  #issueCode(conn: Connection): void {
    if (conn.code) this.#codes.withdraw(conn.code);
    const { code, expiresAt } = this.#codes.issue(conn);
    conn.code = code;
    conn.send({ t: 'code', code, expiresAt });
  }

  #onBinary(conn: Connection, pieces: Buffer[], length: number): void {
    if (!conn.seat) return this.#violation(conn);
    this.#bytes += forward(conn, conn.seat, pieces, length, this.#options.highWaterBytes);
  }

  #onText(conn: Connection, text: string, length: number): void {
    if (length > MAX_CONTROL_MESSAGE_BYTES) return this.#violation(conn);
    let parsed: ReturnType<typeof PeerToRelay.safeParse>;
    try {
      parsed = PeerToRelay.safeParse(JSON.parse(text));
    } catch {
      return this.#violation(conn);
    }
    if (!parsed.success) return this.#violation(conn);
    if (parsed.data.t === 'new-code') {
      if (conn.identity.role !== 'agent' || conn.seat) return this.#violation(conn);
      this.#issueCode(conn);
      return;
    }
    // leave: for good, no grace period.
    if (conn.seat) this.#endPair(conn.seat.pair, 'leave', conn.seat);
    this.#finish(conn, undefined, 1000);
  }

  #violation(conn: Connection): void {
    if (conn.seat) this.#endPair(conn.seat.pair, 'protocol-violation', conn.seat);
    this.#finish(conn, 'RELAY_PROTOCOL_VIOLATION');
  }

  /** The relay ends a connection, telling it why when there is a code. */
  #finish(conn: Connection, code: ErrorCode | undefined, closeCode?: number): void {
    conn.finished = true;
    if (code) conn.send({ t: 'error', code, message: ERROR_CODES[code].meaning });
    conn.ws.close(closeCode ?? (code && ERROR_CODES[code].closeCode) ?? 1000, code);
  }

  #onClose(conn: Connection, code: number): void {
    this.#conns.delete(conn);
    if (conn.code) this.#codes.withdraw(conn.code);
    const seat = conn.seat;
    if (!seat || seat.conn !== conn || !this.#pairs.has(seat.pair)) return;
    const pair = seat.pair;
    if (code === 1000 || conn.finished) {
      this.#endPair(pair, code === 1000 ? 'closed' : 'protocol-violation', seat);
      return;
    }
    // An abnormal close: keep the pair for the grace period.
    seat.conn = undefined;
    const other = pair.other(seat).conn;
    if (other?.ws.isPaused) other.ws.resume();
    if (!pair.graceTimer) {
      pair.graceEndsAt = this.#options.now() + this.#options.resumeGraceMs;
      pair.graceTimer = setTimeout(
        () => this.#endPair(pair, 'grace-expired'),
        this.#options.resumeGraceMs,
      );
    }
    other?.send({ t: 'peer-away', graceMs: this.#options.resumeGraceMs });
  }

  /** Ends a pair: the sides still connected (other than `cause`) get peer-left and are closed. */
  #endPair(pair: Pair, reason: EndReason, cause?: Seat, notify = true): void {
    if (!this.#pairs.delete(pair)) return;
    pair.stopGrace();
    for (const seat of [pair.agent, pair.engineer]) {
      this.#tokens.delete(seat.token);
      const conn = seat.conn;
      if (!conn || seat === cause || !notify) continue;
      conn.finished = true;
      conn.send(PEER_LEFT);
      conn.ws.close(ERROR_CODES.RELAY_PEER_GONE.closeCode, 'RELAY_PEER_GONE');
    }
    const now = this.#options.now();
    this.#options.sessionLog.write({
      event: 'pair-end',
      at: new Date(now).toISOString(),
      pairId: pair.id,
      reason,
      durationMs: now - pair.startedAt,
      bytes: { agentToEngineer: pair.bytes[0], engineerToAgent: pair.bytes[1] },
    });
  }

  #sendPaired(pair: Pair): void {
    pair.rotateTokens(this.#tokens);
    for (const seat of [pair.agent, pair.engineer]) {
      seat.conn?.send({
        t: 'paired',
        pairId: pair.id,
        resumeToken: seat.token,
        peer: pair.peerInfo(seat),
      });
    }
  }

  #log(pair: Pair, event: 'pair-start' | 'pair-resume'): void {
    const cert = pair.engineer.identity.certificate;
    this.#options.sessionLog.write({
      event,
      at: new Date(this.#options.now()).toISOString(),
      pairId: pair.id,
      agentKey: keyFingerprint(pair.agent.identity.key),
      engineer: {
        name: cert?.name ?? '',
        serial: cert?.serial ?? '',
        fingerprint: keyFingerprint(pair.engineer.identity.key),
      },
    });
  }
}
