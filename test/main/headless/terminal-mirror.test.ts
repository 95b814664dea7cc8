import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { mirrorTerminals } from '../../../main/headless/terminal-mirror';
import type { AgentSessionServices } from '../../../main/session-services';

function mirror(): { terminals: EventEmitter; shown: () => string; writes: () => number } {
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
  mirrorTerminals({ terminals } as unknown as AgentSessionServices, out);
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
    const m = mirror();
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
});
