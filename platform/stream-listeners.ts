// Listeners of the streams the peer sends, for a session that outlives its
// channels (agent and engineer alike). A transfer listens once; its listener
// is attached to the channel in use and to each one a resume puts in its
// place, until the transfer stops listening. Nothing of a listener is kept
// once it stopped, however many transfers a session runs.

/** What delivers stream chunks: the current channel's link. */
export interface StreamSource {
  onStream(streamId: number, listener: (chunk: Buffer) => void): () => void;
}

interface Subscription {
  readonly streamId: number;
  readonly listener: (chunk: Buffer) => void;
  /** Detaches the listener from the link it is attached to (none while interrupted). */
  off: (() => void) | undefined;
}

export class StreamListeners {
  readonly #subscriptions = new Set<Subscription>();
  #source: StreamSource | undefined;

  /** The link now in use (a resume's new channel, or none while interrupted). */
  attach(source: StreamSource | undefined): void {
    this.#source = source;
    for (const subscription of this.#subscriptions) {
      subscription.off?.();
      subscription.off = source?.onStream(subscription.streamId, subscription.listener);
    }
  }

  /** Listens on `streamId` on this link and every later one; returns the function that stops it. */
  add(streamId: number, listener: (chunk: Buffer) => void): () => void {
    const subscription: Subscription = {
      streamId,
      listener,
      off: this.#source?.onStream(streamId, listener),
    };
    this.#subscriptions.add(subscription);
    return () => {
      this.#subscriptions.delete(subscription);
      subscription.off?.();
      subscription.off = undefined;
    };
  }

  /** How many listeners are kept (for tests: none once every transfer stopped listening). */
  get size(): number {
    return this.#subscriptions.size;
  }
}
