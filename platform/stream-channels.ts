// Which channel each outgoing stream began on (agent and engineer alike).
// A session outlives its channels: a resume puts a fresh channel in place of
// the old one, and whatever was in flight on the old one is lost. A stream
// that sent bytes on the old channel must therefore not go on on the new
// one: its receiver would get the bytes after the gap as if they followed on
// (caught only by the whole-file hash at the end, after the resume offset was
// lost). It ends with CHANNEL_CLOSED instead, and the transfer is started
// again from an offset. A stream that had sent nothing yet may begin on the
// new channel.
import { AssentError } from '../protocol/errors';

export class StreamChannels {
  #channel = 0;
  /** Channel number each stream sent its first bytes on. */
  readonly #began = new Map<number, number>();

  /** A new channel replaced the old one (after a resume's handshake). */
  channelReplaced(): void {
    this.#channel += 1;
  }

  /** Throws CHANNEL_CLOSED when `streamId` began on a channel that was replaced. */
  beforeSend(streamId: number): void {
    const began = this.#began.get(streamId);
    if (began === undefined) this.#began.set(streamId, this.#channel);
    else if (began !== this.#channel)
      throw new AssentError(
        'CHANNEL_CLOSED',
        'The connection was interrupted during this transfer; start it again from where it stopped.',
        { details: { streamId } },
      );
  }
}
