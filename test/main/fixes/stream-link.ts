// A PeerLink over memory with working streams, for the fix handler tests:
// every message the agent sends is checked against the wire schema, and the
// test plays the engineer by delivering stream chunks to the agent's listeners.
import type { PeerLink } from '../../../main/session/peer-link';
import { ChannelMessage } from '../../../protocol/wire/messages';

export class StreamPeerLink implements PeerLink {
  readonly sessionId = 's-fixes';
  readonly engineer = {
    name: 'Ivy Installer',
    email: 'ivy@acme.example',
    vendor: 'Acme',
    roles: ['engineer', 'installer'],
    publicKey: 'A'.repeat(43),
    fingerprint: '0000:0000',
    serial: '0'.repeat(32),
  };
  readonly sent: ChannelMessage[] = [];
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  private readonly listeners = new Map<number, Set<(chunk: Buffer) => void>>();
  private readonly waiters: Array<{
    test: (m: ChannelMessage) => boolean;
    resolve: (m: ChannelMessage) => void;
  }> = [];

  send(message: ChannelMessage): void {
    const parsed = ChannelMessage.parse(message);
    this.sent.push(parsed);
    for (const w of [...this.waiters]) {
      if (w.test(parsed)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  }
  private streams = 0;
  nextStreamId(): number {
    this.streams += 2;
    return this.streams;
  }
  async sendStream(): Promise<void> {}
  onStream(streamId: number, listener: (chunk: Buffer) => void): () => void {
    let set = this.listeners.get(streamId);
    if (!set) this.listeners.set(streamId, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }
  /** The engineer sends `bytes` on `streamId` in chunks. */
  deliver(streamId: number, bytes: Buffer, chunk = 64 * 1024): void {
    for (let at = 0; at < bytes.length; at += chunk) {
      for (const l of this.listeners.get(streamId) ?? []) l(bytes.subarray(at, at + chunk));
    }
  }
  /** Resolves with the next message of `type` (or one already sent that matches `test`). */
  next<T extends ChannelMessage['type']>(
    type: T,
    test: (m: Extract<ChannelMessage, { type: T }>) => boolean = () => true,
  ): Promise<Extract<ChannelMessage, { type: T }>> {
    const match = (m: ChannelMessage) =>
      m.type === type && test(m as Extract<ChannelMessage, { type: T }>);
    const seen = this.sent.find(match);
    if (seen) return Promise.resolve(seen as Extract<ChannelMessage, { type: T }>);
    return new Promise((resolve) =>
      this.waiters.push({ test: match, resolve: resolve as (m: ChannelMessage) => void }),
    );
  }
  of<T extends ChannelMessage['type']>(type: T): Array<Extract<ChannelMessage, { type: T }>> {
    return this.sent.filter((m): m is Extract<ChannelMessage, { type: T }> => m.type === type);
  }
  end(): void {
    this.controller.abort();
  }
}
