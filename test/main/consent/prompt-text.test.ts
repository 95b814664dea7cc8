import { describe, expect, it } from 'vitest';
import type { ConsentPrompt } from '../../../main/consent/consent-engine';
import { promptLines, suggestedScope } from '../../../main/consent/prompt-text';
import type { ActionPreview } from '../../../protocol/consent';

const prompt = (preview: Omit<ActionPreview, 'digest'>): ConsentPrompt => ({
  id: 'p-1',
  requestId: 'r-1',
  preview: { ...preview, digest: 'ab'.repeat(32) },
  createdAt: Date.parse('2026-11-23T10:00:00Z'),
  decideBy: Date.parse('2026-11-23T10:02:00Z'),
});

describe('promptLines', () => {
  it('shows an edit in full: path with invisible characters, sizes, hashes, the diff, the keys', () => {
    const text = promptLines(
      prompt({
        kind: 'file.edit',
        path: {
          canonical: '/srv/app/config/a\u202Etxt.conf',
          visible: '/srv/app/config/a⟨U+202E⟩txt.conf',
          hasInvisible: true,
        },
        change: {
          binary: false,
          before: { size: 10, sha256: '1'.repeat(64) },
          after: { size: 12, sha256: '2'.repeat(64) },
          diff: '--- a\n+++ b\n@@ -1 +1 @@\n-port=1\n+port=2\x1b[2J',
          diffTruncated: true,
        },
      }),
    );
    const joined = text.join('\n');
    expect(text[0]).toBe('The engineer asks to: Change a file (file.edit)');
    expect(joined).toContain('Path: /srv/app/config/a⟨U+202E⟩txt.conf');
    expect(joined).toContain('Warning: this path contains invisible');
    expect(joined).toContain('Before: 10 bytes (10 bytes), sha256 ' + '1'.repeat(64));
    expect(joined).toContain('  +port=2⟨U+001B⟩[2J');
    expect(joined).not.toContain('\x1b');
    expect(joined).toContain('the hashes above bind the whole change');
    expect(joined).toContain('No answer by 2026-11-23T10:02:00.000Z means deny.');
    expect(text.at(-1)).toBe(
      'Keys: [o] allow once   [s] allow similar for this session   [d] deny',
    );
  });

  it('shows a command line and its working directory; a pipeline gets no allow-similar scope', () => {
    const p = prompt({
      kind: 'terminal.command',
      command: {
        mode: 'supervised',
        line: 'ls | sh',
        visibleLine: 'ls | sh',
        commandNames: ['ls', 'sh'],
        cwd: '/srv/app',
      },
    });
    expect(promptLines(p)).toEqual(
      expect.arrayContaining([
        'Command: ls | sh',
        'Programs: ls, sh',
        'Working directory: /srv/app',
      ]),
    );
    expect(suggestedScope(p)).toBeNull();
    expect(promptLines(p, { keys: false }).at(-1)).toMatch(/^No answer by /);
    const single = prompt({
      kind: 'terminal.command',
      command: { mode: 'supervised', line: 'ls -l', commandNames: ['ls'], cwd: '/' },
    });
    expect(suggestedScope(single)).toEqual({ kind: 'terminal.command', command: 'ls' });
  });

  it('shows the signed manifest of a fix', () => {
    const text = promptLines(
      prompt({
        kind: 'fix.apply',
        fix: {
          id: 'FIX-7',
          product: 'app',
          fixKind: 'workaround',
          description: 'Raise the pool size',
          fromVersion: '1.2',
          toVersion: '1.2.1',
          signer: 'Acme release',
          signerFingerprint: 'abcd:ef01',
          targetRoot: '/opt/app',
          files: [
            {
              path: 'lib/pool.js',
              op: 'replace',
              change: { binary: false, before: { size: 5 }, after: { size: 6 }, diff: '-a\n+b' },
            },
          ],
          checks: [{ phase: 'post', command: 'app --selftest' }],
        },
      }),
    ).join('\n');
    expect(text).toContain('Fix: FIX-7 for app (workaround)');
    expect(text).toContain('Signed by: Acme release (key abcd:ef01)');
    expect(text).toContain('  replace lib/pool.js');
    expect(text).toContain('  post-check: app --selftest');
  });

  it('suggests the folder of a file, the folder itself for a listing', () => {
    const path = (canonical: string) => ({ canonical, visible: canonical, hasInvisible: false });
    expect(
      suggestedScope(prompt({ kind: 'file.read', path: path('/srv/app/logs/a.log') })),
    ).toEqual({ kind: 'file.read', pathPrefix: '/srv/app/logs' });
    expect(suggestedScope(prompt({ kind: 'file.list', path: path('/srv/app/logs') }))).toEqual({
      kind: 'file.list',
      pathPrefix: '/srv/app/logs',
    });
    expect(suggestedScope(prompt({ kind: 'file.read', path: path('C:\\Data\\x.txt') }))).toEqual({
      kind: 'file.read',
      pathPrefix: 'C:\\Data',
    });
  });
});
