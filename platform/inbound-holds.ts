// Receivers that write what arrives to a disk slower than the network ask
// the link to stop reading for a while (agent and engineer alike). Several
// transfers may hold at once; reading resumes when the last one lets go. The
// hold follows the session from one channel to the next across resumes.

/** What can stop and resume reading: the current channel's link. */
export interface ReadingSwitch {
  pauseReading(): void;
  resumeReading(): void;
}

export class InboundHolds {
  #holds = 0;
  #target: ReadingSwitch | undefined;

  /**
   * The link now in use (a resume's new channel, or none while interrupted).
   * While anything holds, the link left behind reads again (it may share its
   * connection with the next one, which must read the resume's handshake)
   * and the new one is paused at once.
   */
  attach(target: ReadingSwitch | undefined): void {
    if (this.#holds > 0) this.#target?.resumeReading();
    this.#target = target;
    if (this.#holds > 0) target?.pauseReading();
  }

  /** Stops reading until the returned function is called (once; later calls do nothing). */
  hold(): () => void {
    if (this.#holds++ === 0) this.#target?.pauseReading();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#holds === 0) this.#target?.resumeReading();
    };
  }
}
