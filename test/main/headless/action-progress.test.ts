import { describe, expect, it } from 'vitest';
import { actionProgressLines } from '../../../main/headless/action-progress';

describe('headless action progress', () => {
  it('prints each quarter once, then the outcome', () => {
    const shown = new Map<string, number>();
    const progress = (done: number) =>
      actionProgressLines({ type: 'action.progress', requestId: 'r1', done, total: 1000 }, shown);
    expect(progress(100)).toEqual([]);
    expect(progress(250)).toEqual(['[action r1] 25% of 1000 bytes']);
    expect(progress(300)).toEqual([]);
    expect(progress(1000)).toEqual(['[action r1] 100% of 1000 bytes']);
    expect(
      actionProgressLines({ type: 'action.result', requestId: 'r1', result: {} }, shown),
    ).toEqual(['[action r1] done']);
    expect(
      actionProgressLines(
        { type: 'action.error', requestId: 'r2', code: 'DISK_FULL', message: 'The disk is full.' },
        shown,
      ),
    ).toEqual(['[action r2] failed: The disk is full. (DISK_FULL)']);
    expect(actionProgressLines({ type: 'chat', id: 'c', text: 'hi', sentAt: 0 }, shown)).toEqual(
      [],
    );
  });
});
