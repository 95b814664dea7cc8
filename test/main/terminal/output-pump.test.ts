import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  OUTPUT_BATCH_BYTES,
  OUTPUT_BATCH_MS,
  OUTPUT_ECHO_BYTES,
  OUTPUT_IDLE_MS,
  OutputPump,
} from '../../../main/terminal/output-pump';
import { StatusMarkerFilter } from '../../../main/terminal/status-marker';
import {
  STATUS_MARKER_PREFIX,
  STATUS_MARKER_SUFFIX,
} from '../../../main/terminal/shell-environment';

const turn = () => new Promise((r) => setImmediate(r));
/** Lets settled sends be seen, without giving the event loop a turn. */
const microtasks = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

/**
 * The batch timer is a real setTimeout measured against the pump's own
 * clock: faked where a test says what is held, so that a slow turn of the
 * event loop on a loaded machine cannot fire it early. setImmediate stays real.
 */
function fakeBatchTimer(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
}

/** Ends the batch time: what was held is sent. */
async function batchTimeEnds(pump: OutputPump): Promise<void> {
  const drained = pump.drained();
  vi.advanceTimersByTime(OUTPUT_BATCH_MS);
  await drained;
}

afterEach(() => {
  vi.useRealTimers();
});

/** A pump whose sends succeed at once, each recorded by `record`; `now` is its clock. */
function recordingPump(record: (chunk: Buffer) => void, now?: () => number): OutputPump {
  return new OutputPump({
    send: async (c) => record(c),
    pause: () => undefined,
    resume: () => undefined,
    onError: () => undefined,
    ...(now ? { now } : {}),
  });
}

describe('OutputPump', () => {
  it('sends small output on the next turn, with no timer', async () => {
    const sent: Buffer[] = [];
    const pump = recordingPump(
      (c) => sent.push(c),
      () => 0,
    );
    pump.push(Buffer.from('a'));
    await turn();
    pump.push(Buffer.from('b'));
    await turn();
    await turn();
    expect(sent.map(String)).toEqual(['a', 'b']);
  });

  it('sends output after a quiet spell at once, in the call that brought it', async () => {
    const sent: string[] = [];
    let clock = 0;
    const pump = recordingPump(
      (c) => sent.push(String(c)),
      () => clock,
    );
    pump.push(Buffer.from('a'));
    expect(sent).toEqual(['a']);
    await microtasks();
    clock += OUTPUT_IDLE_MS;
    pump.push(Buffer.from('b'));
    expect(sent).toEqual(['a', 'b']);
  });

  it('gathers the output that closely follows a send into one batch on the next turn', async () => {
    const sent: string[] = [];
    const pump = recordingPump(
      (c) => sent.push(String(c)),
      () => 0,
    );
    pump.push(Buffer.from('first'));
    pump.push(Buffer.from('x'));
    pump.push(Buffer.from('y'));
    expect(sent).toEqual(['first']);
    await turn();
    await turn();
    expect(sent).toEqual(['first', 'xy']);
  });

  it('holds bulk output for the batch time once output comes in bulk', async () => {
    fakeBatchTimer();
    const sent: number[] = [];
    let clock = 0;
    const pump = recordingPump(
      (c) => sent.push(c.length),
      () => clock,
    );
    pump.push(Buffer.alloc(300));
    pump.push(Buffer.alloc(700));
    pump.push(Buffer.alloc(700));
    await turn();
    await turn();
    // Echo-sized batches never hold the next: the reads of the next turn go together.
    expect(sent).toEqual([300, 1400]);
    // A batch of OUTPUT_ECHO_BYTES or more was sent: what follows waits for the batch time.
    clock += OUTPUT_IDLE_MS;
    pump.push(Buffer.alloc(10));
    await turn();
    await turn();
    expect(sent).toEqual([300, 1400]);
    expect(pump.bufferedBytes).toBe(10);
    await batchTimeEnds(pump);
    expect(sent).toEqual([300, 1400, 10]);
  });

  it('counts one full pty read a turn as bulk (a cat), so the reads after it are batched', async () => {
    fakeBatchTimer();
    const sent: number[] = [];
    let clock = 0;
    const pump = recordingPump(
      (c) => sent.push(c.length),
      () => clock,
    );
    pump.push(Buffer.alloc(4095));
    expect(sent).toEqual([4095]);
    for (let read = 0; read < 3; read++) {
      await turn();
      clock += 1;
      pump.push(Buffer.alloc(4095));
    }
    await turn();
    expect(sent).toEqual([4095]);
    await batchTimeEnds(pump);
    expect(sent).toEqual([4095, 3 * 4095]);
    expect(OUTPUT_ECHO_BYTES).toBeLessThan(4095);
  });

  it('pauses the source while a full batch waits behind an unfinished send, and resumes after', async () => {
    const releases: Array<() => void> = [];
    const sent: number[] = [];
    const calls: string[] = [];
    const pump = new OutputPump({
      send: (c) => {
        sent.push(c.length);
        return new Promise<void>((r) => releases.push(r));
      },
      pause: () => calls.push('pause'),
      resume: () => calls.push('resume'),
      onError: () => undefined,
    });
    pump.push(Buffer.alloc(OUTPUT_BATCH_BYTES));
    await turn();
    expect(sent).toEqual([OUTPUT_BATCH_BYTES]);
    pump.push(Buffer.alloc(OUTPUT_BATCH_BYTES));
    expect(calls).toEqual(['pause']);
    expect(pump.bufferedBytes).toBe(2 * OUTPUT_BATCH_BYTES);
    const drained = pump.drained();
    releases.shift()!();
    await turn();
    await turn();
    expect(calls).toEqual(['pause', 'resume']);
    expect(sent).toEqual([OUTPUT_BATCH_BYTES, OUTPUT_BATCH_BYTES]);
    releases.shift()!();
    await drained;
    expect(pump.highWaterBytes).toBe(2 * OUTPUT_BATCH_BYTES);
  });

  it('cuts batches at OUTPUT_BATCH_BYTES', async () => {
    const sent: number[] = [];
    const pump = recordingPump((c) => sent.push(c.length));
    pump.push(Buffer.alloc(OUTPUT_BATCH_BYTES * 2 + 10));
    await pump.drained();
    expect(sent).toEqual([OUTPUT_BATCH_BYTES, OUTPUT_BATCH_BYTES, 10]);
  });

  it('sends reads that lie side by side in one block as a view of it, others as a copy', async () => {
    const sent: Buffer[] = [];
    const pump = recordingPump((c) => sent.push(c));
    const block = Buffer.alloc(3 * OUTPUT_ECHO_BYTES, 'x');
    const other = Buffer.alloc(10, 'y');
    // Bulk from the start (a full batch before it), so the reads of one turn make one batch.
    pump.push(Buffer.alloc(OUTPUT_BATCH_BYTES));
    await pump.drained();
    for (let at = 0; at < block.length; at += OUTPUT_ECHO_BYTES)
      pump.push(block.subarray(at, at + OUTPUT_ECHO_BYTES));
    await pump.drained();
    pump.push(block.subarray(0, 5));
    pump.push(other);
    await pump.drained();
    expect(sent.map((b) => b.length)).toEqual([OUTPUT_BATCH_BYTES, block.length, 15]);
    expect(sent[1]!.buffer).toBe(block.buffer);
    expect(sent[1]!.byteOffset).toBe(block.byteOffset);
    expect(sent[2]!.buffer).not.toBe(block.buffer);
    expect(sent[2]!.toString()).toBe('xxxxxyyyyyyyyyy');
  });
});

