// How the engineer's keystrokes become `terminal.input` messages (issue 4).
// The channel limits the message rate (MESSAGE_RATE_PER_SECOND) and a burst
// must not end the session, so the keystrokes of one event-loop turn go as
// one message; but the first keystroke after a quiet turn goes at once, not
// on the next turn: an echo round trip should not wait for the event loop.
// So a turn sends at most two messages (the first keystroke, then the rest),
// each cut at MAX_TERMINAL_INPUT_CHARS.
import { MAX_TERMINAL_INPUT_CHARS } from '../../protocol/terminal';

/** Turns `write(data)` calls into as few input messages as the latency allows. */
export class KeystrokeBatcher {
  private pending = '';
  /** True from a send until the end of that event-loop turn. */
  private turnBusy = false;

  constructor(private readonly send: (data: string) => void) {}

  write(data: string): void {
    if (data.length === 0) return;
    if (this.turnBusy) {
      this.pending += data;
      return;
    }
    this.turnBusy = true;
    setImmediate(() => this.endOfTurn());
    this.sendCut(data);
  }

  private endOfTurn(): void {
    const text = this.pending;
    this.pending = '';
    if (text.length === 0) {
      this.turnBusy = false;
      return;
    }
    // What gathered during the turn goes now; the turn after it is busy again.
    setImmediate(() => this.endOfTurn());
    this.sendCut(text);
  }

  private sendCut(text: string): void {
    for (let i = 0; i < text.length; i += MAX_TERMINAL_INPUT_CHARS)
      this.send(text.slice(i, i + MAX_TERMINAL_INPUT_CHARS));
  }
}
