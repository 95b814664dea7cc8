import { describe, expect, it } from 'vitest';
import { parseUnifiedDiff, toSideBySide } from '../../renderer/parts/diff-view';
import { defaultPathPrefix } from '../../renderer/parts/scope-form';

const UNIFIED = [
  '--- a/export.conf',
  '+++ b/export.conf',
  '@@ -1,4 +1,5 @@',
  ' [export]',
  '-batch_size = 500',
  '-timeout = 30',
  '+batch_size = 100',
  '+timeout = 120',
  '+verbose = true',
  ' retries = 1',
  '\\ No newline at end of file',
].join('\n');

describe('diff viewer', () => {
  it('parses hunks with old and new line numbers, skipping file headers', () => {
    const lines = parseUnifiedDiff(UNIFIED);
    expect(lines.map((l) => [l.kind, l.oldNo ?? null, l.newNo ?? null, l.text])).toEqual([
      ['hunk', null, null, '@@ -1,4 +1,5 @@'],
      ['context', 1, 1, '[export]'],
      ['del', 2, null, 'batch_size = 500'],
      ['del', 3, null, 'timeout = 30'],
      ['add', null, 2, 'batch_size = 100'],
      ['add', null, 3, 'timeout = 120'],
      ['add', null, 4, 'verbose = true'],
      ['context', 4, 5, 'retries = 1'],
    ]);
  });

  it('pairs deletions with the additions that replace them, side by side', () => {
    const rows = toSideBySide(parseUnifiedDiff(UNIFIED));
    expect(rows.map((r) => [r.hunk ?? null, r.left?.text ?? null, r.right?.text ?? null])).toEqual([
      ['@@ -1,4 +1,5 @@', null, null],
      [null, '[export]', '[export]'],
      [null, 'batch_size = 500', 'batch_size = 100'],
      [null, 'timeout = 30', 'timeout = 120'],
      [null, null, 'verbose = true'],
      [null, 'retries = 1', 'retries = 1'],
    ]);
  });

  it('treats a line that looks like a header inside a hunk as content', () => {
    const lines = parseUnifiedDiff('@@ -1 +1 @@\n---- old\n++++ new');
    expect(lines.slice(1).map((l) => [l.kind, l.text])).toEqual([
      ['del', '--- old'],
      ['add', '+++ new'],
    ]);
  });
});

describe('allow-similar default scope', () => {
  const preview = (kind: 'file.read' | 'file.list', canonical: string) => ({
    kind,
    digest: 'd',
    path: { canonical, visible: canonical, hasInvisible: false },
  });
  it('is the folder of a file, or the folder itself for a listing', () => {
    expect(defaultPathPrefix(preview('file.read', '/srv/app/logs/a.log'))).toBe('/srv/app/logs');
    expect(defaultPathPrefix(preview('file.list', '/srv/app/logs'))).toBe('/srv/app/logs');
    expect(defaultPathPrefix(preview('file.read', 'C:\\data\\x.txt'))).toBe('C:\\data');
    expect(defaultPathPrefix({ kind: 'terminal.command', digest: 'd' })).toBeUndefined();
  });
});
