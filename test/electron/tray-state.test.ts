import { describe, expect, it } from 'vitest';
import { SHELL_STRINGS, pickLocale } from '../../main/electron/shell-strings';
import { closeNeedsConfirmation, trayState } from '../../main/electron/tray-state';

describe('tray state', () => {
  it('shows idle, waiting, active, and consent pending over active', () => {
    expect(trayState('idle', 0)).toBe('idle');
    expect(trayState('ended', 0)).toBe('idle');
    expect(trayState('connecting', 0)).toBe('waiting');
    expect(trayState('waiting-for-engineer', 0)).toBe('waiting');
    expect(trayState('awaiting-approval', 0)).toBe('waiting');
    expect(trayState('active', 0)).toBe('active');
    expect(trayState('active', 2)).toBe('consent-pending');
  });

  it('asks before closing only while a session is live', () => {
    expect(closeNeedsConfirmation('idle')).toBe(false);
    expect(closeNeedsConfirmation('ended')).toBe(false);
    expect(closeNeedsConfirmation('waiting-for-engineer')).toBe(true);
    expect(closeNeedsConfirmation('active')).toBe(true);
  });
});

describe('shell strings', () => {
  it('pick the OS locale, with Norwegian variants to Bokmål and English otherwise', () => {
    expect(pickLocale('fr-CA')).toBe('fr');
    expect(pickLocale('de_AT')).toBe('de');
    expect(pickLocale('nb-NO')).toBe('nb');
    expect(pickLocale('no')).toBe('nb');
    expect(pickLocale('nn-NO')).toBe('nb');
    expect(pickLocale('ja-JP')).toBe('en');
    expect(pickLocale('')).toBe('en');
  });

  it('have every sentence in every language', () => {
    const shape = (o: object): string[] =>
      Object.entries(o).flatMap(([k, v]) =>
        typeof v === 'object' ? shape(v).map((s) => `${k}.${s}`) : [k],
      );
    const english = shape(SHELL_STRINGS.en).sort();
    for (const locale of ['fr', 'de', 'nb'] as const) {
      expect(shape(SHELL_STRINGS[locale]).sort()).toEqual(english);
    }
  });
});
