// The session's message layer on top of a relay connection and an
// established SecureChannel, shared by agent and engineer: every decrypted
// JSON message is validated against ChannelMessage before anyone sees it,
// stream chunks go to their listeners, inbound JSON is rate-limited, and any
// fault ends the link with a typed error.
import { EventEmitter } from 'node:events';
import { AssentError, isAssentError } from '../protocol/errors';
import {
  MESSAGE_RATE_BURST,
  MESSAGE_RATE_PER_SECOND,
  MAX_PLAINTEXT_BYTES,
} from '../protocol/limits';
import { ChannelMessage } from '../protocol/wire/messages';
import type { RelayConnection } from './relay-connection';
import { decodePlaintext, type SecureChannel } from './secure-channel';

/** A token bucket: `rate` tokens a second, at most `burst` saved. */
class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Why an encrypted link stopped. */
export type LinkEnd =
  | { kind: 'closed-by-peer' }
  | { kind: 'closed-by-us' }
  | { kind: 'transport-lost'; error: AssentError }
  | { kind: 'fault'; error: AssentError };

/** Messages and streams over one established channel on one relay connection. */
export class EncryptedLink extends EventEmitter<{
  message: [message: ChannelMessage];
  end: [end: LinkEnd];
}> {
  private readonly streamListeners = new Map<number, Set<(chunk: Buffer) => void>>();
  private readonly bucket: TokenBucket;
  private ended = false;
  private readonly onFrame = (frame: Buffer): void => this.receive(frame);
  private readonly onClose = (): void => this.transportClosed();

  constructor(
    private readonly connection: RelayConnection,
    private readonly channel: SecureChannel,
    options: { now?: () => number } = {},
  ) {
    super();
    this.bucket = new TokenBucket(
      MESSAGE_RATE_PER_SECOND,
      MESSAGE_RATE_BURST,
      options.now ?? Date.now,
    );
    connection.on('frame', this.onFrame);
    connection.on('close', this.onClose);
  }

  /** True until the link ended for any reason. */
  get isOpen(): boolean {
    return !this.ended;
  }

  /** Sends a JSON message (validated first: our own bad message is a bug and throws TypeError). */
  send(message: ChannelMessage): void {
    if (this.ended) throw new AssentError('CHANNEL_CLOSED');
    const checked = ChannelMessage.safeParse(message);
    if (!checked.success)
      throw new TypeError(`invalid outgoing ${message.type}: ${checked.error.issues[0]?.message}`);
    void this.connection
      .sendFrame(this.channel.sealJson(checked.data), true)
      .catch(() => undefined);
  }

  /** Sends bulk bytes in frames of at most MAX_PLAINTEXT_BYTES; resolves when the transport can take more. */
  async sendStream(streamId: number, bytes: Uint8Array): Promise<void> {
    let offset = 0;
    do {
      if (this.ended) throw new AssentError('CHANNEL_CLOSED');
      const chunk = bytes.subarray(offset, offset + MAX_PLAINTEXT_BYTES);
      await this.connection.sendFrame(this.channel.sealStreamParts(streamId, chunk), true);
      offset += MAX_PLAINTEXT_BYTES;
    } while (offset < bytes.length);
  }

  /**
   * Listens for stream chunks on `streamId`; returns the function that stops
   * listening. A chunk is a view into the frame's own decrypted plaintext,
   * fresh for every frame and never reused here, so listeners may keep it
   * without copying (PeerLink and EngineerLink promise this to their users).
   */
  onStream(streamId: number, listener: (chunk: Buffer) => void): () => void {
    let set = this.streamListeners.get(streamId);
    if (!set) this.streamListeners.set(streamId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.streamListeners.delete(streamId);
    };
  }

  /** Stops reading the connection this link is on (see InboundHolds); resumeReading undoes it. */
  pauseReading(): void {
    this.connection.pauseReading();
  }

  resumeReading(): void {
    this.connection.resumeReading();
  }

  /** Ends the channel with its authenticated close frame; the connection stays for the caller to close. */
  async close(): Promise<void> {
    if (this.ended) return;
    try {
      await this.connection.sendFrame(this.channel.sealClose(), true);
    } catch {
      // The transport is gone already; the peer will see a truncation.
    }
    this.finish({ kind: 'closed-by-us' });
  }

  /**
   * Stops using the connection without ending the channel (after a fault was
   * reported, or when a new handshake replaces this channel): nothing more is
   * received, and sending throws CHANNEL_CLOSED, so a transfer still running
   * on this channel cannot put its frames in front of the next one.
   */
  detach(): void {
    this.ended = true;
    this.connection.off('frame', this.onFrame);
    this.connection.off('close', this.onClose);
  }

  private receive(frame: Buffer): void {
    if (this.ended) return;
    try {
      const decoded = decodePlaintext(this.channel.open(frame));
      if (decoded.kind === 'close') {
        this.finish({ kind: 'closed-by-peer' });
        return;
      }
      if (decoded.kind === 'stream') {
        const listeners = this.streamListeners.get(decoded.streamId);
        if (listeners) for (const listener of [...listeners]) listener(decoded.bytes);
        return;
      }
      if (!this.bucket.take())
        throw new AssentError('RATE_LIMITED', 'The peer sent messages faster than allowed.');
      const parsed = ChannelMessage.safeParse(decoded.value);
      if (!parsed.success) {
        throw new AssentError(
          'CHANNEL_MESSAGE_INVALID',
          `The peer sent an invalid message: ${parsed.error.issues[0]?.message ?? 'schema mismatch'}.`,
        );
      }
      this.emit('message', parsed.data);
    } catch (error) {
      const fault = isAssentError(error)
        ? error
        : new AssentError('INTERNAL', 'A message could not be handled.', { cause: error });
      this.finish({ kind: 'fault', error: fault });
    }
  }

  private transportClosed(): void {
    if (this.ended) return;
    let error: AssentError;
    try {
      this.channel.transportClosed();
      error = new AssentError('CHANNEL_CLOSED');
    } catch (truncation) {
      error = truncation as AssentError;
    }
    this.finish({ kind: 'transport-lost', error });
  }

  private finish(end: LinkEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.detach();
    this.streamListeners.clear();
    this.emit('end', end);
  }
}
