// The PeerLink handed to the parts serving a session. It outlives network
// drops: while the session is interrupted, JSON messages wait in a bounded
// queue and are delivered after the resume; bulk streams fail at once
// (CHANNEL_CLOSED) because bytes in flight on the old channel are lost — the
// engineer resumes transfers from an offset. A stream that sent on the old
// channel fails on the new one too (StreamChannels).
import { AssentError } from '../../protocol/errors';
import type { ChannelMessage } from '../../protocol/wire/messages';
import type { EncryptedLink } from '../../platform/encrypted-link';
import { InboundHolds } from '../../platform/inbound-holds';
import { StreamChannels, type StreamSender } from '../../platform/stream-channels';
import { StreamListeners } from '../../platform/stream-listeners';
import type { PeerLink, VerifiedEngineer } from './peer-link';

/** JSON messages kept while interrupted before the oldest are dropped. */
export const INTERRUPTED_QUEUE_LIMIT = 1000;

export class SessionPeerLink implements PeerLink {
  private link: EncryptedLink | undefined;
  private engineerValue: VerifiedEngineer | undefined;
  private readonly queue: ChannelMessage[] = [];
  private streamCounter = 0;
  private readonly streamChannels = new StreamChannels();
  private readonly holds = new InboundHolds();
  private readonly streamListeners = new StreamListeners();

  constructor(
    readonly sessionId: string,
    readonly signal: AbortSignal,
  ) {}

  get engineer(): VerifiedEngineer {
    if (!this.engineerValue) throw new AssentError('SESSION_NOT_ACTIVE');
    return this.engineerValue;
  }

  /** Switches to a fresh channel after a handshake (first or resumed). */
  use(link: EncryptedLink, engineer: VerifiedEngineer): void {
    if (this.link !== link) this.streamChannels.channelReplaced();
    this.link = link;
    this.holds.attach(link);
    this.streamListeners.attach(link);
    this.engineerValue = engineer;
  }

  /** The channel is gone until a resume. */
  interrupted(): void {
    this.link = undefined;
    this.holds.attach(undefined);
    this.streamListeners.attach(undefined);
  }

  /** Delivers what waited during the interruption. */
  resumed(): void {
    const link = this.link;
    if (!link) return;
    for (const message of this.queue.splice(0)) link.send(message);
  }

  send(message: ChannelMessage): void {
    if (this.signal.aborted) throw new AssentError('CHANNEL_CLOSED', 'The session has ended.');
    if (this.link?.isOpen) {
      this.link.send(message);
      return;
    }
    if (this.queue.length >= INTERRUPTED_QUEUE_LIMIT) this.queue.shift();
    this.queue.push(message);
  }

  nextStreamId(): number {
    this.streamCounter += 2;
    return this.streamCounter;
  }

  streamSender(streamId: number): StreamSender {
    return this.streamChannels.sender(streamId, () => {
      if (this.signal.aborted || !this.link?.isOpen)
        throw new AssentError('CHANNEL_CLOSED', 'The connection to the engineer is interrupted.');
      return this.link;
    });
  }

  onStream(streamId: number, listener: (chunk: Buffer) => void): () => void {
    return this.streamListeners.add(streamId, listener);
  }

  holdInbound(): () => void {
    return this.holds.hold();
  }
}