describe('StatusMarkerFilter', () => {
  it('passes output without an escape character on as it is, without a copy', () => {
    const filter = new StatusMarkerFilter();
    const plain = Buffer.from('plain output\r\n');
    expect(filter.feed(plain).output).toBe(plain);
    // While the start of a marker is held, the next chunk goes through the full filter.
    expect(filter.feed(Buffer.from(STATUS_MARKER_PREFIX.slice(0, 5), 'latin1')).output.length).toBe(
      0,
    );
    const rest = filter.feed(
      Buffer.from(`${STATUS_MARKER_PREFIX.slice(5)}3${STATUS_MARKER_SUFFIX}ok`, 'latin1'),
    );
    expect(rest.statuses).toEqual([3]);
    expect(rest.output.toString()).toBe('ok');
  });

  it('strips markers split across chunks and reports their statuses', () => {
    const filter = new StatusMarkerFilter();
    const marker = (code: number) => `${STATUS_MARKER_PREFIX}${code}${STATUS_MARKER_SUFFIX}`;
    const stream = `out1\r\n${marker(0)}$ more${marker(127)}end\u001b]0;title\u0007`;
    let output = '';
    const statuses: number[] = [];
    for (let i = 0; i < stream.length; i += 3) {
      const r = filter.feed(Buffer.from(stream.slice(i, i + 3), 'latin1'));
      output += r.output.toString('latin1');
      statuses.push(...r.statuses);
    }
    output += filter.flush().toString('latin1');
    expect(statuses).toEqual([0, 127]);
    expect(output).toBe('out1\r\n$ moreend\u001b]0;title\u0007');
  });

  it('passes coloured output on as a view of its chunk, and what only looks like a marker as output', () => {
    const filter = new StatusMarkerFilter();
    const coloured = Buffer.from('\u001b[01;34mdir\u001b[0m  file\r\n');
    const passed = filter.feed(coloured).output;
    expect(passed.buffer).toBe(coloured.buffer);
    expect(passed.equals(coloured)).toBe(true);
    // Not a status (not 1-3 digits), and a prefix whose end never comes within the limit.
    const fake = `${STATUS_MARKER_PREFIX}rm -rf${STATUS_MARKER_SUFFIX}`;
    const unterminated = `${STATUS_MARKER_PREFIX}${'9'.repeat(40)}`;
    const r = filter.feed(Buffer.from(`${fake}a${unterminated}b`, 'latin1'));
    expect(r.statuses).toEqual([]);
    expect(r.output.toString('latin1') + filter.flush().toString('latin1')).toBe(
      `${fake}a${unterminated}b`,
    );
  });
});
