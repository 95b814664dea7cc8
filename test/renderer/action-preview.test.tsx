// What the approver is shown for each kind of preview, rendered to markup
// with the real catalogues (no browser needed for the content itself).
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider } from 'react-i18next';
import { describe, expect, it } from 'vitest';
import type { ActionPreview } from '../../protocol/consent';
import { createI18n } from '../../renderer/i18n/index';
import { ActionPreviewView } from '../../renderer/parts/action-preview';

async function render(preview: ActionPreview, language: 'en' | 'de' = 'en'): Promise<string> {
  const i18n = await createI18n(language);
  const html = renderToStaticMarkup(
    <I18nextProvider i18n={i18n}>
      <ActionPreviewView preview={preview} />
    </I18nextProvider>,
  );
  return html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}

describe('action preview', () => {
  it('shows the visible form of a path and warns about invisible characters', async () => {
    const text = await render({
      kind: 'file.read',
      digest: 'd',
      path: {
        canonical: '/srv/app/\u202Egol.txt',
        visible: '/srv/app/⟨U+202E⟩gol.txt',
        hasInvisible: true,
      },
      file: { size: 2048, sha256: 'ab'.repeat(32) },
    });
    expect(text).toContain('/srv/app/⟨U+202E⟩gol.txt');
    expect(text).not.toContain('\u202E');
    expect(text).toContain('invisible or unusual characters');
    expect(text).toContain('2 kB');
    expect(text).toContain('ab'.repeat(32));
  });

  it('shows sizes and hashes, not content, for a binary change', async () => {
    const text = await render({
      kind: 'file.edit',
      digest: 'd',
      path: { canonical: '/srv/app/logo.png', visible: '/srv/app/logo.png', hasInvisible: false },
      change: {
        binary: true,
        before: { size: 1000, sha256: '11'.repeat(32) },
        after: { size: 3000, sha256: '22'.repeat(32) },
      },
    });
    expect(text).toContain('Binary file: the content cannot be shown.');
    expect(text).toContain('1 kB');
    expect(text).toContain('3 kB');
    expect(text).toContain('11'.repeat(32));
    expect(text).toContain('22'.repeat(32));
  });

  it('shows the full command line (visible form) and the working folder', async () => {
    const text = await render({
      kind: 'terminal.command',
      digest: 'd',
      command: {
        mode: 'supervised',
        line: 'rm -rf /tmp/x\u0007',
        visibleLine: 'rm -rf /tmp/x⟨U+0007⟩',
        commandNames: ['rm'],
        cwd: '/srv/app',
      },
    });
    expect(text).toContain('rm -rf /tmp/x⟨U+0007⟩');
    expect(text).toContain('Supervised: each command is approved');
    expect(text).toContain('/srv/app');
  });

  it('shows the fix manifest: product, versions, signer, files and checks', async () => {
    const text = await render(
      {
        kind: 'fix.apply',
        digest: 'd',
        fix: {
          id: 'fix-42',
          product: 'Example ERP',
          fixKind: 'permanent',
          description: 'Repairs the nightly export.',
          fromVersion: '4.1.0',
          toVersion: '4.1.1',
          signer: 'Acme Release',
          signerFingerprint: 'aaaa bbbb',
          targetRoot: '/opt/erp',
          files: [
            {
              path: 'bin/export',
              op: 'replace',
              change: { binary: true, after: { size: 10, sha256: '33'.repeat(32) } },
            },
          ],
          checks: [{ phase: 'post', command: 'bin/export --self-test' }],
          rollback: true,
        },
      },
      'de',
    );
    expect(text).toContain('Example ERP');
    expect(text).toContain('von 4.1.0 auf 4.1.1');
    expect(text).toContain('Dauerhafte Korrektur');
    expect(text).toContain('Acme Release');
    expect(text).toContain('bin/export (ersetzen)');
    expect(text).toContain('bin/export --self-test');
    expect(text).toContain('Diese Korrektur kann zurückgenommen werden.');
  });
});
