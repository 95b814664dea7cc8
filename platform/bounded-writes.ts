// The writes of a receiver (a download on the engineer's side, a staged
// upload on the agent's): chunks are written in arrival order, one after the
// other, and no more than RECEIVE_WINDOW_BYTES of them wait for the disk.
// Past that the link stops reading (InboundHolds), so a disk slower than the
// network makes the sender wait instead of growing the receiver's memory.

/** Bytes a receiver lets wait for its disk before it stops reading the link. */
export const RECEIVE_WINDOW_BYTES = 8 * 1024 * 1024;

export class BoundedWrites {
  #waiting = 0;
  #release: (() => void) | undefined;
  #tail: Promise<void> = Promise.resolve();

  /**
   * @param hold stops the link reading; returns the function that resumes it
   * @param window bytes allowed to wait before holding
   */
  constructor(
    private readonly hold: () => () => void,
    private readonly window = RECEIVE_WINDOW_BYTES,
  ) {}

  /**
   * Queues `write` (of `bytes` bytes) after the earlier ones. After a failed
   * write no later one runs, and `settled` rejects with that failure.
   */
  add(bytes: number, write: () => Promise<void>): void {
    this.#waiting += bytes;
    if (this.#waiting > this.window && !this.#release) this.#release = this.hold();
    this.#tail = this.#tail.then(write).finally(() => {
      this.#waiting -= bytes;
      if (this.#release && this.#waiting <= this.window / 2) {
        this.#release();
        this.#release = undefined;
      }
    });
    // A failure is reported through `settled`, not as an unhandled rejection meanwhile.
    this.#tail.catch(() => undefined);
  }

  /** Resolves when every queued write is done; rejects with the first failure. */
  get settled(): Promise<void> {
    return this.#tail;
  }
}
