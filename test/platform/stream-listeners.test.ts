import { describe, expect, it } from 'vitest';
import { StreamListeners, type StreamSource } from '../../platform/stream-listeners';

/** A channel's stream dispatch, as EncryptedLink keeps it: listeners per stream id. */
class Channel implements StreamSource {
  readonly listeners = new Map<number, Set<(chunk: Buffer) => void>>();

  onStream(streamId: number, listener: (chunk: Buffer) => void): () => void {
    let set = this.listeners.get(streamId);
    if (!set) this.listeners.set(streamId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(streamId);
    };
  }

  deliver(streamId: number, text: string): void {
    for (const listener of this.listeners.get(streamId) ?? []) listener(Buffer.from(text));
  }
}

describe('StreamListeners', () => {
  it('follows a listener from channel to channel and forgets it once it stops', () => {
    const listeners = new StreamListeners();
    const first = new Channel();
    listeners.attach(first);
    const got: string[] = [];
    const stop = listeners.add(3, (chunk) => got.push(chunk.toString()));
    first.deliver(3, 'a');

    // Interrupted, then resumed on a new channel: the old one no longer delivers.
    listeners.attach(undefined);
    expect(first.listeners.size).toBe(0);
    const second = new Channel();
    listeners.attach(second);
    first.deliver(3, 'lost');
    second.deliver(3, 'b');
    expect(got).toEqual(['a', 'b']);

    // Stopped after the resume: detached from the channel it was re-attached to, and not kept.
    stop();
    second.deliver(3, 'late');
    expect(got).toEqual(['a', 'b']);
    expect(second.listeners.size).toBe(0);
    expect(listeners.size).toBe(0);
    listeners.attach(new Channel());
    expect(listeners.size).toBe(0);
  });

  it('attaches a listener added while interrupted to the next channel', () => {
    const listeners = new StreamListeners();
    listeners.attach(new Channel());
    listeners.attach(undefined);
    const got: string[] = [];
    listeners.add(5, (chunk) => got.push(chunk.toString()));
    const next = new Channel();
    listeners.attach(next);
    next.deliver(5, 'x');
    next.deliver(7, 'other stream');
    expect(got).toEqual(['x']);
  });

  it('keeps no trace of many finished transfers', () => {
    const listeners = new StreamListeners();
    const channel = new Channel();
    listeners.attach(channel);
    for (let streamId = 1; streamId < 2000; streamId += 2) listeners.add(streamId, () => {})();
    expect(listeners.size).toBe(0);
    expect(channel.listeners.size).toBe(0);
  });
});
