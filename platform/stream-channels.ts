// Which channel each outgoing stream began on (agent and engineer alike).
// A session outlives its channels: a resume puts a fresh channel in place of
// the old one, and whatever was in flight on the old one is lost. A stream
// that sent bytes on the old channel must therefore not go on on the new
// one: its receiver would get the bytes after the gap as if they followed on
// (caught only by the whole-file hash at the end, after the resume offset was
// lost). It ends with CHANNEL_CLOSED instead, and the transfer is started
// again from an offset. A stream that had sent nothing yet may begin on the
// new channel.
//
// The channel a stream began on is kept by the stream's own guard, which its
// sender holds, not in a table here: a session's finished streams leave
// nothing behind, however many transfers it runs.
import { AssentError } from '../protocol/errors';

/** The sending end of one stream: sends a chunk; resolves when the transport can take more (backpressure). */
export type StreamSender = (chunk: Uint8Array) => Promise<void>;

/** What a stream's chunks go out on: the current channel's link. */
export interface StreamLink {
  sendStream(streamId: number, chunk: Uint8Array): Promise<void>;
}

/** One outgoing stream's check, made before each of its sends. */
export interface StreamGuard {
  /** Throws CHANNEL_CLOSED when the stream began on a channel that was replaced since. */
  beforeSend(): void;
}

export class StreamChannels {
  #channel = 0;

  /** A new channel replaced the old one (after a resume's handshake). */
  channelReplaced(): void {
    this.#channel += 1;
  }

  /** The guard of outgoing stream `streamId`; the stream begins on the channel of its first send. */
  stream(streamId: number): StreamGuard {
    let began: number | undefined;
    return {
      beforeSend: () => {
        if (began === undefined) began = this.#channel;
        else if (began !== this.#channel)
          throw new AssentError(
            'CHANNEL_CLOSED',
            'The connection was interrupted during this transfer; start it again from where it stopped.',
            { details: { streamId } },
          );
      },
    };
  }

  /**
   * The sending end of outgoing stream `streamId`. Each chunk goes on the
   * link `openLink` returns; it throws CHANNEL_CLOSED while there is none, and
   * then the stream has not begun anywhere. A stream that began on a channel
   * replaced since fails with CHANNEL_CLOSED.
   */
  sender(streamId: number, openLink: () => StreamLink): StreamSender {
    const stream = this.stream(streamId);
    return async (chunk) => {
      const link = openLink();
      stream.beforeSend();
      await link.sendStream(streamId, chunk);
    };
  }
}
