// A PeerLink over memory for router tests: every message the agent sends is
// checked against the wire schema (ChannelMessage), as the channel would.
import { ChannelMessage } from '../../../protocol/wire/messages';
import type { PeerLink } from '../../../main/session/peer-link';

export class MemoryPeerLink implements PeerLink {
  readonly sessionId = 's-router';
  readonly engineer = {
    name: 'Eve Engineer',
    email: 'eve@acme.example',
    vendor: 'Acme',
    roles: ['engineer'],
    publicKey: 'A'.repeat(43),
    fingerprint: '0000:0000',
    serial: '0'.repeat(32),
  };
  readonly sent: ChannelMessage[] = [];
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  onSend: ((message: ChannelMessage) => void) | undefined;
  private streams = 0;

  send(message: ChannelMessage): void {
    this.sent.push(ChannelMessage.parse(message));
    this.onSend?.(message);
  }
  nextStreamId(): number {
    this.streams += 2;
    return this.streams;
  }
  async sendStream(): Promise<void> {}
  onStream(): () => void {
    return () => undefined;
  }
  end(): void {
    this.controller.abort();
  }
  of<T extends ChannelMessage['type']>(type: T): Array<Extract<ChannelMessage, { type: T }>> {
    return this.sent.filter((m): m is Extract<ChannelMessage, { type: T }> => m.type === type);
  }
}
