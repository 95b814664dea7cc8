// A PeerLink over memory for the agent's domain tests (router, files,
// terminal, fixes): every message the agent sends is checked against the wire
// schema (ChannelMessage), as the channel would, and refused after the end,
// as the real link does; stream bytes the agent sends are kept, and the test
// plays the engineer by delivering stream chunks to the agent's listeners.
import type { PeerLink, VerifiedEngineer } from '../../main/session/peer-link';
import type { StreamSender } from '../../platform/stream-channels';
import { ChannelMessage } from '../../protocol/wire/messages';

type MessageOfType<T extends ChannelMessage['type']> = Extract<ChannelMessage, { type: T }>;

export interface MemoryLinkOptions {
  readonly sessionId?: string;
  /** Fields of the verified engineer that differ from Eve Engineer's. */
  readonly engineer?: Partial<VerifiedEngineer>;
  /** The reason `end()` aborts the signal with (default: none, an AbortError). */
  readonly endReason?: unknown;
}

/** The engineer of a test session unless a test names another. */
export const TEST_ENGINEER: VerifiedEngineer = {
  name: 'Eve Engineer',
  email: 'eve@acme.example',
  vendor: 'Acme',
  roles: ['engineer'],
  publicKey: 'A'.repeat(43),
  fingerprint: '0000:0000',
  serial: '0'.repeat(32),
};

/** PeerLink kept in memory. */
export class MemoryLink implements PeerLink {
  readonly sessionId: string;
  readonly engineer: VerifiedEngineer;
  /** Every message the agent sent, as parsed by the wire schema. */
  readonly sent: ChannelMessage[] = [];
  /** Bytes the agent sent, per stream. */
  readonly streams = new Map<number, Buffer[]>();
  readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  /** Called after each message the agent sends. */
  onSend: ((message: ChannelMessage) => void) | undefined;
  /** Called after each stream chunk the agent sends (tests revoke or drop here). */
  onChunk: ((streamId: number, total: number) => void | Promise<void>) | undefined;
  /** Makes the consumer of the agent's streams this slow, per chunk. */
  streamDelayMs = 0;
  private readonly endReason: unknown;
  private readonly listeners = new Map<number, Set<(chunk: Buffer) => void>>();
  private readonly waiters: Array<() => void> = [];
  private streamIds = 0;

  constructor(options: MemoryLinkOptions = {}) {
    this.sessionId = options.sessionId ?? 's-test';
    this.engineer = { ...TEST_ENGINEER, ...options.engineer };
    this.endReason = options.endReason;
  }

  send(message: ChannelMessage): void {
    if (this.signal.aborted) throw new Error('closed');
    this.sent.push(ChannelMessage.parse(message));
    this.onSend?.(message);
    for (const wake of this.waiters.splice(0)) wake();
  }

  nextStreamId(): number {
    return (this.streamIds += 2);
  }

  streamSender(streamId: number): StreamSender {
    return (chunk) => this.sendStream(streamId, chunk);
  }

  private async sendStream(streamId: number, chunk: Uint8Array): Promise<void> {
    const list = this.streams.get(streamId) ?? [];
    list.push(Buffer.from(chunk));
    this.streams.set(streamId, list);
    if (this.streamDelayMs > 0) await new Promise((r) => setTimeout(r, this.streamDelayMs));
    await this.onChunk?.(
      streamId,
      list.reduce((n, b) => n + b.length, 0),
    );
  }

  onStream(streamId: number, listener: (chunk: Buffer) => void): () => void {
    let set = this.listeners.get(streamId);
    if (!set) this.listeners.set(streamId, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** How many holds on the agent's reading are in force (holdInbound), and how many were taken in all. */
  inboundHolds = 0;
  inboundHoldsTaken = 0;

  holdInbound(): () => void {
    this.inboundHolds += 1;
    this.inboundHoldsTaken += 1;
    let released = false;
    return () => {
      if (!released) this.inboundHolds -= 1;
      released = true;
    };
  }

  /** The engineer sends one chunk on a stream. */
  push(streamId: number, chunk: Buffer): void {
    for (const listener of [...(this.listeners.get(streamId) ?? [])]) listener(chunk);
  }

  /** The engineer sends `bytes` on `streamId` in chunks. */
  deliver(streamId: number, bytes: Buffer, chunk = 64 * 1024): void {
    for (let at = 0; at < bytes.length; at += chunk)
      this.push(streamId, bytes.subarray(at, at + chunk));
  }

  /** Everything the agent sent on a stream. */
  received(streamId: number): Buffer {
    return Buffer.concat(this.streams.get(streamId) ?? []);
  }

  /** Everything the agent sent on a stream, as text. */
  text(streamId: number): string {
    return this.received(streamId).toString('utf8');
  }

  /** Resolves with the first message sent that `pick` accepts (waiting for it if none yet). */
  async waitFor<T extends ChannelMessage>(pick: (m: ChannelMessage) => m is T): Promise<T> {
    for (;;) {
      const found = this.sent.find(pick);
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Resolves with the first message of `type` that `test` accepts (waiting for it if none yet). */
  next<T extends ChannelMessage['type']>(
    type: T,
    test: (m: MessageOfType<T>) => boolean = () => true,
  ): Promise<MessageOfType<T>> {
    return this.waitFor(
      (m): m is MessageOfType<T> => m.type === type && test(m as MessageOfType<T>),
    );
  }

  /** The messages of one type sent so far. */
  of<T extends ChannelMessage['type']>(type: T): Array<MessageOfType<T>> {
    return this.sent.filter((m): m is MessageOfType<T> => m.type === type);
  }

  /** Ends the session. */
  end(): void {
    this.controller.abort(this.endReason);
  }
}
