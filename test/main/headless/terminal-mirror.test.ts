import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { mirrorTerminals, type MirrorOptions } from '../../../main/headless/terminal-mirror';
import type { AgentSessionServices } from '../../../main/session-services';

function mirror(options: MirrorOptions = {}): {
  terminals: EventEmitter;
  shown: () => string;
  writes: () => number;
} {
  const terminals = new EventEmitter();
  const out = new PassThrough();
  let text = '';
  let writes = 0;
  out.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const write = out.write.bind(out);
  out.write = ((chunk: string) => {
    writes++;
    return write(chunk);
  }) as typeof out.write;
  mirrorTerminals({ terminals } as unknown as AgentSessionServices, out, options);
  return { terminals, shown: () => text, writes: () => writes };
}

describe('mirrorTerminals', () => {
  it('shows each line of output prefixed, without escape sequences, in one write a batch', async () => {
    const m = mirror();
    m.terminals.emit(
      'output',
      't1',
      Buffer.from('plain line\r\n\u001b[31mred\u001b[0m\ttab\r\n\u001b]0;title\u0007\r\nlast'),
    );
    await new Promise((r) => setImmediate(r));
    expect(m.shown()).toBe(
      '[terminal t1] plain line\n[terminal t1] red\ttab\n[terminal t1] last\n',
    );
    expect(m.writes()).toBe(1);
  });

  it('shows plain output line by line, without carriage returns or empty lines', async () => {
    const m = mirror({ intervalMs: 0 });
    m.terminals.emit('output', 't1', Buffer.from('\r\none\r\n\r\n\r\rtwo\r\r\n\n"three" \\ 4\tx'));
    m.terminals.emit('output', 't2', Buffer.from('\r\n\n'));
    m.terminals.emit('output', 't1', Buffer.from('five\n'));
    await new Promise((r) => setImmediate(r));
    expect(m.shown()).toBe(
      '[terminal t1] one\n[terminal t1] two\n[terminal t1] "three" \\ 4\tx\n[terminal t1] five\n',
    );
    expect(m.writes()).toBe(2);
  });

  it('shows invisible and bidi characters as ⟨U+XXXX⟩, ASCII lines unchanged', async () => {
    const m = mirror();
    m.terminals.emit(
      'output',
      't1',
      Buffer.from('ok ~!@#$%^&*()_+{}|:"<>?\nrm\u202e -rf\u200b x\n'),
    );
    await new Promise((r) => setImmediate(r));
    expect(m.shown()).toBe(
      '[terminal t1] ok ~!@#$%^&*()_+{}|:"<>?\n[terminal t1] rm⟨U+202E⟩ -rf⟨U+200B⟩ x\n',
    );
  });

  it('shows output that follows within the interval once the interval is over, in one write', async () => {
    let clock = 0;
    const m = mirror({ intervalMs: 20, now: () => clock });
    m.terminals.emit('output', 't1', Buffer.from('first\r\n'));
    expect(m.shown()).toBe('[terminal t1] first\n');
    clock = 5;
    m.terminals.emit('output', 't1', Buffer.from('sec'));
    m.terminals.emit('output', 't1', Buffer.from('ond\r\nthird\r\n'));
    await new Promise((r) => setImmediate(r));
    expect(m.shown()).toBe('[terminal t1] first\n');
    const until = Date.now() + 5000;
    while (m.writes() < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(m.shown()).toBe('[terminal t1] first\n[terminal t1] second\n[terminal t1] third\n');
    expect(m.writes()).toBe(2);
  });

  it('shows only the last lines of output that comes faster than it shows, saying how much it left out', async () => {
    let clock = 0;
    const m = mirror({ intervalMs: 1000, tailBytes: 32, now: () => clock });
    m.terminals.emit('output', 't1', Buffer.from('start\n'));
    clock = 1;
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}\r\n`).join('');
    for (let at = 0; at < lines.length; at += 500)
      m.terminals.emit('output', 't1', Buffer.from(lines.slice(at, at + 500)));
    // The end flushes what is held (at most the tail) before the end line.
    m.terminals.emit('exited', 't1', { exitCode: 0 });
    const shown = m.shown().split('\n');
    const tail = lines.slice(-32);
    const cut = tail.indexOf('\n') + 1;
    expect(shown).toEqual([
      '[terminal t1] start',
      `[terminal t1] … ${lines.length - 32 + cut} bytes of output not shown (too fast) …`,
      ...tail
        .slice(cut)
        .trimEnd()
        .split('\r\n')
        .map((l) => `[terminal t1] ${l}`),
      '[terminal t1 ended: {"exitCode":0}]',
      '',
    ]);
  });

  it('starts a tail cut inside a long line at a whole character, escapes still dropped', () => {
    const m = mirror({ intervalMs: 1000, tailBytes: 8, now: () => 0 });
    m.terminals.emit('output', 't1', Buffer.from('x'));
    m.terminals.emit('output', 't1', Buffer.from('aaaaaaaaa\u00e9\u00e9\u001b[1mb'));
    m.terminals.emit('exited', 't1', null);
    // The last 8 bytes begin inside the first é: the mirror starts at the second.
    expect(m.shown()).toBe(
      '[terminal t1] x\n[terminal t1] … 11 bytes of output not shown (too fast) …\n' +
        '[terminal t1] \u00e9b\n[terminal t1 ended: null]\n',
    );
  });
});
