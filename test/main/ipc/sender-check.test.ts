import { describe, expect, it } from 'vitest';
import { assertTrustedSender, isTrustedSender } from '../../../main/ipc/sender-check';

const trusted = { webContentsId: 7, origin: 'app://renderer' };
const ok = { webContentsId: 7, frameUrl: 'app://renderer/index.html', isMainFrame: true };

describe('IPC sender check', () => {
  it('trusts the main frame of the app window on the app origin', () => {
    expect(isTrustedSender(ok, trusted)).toBe(true);
    expect(
      isTrustedSender({ ...ok, frameUrl: 'app://renderer/index.html#/consent' }, trusted),
    ).toBe(true);
  });

  it.each([
    ['a sub-frame of the app window', { ...ok, isMainFrame: false }],
    ['another window', { ...ok, webContentsId: 8 }],
    ['a file:// page', { ...ok, frameUrl: 'file:///tmp/index.html' }],
    ['an https page', { ...ok, frameUrl: 'https://renderer/index.html' }],
    ['another app host', { ...ok, frameUrl: 'app://evil/index.html' }],
    ['a look-alike host', { ...ok, frameUrl: 'app://renderer.evil/index.html' }],
    ['credentials in the URL', { ...ok, frameUrl: 'app://x@renderer/index.html' }],
    ['about:blank', { ...ok, frameUrl: 'about:blank' }],
    ['an empty URL (destroyed frame)', { ...ok, frameUrl: '' }],
    ['a data: URL', { ...ok, frameUrl: 'data:text/html,<p>x' }],
  ])('drops %s', (_name, sender) => {
    expect(isTrustedSender(sender, trusted)).toBe(false);
    expect(() => assertTrustedSender(sender, trusted)).toThrow(
      expect.objectContaining({ code: 'IPC_UNTRUSTED_SENDER' }),
    );
  });

  it('trusts nobody when no window is set', () => {
    expect(isTrustedSender(ok, null)).toBe(false);
  });
});
