import { describe, expect, it } from 'vitest';
import { KeystrokeBatcher } from '../../../console/terminal/keystroke-batcher';
import { MAX_TERMINAL_INPUT_CHARS } from '../../../protocol/terminal';

const turn = () => new Promise((r) => setImmediate(r));

describe('KeystrokeBatcher', () => {
  it('sends the first keystroke of a turn at once and the rest of the turn as one message', async () => {
    const sent: string[] = [];
    const batcher = new KeystrokeBatcher((d) => sent.push(d));
    batcher.write('a');
    expect(sent).toEqual(['a']);
    batcher.write('b');
    batcher.write('c');
    expect(sent).toEqual(['a']);
    await turn();
    expect(sent).toEqual(['a', 'bc']);
    // Keystrokes written during the next turn still wait for its end.
    batcher.write('d');
    expect(sent).toEqual(['a', 'bc']);
    await turn();
    expect(sent).toEqual(['a', 'bc', 'd']);
    // A quiet turn later, the next keystroke goes at once again.
    await turn();
    await turn();
    batcher.write('e');
    expect(sent).toEqual(['a', 'bc', 'd', 'e']);
  });

  it('cuts long input at MAX_TERMINAL_INPUT_CHARS and keeps the order', async () => {
    const sent: string[] = [];
    const batcher = new KeystrokeBatcher((d) => sent.push(d));
    const paste = 'p'.repeat(MAX_TERMINAL_INPUT_CHARS + 5);
    batcher.write(paste);
    batcher.write('x'.repeat(MAX_TERMINAL_INPUT_CHARS));
    batcher.write('y');
    await turn();
    expect(sent.map((s) => s.length)).toEqual([
      MAX_TERMINAL_INPUT_CHARS,
      5,
      MAX_TERMINAL_INPUT_CHARS,
      1,
    ]);
    expect(sent.join('')).toBe(paste + 'x'.repeat(MAX_TERMINAL_INPUT_CHARS) + 'y');
  });

  it('sends at most two messages a turn however many writes it gets', async () => {
    const sent: string[] = [];
    const batcher = new KeystrokeBatcher((d) => sent.push(d));
    for (let t = 0; t < 5; t++) {
      const before = sent.length;
      for (let i = 0; i < 50; i++) batcher.write('k');
      await turn();
      expect(sent.length - before).toBeLessThanOrEqual(2);
    }
    await turn();
    await turn();
    expect(sent.join('')).toBe('k'.repeat(250));
  });
});
