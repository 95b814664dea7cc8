// Named one-shot timers of a session (handshake, approval, maximum length):
// setting one replaces it, and all are cleared when the session ends.
export class SessionTimers<Name extends string> {
  private readonly timers = new Map<Name, NodeJS.Timeout>();

  /** Fires `fire` after `ms` (replacing a timer of the same name); never keeps the process alive. */
  set(name: Name, ms: number, fire: () => void): void {
    this.clear(name);
    const timer = setTimeout(fire, ms);
    timer.unref();
    this.timers.set(name, timer);
  }

  clear(name: Name): void {
    clearTimeout(this.timers.get(name));
    this.timers.delete(name);
  }

  clearAll(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
