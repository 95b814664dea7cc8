import { describe, expect, it } from 'vitest';
import { BoundedWrites } from '../../platform/bounded-writes';
import { InboundHolds } from '../../platform/inbound-holds';

/** A write that finishes when the test says so. */
function gate(): { write: () => Promise<void>; open: () => void; fail: (e: Error) => void } {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { write: () => done, open, fail };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('BoundedWrites', () => {
  it('holds the link past its window and lets go at half of it, writing in order', async () => {
    let held = 0;
    let holds = 0;
    const writes = new BoundedWrites(() => {
      held += 1;
      holds += 1;
      return () => (held -= 1);
    }, 100);
    const order: number[] = [];
    const gates = Array.from({ length: 4 }, () => gate());
    gates.forEach((g, i) =>
      writes.add(40, async () => {
        await g.write();
        order.push(i);
      }),
    );
    // 160 bytes wait: more than 100.
    expect(held).toBe(1);
    gates[0]!.open();
    await tick();
    expect(held).toBe(1); // 120 wait
    gates[1]!.open();
    await tick();
    expect(held).toBe(1); // 80 wait: more than half the window
    gates[2]!.open();
    await tick();
    expect(held).toBe(0); // 40 wait
    gates[3]!.open();
    await writes.settled;
    expect(order).toEqual([0, 1, 2, 3]);
    expect(held).toBe(0);
    expect(holds).toBe(1);
  });

  it('runs no write after a failure, reports it, and still lets the link go', async () => {
    let held = 0;
    const writes = new BoundedWrites(() => {
      held += 1;
      return () => (held -= 1);
    }, 10);
    const first = gate();
    let later = false;
    writes.add(20, first.write);
    writes.add(20, async () => {
      later = true;
    });
    expect(held).toBe(1);
    first.fail(new Error('ENOSPC'));
    await expect(writes.settled).rejects.toThrow('ENOSPC');
    expect(later).toBe(false);
    expect(held).toBe(0);
  });
});

describe('InboundHolds', () => {
  it('pauses on the first hold, resumes after the last, and carries a hold to the next link', () => {
    const calls: string[] = [];
    const link = (name: string) => ({
      pauseReading: () => calls.push(`${name} pause`),
      resumeReading: () => calls.push(`${name} resume`),
    });
    const holds = new InboundHolds();
    holds.attach(link('a'));
    const one = holds.hold();
    const two = holds.hold();
    one();
    one();
    expect(calls).toEqual(['a pause']);
    holds.attach(link('b'));
    two();
    expect(calls).toEqual(['a pause', 'a resume', 'b pause', 'b resume']);
  });

  it('lets the link left behind read again when the session is interrupted while held', () => {
    const calls: string[] = [];
    const holds = new InboundHolds();
    holds.attach({
      pauseReading: () => calls.push('pause'),
      resumeReading: () => calls.push('resume'),
    });
    const release = holds.hold();
    holds.attach(undefined);
    release();
    expect(calls).toEqual(['pause', 'resume']);
  });
});
