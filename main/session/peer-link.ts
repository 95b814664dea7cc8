// What a running, approved session offers the parts that serve the engineer
// (the action router, file transfers, terminals, fixes). Implemented by
// AgentSession; the parts never see the channel or the relay themselves.
import type { ChannelMessage } from '../../protocol/wire/messages';
import type { StreamSender } from '../../platform/stream-channels';

/** Who the engineer is, as verified in the handshake (never what the relay said). */
export interface VerifiedEngineer {
  readonly name: string;
  readonly email: string;
  readonly vendor: string;
  readonly roles: readonly string[];
  readonly publicKey: string;
  readonly fingerprint: string;
  readonly serial: string;
}

/** The approved session as seen by the parts that act for the engineer. */
export interface PeerLink {
  /** Session id, as written to the audit log. */
  readonly sessionId: string;
  readonly engineer: VerifiedEngineer;
  /** Aborted when the session ends (by either side, timeout, or error): stop everything in flight. */
  readonly signal: AbortSignal;
  /** Sends a JSON message to the engineer (throws CHANNEL_CLOSED after the end). */
  send(message: ChannelMessage): void;
  /** A fresh stream id for data this side sends (even on the agent side, odd on the engineer side). */
  nextStreamId(): number;
  /**
   * The sending end of a stream: each call sends bulk bytes on it and
   * resolves when the transport can take more (backpressure). A stream that
   * sent on a channel a resume replaced fails with CHANNEL_CLOSED from then
   * on (stream-channels.ts).
   */
  streamSender(streamId: number): StreamSender;
  /**
   * Receives bulk bytes the engineer sends on a stream id; returns a function
   * that stops listening. Each chunk is a buffer of its own, never reused by
   * the link: a listener may keep it without copying (but not change it:
   * every listener of the stream is handed the same buffer).
   */
  onStream(streamId: number, listener: (chunk: Buffer) => void): () => void;
  /**
   * Stops reading what the peer sends until the returned function is called:
   * a receiver whose disk is behind makes the sender wait (BoundedWrites).
   */
  holdInbound(): () => void;
}

/** A link that reports every message the services send, then sends it (UIs watch progress and results this way). */
export function observeSends(
  link: PeerLink,
  listener: (message: ChannelMessage) => void,
): PeerLink {
  return {
    sessionId: link.sessionId,
    get engineer() {
      return link.engineer;
    },
    signal: link.signal,
    send: (message) => {
      listener(message);
      link.send(message);
    },
    nextStreamId: () => link.nextStreamId(),
    streamSender: (streamId) => link.streamSender(streamId),
    onStream: (streamId, listener) => link.onStream(streamId, listener),
    holdInbound: () => link.holdInbound(),
  };
}
