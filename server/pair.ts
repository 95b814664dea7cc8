// The relay's per-socket and per-pair state, and forwarding between the two
// sides of a pair. Kept small on purpose: 9,000 idle pairs (18,000 sockets)
// must fit in 250 MiB of relay memory (issue 2 benchmark).
import { randomBytes } from 'node:crypto';
import type { EngineerCertificate } from '../protocol/identity';
import type { PeerInfo, RelayRole, RelayToPeer } from '../protocol/wire/relay';
import type { RelaySocket } from './relay-socket';

/** Who a connection proved to be at the upgrade. */
export interface PeerIdentity {
  role: RelayRole;
  key: string;
  certificate?: EngineerCertificate;
}

/** One authenticated socket. */
export class Connection {
  /** Cleared at each heartbeat ping, set by the pong. */
  alive = true;
  /** Set when the relay itself ends this connection, so its close is not taken for a drop. */
  finished = false;
  /** A waiting agent's live code. */
  code: string | undefined = undefined;
  /** The side of a pair this socket serves. */
  seat: Seat | undefined = undefined;

  constructor(
    readonly ws: RelaySocket,
    readonly identity: PeerIdentity,
  ) {}

  /** Sends a control message if the socket is still open. */
  send(message: RelayToPeer): void {
    this.ws.sendText(JSON.stringify(message));
  }
}

/** One side of a pair; `conn` is undefined while that side is away. */
export interface Seat {
  readonly pair: Pair;
  identity: PeerIdentity;
  conn: Connection | undefined;
  /** The resume token of this side (rotated at each `paired`). */
  token: string;
}

/** An agent and an engineer joined by a code. */
export class Pair {
  readonly id = randomBytes(12).toString('base64url');
  readonly agent: Seat;
  readonly engineer: Seat;
  /** Bytes forwarded: [agent -> engineer, engineer -> agent]. */
  readonly bytes: [number, number] = [0, 0];
  graceTimer: NodeJS.Timeout | undefined = undefined;
  graceEndsAt = 0;

  constructor(
    agent: Connection,
    engineer: Connection,
    readonly startedAt: number,
  ) {
    this.agent = { pair: this, identity: agent.identity, conn: agent, token: '' };
    this.engineer = { pair: this, identity: engineer.identity, conn: engineer, token: '' };
    agent.seat = this.agent;
    engineer.seat = this.engineer;
  }

  other(seat: Seat): Seat {
    return seat === this.agent ? this.engineer : this.agent;
  }

  /** Fresh resume tokens for both sides; the old ones stop working. */
  rotateTokens(tokens: Map<string, Seat>): void {
    for (const seat of [this.agent, this.engineer]) {
      tokens.delete(seat.token);
      seat.token = randomBytes(32).toString('base64url');
      tokens.set(seat.token, seat);
    }
  }

  /** What each side is told about the other. */
  peerInfo(seat: Seat): PeerInfo {
    if (seat === this.agent) {
      const certificate = this.engineer.identity.certificate;
      if (!certificate) throw new TypeError('an engineer seat without a certificate');
      return { role: 'engineer', certificate };
    }
    return { role: 'agent', deviceKey: this.agent.identity.key };
  }

  stopGrace(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }
}

/**
 * Forwards one binary message verbatim to the other side (the pieces it
 * arrived in, one gathered write) and applies backpressure: past
 * `highWaterBytes` queued to the receiver, the relay stops reading the sender
 * until the receiver's socket drains. Returns the bytes forwarded (0 when the
 * other side is away: its frames are dropped, and the channel restarts with a
 * new handshake on resume).
 */
export function forward(
  from: Connection,
  seat: Seat,
  pieces: readonly Buffer[],
  length: number,
  highWaterBytes: number,
): number {
  const pair = seat.pair;
  const to = pair.other(seat).conn;
  if (!to) return 0;
  to.ws.sendBinary(pieces, length);
  pair.bytes[seat === pair.agent ? 0 : 1] += length;
  if (to.ws.bufferedAmount > highWaterBytes && !from.ws.isPaused) {
    from.ws.pause();
    to.ws.socket.once('drain', () => from.ws.resume());
  }
  return length;
}
