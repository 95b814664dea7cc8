// What an approved engineer session offers the console's commands (files,
// terminal, fixes). Implemented by EngineerSession (engineer-session.ts).
import type { StreamSender } from '../platform/stream-channels';
import type { ChannelMessage, ChannelMessageType, MessageOf } from '../protocol/wire/messages';

/** The approved session from the engineer's side. */
export interface EngineerLink {
  readonly sessionId: string;
  /** Aborted when the session ends. */
  readonly signal: AbortSignal;
  /** Sends a JSON message to the agent. */
  send(message: ChannelMessage): void;
  /** A fresh request id, unique in this session. */
  nextRequestId(): string;
  /** A fresh stream id for data this side sends (odd on the engineer side, even on the agent side). */
  nextStreamId(): number;
  /** Listens for messages of one type; returns a function that stops listening. */
  on<T extends ChannelMessageType>(type: T, listener: (message: MessageOf<T>) => void): () => void;
  /**
   * The sending end of a stream: each call sends bulk bytes on it and
   * resolves when the transport can take more (backpressure). A stream that
   * sent on a channel a resume replaced fails with CHANNEL_CLOSED from then
   * on (stream-channels.ts).
   */
  streamSender(streamId: number): StreamSender;
  /**
   * Receives bulk bytes the agent sends on a stream id; returns a function
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
