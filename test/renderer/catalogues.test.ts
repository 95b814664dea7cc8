// Every language has every sentence, with the same placeholders, and no
// sentence is assembled from pieces in code.
import { describe, expect, it } from 'vitest';
import { de } from '../../renderer/i18n/de';
import { en } from '../../renderer/i18n/en';
import { fr } from '../../renderer/i18n/fr';
import { nb } from '../../renderer/i18n/nb';
import { pickLanguage } from '../../renderer/i18n/index';
import { ACTIVITY_EVENTS, SESSION_PHASES } from '../../protocol/ipc';
import { ACTION_KINDS } from '../../protocol/consent';

type Tree = { readonly [key: string]: string | Tree };

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of flatten(value, path)) out.set(k, v);
  }
  return out;
}

const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
const english = flatten(en);

describe('catalogues', () => {
  it.each([
    ['fr', fr],
    ['de', de],
    ['nb', nb],
  ] as const)(
    '%s has exactly the English keys, each with the same placeholders',
    (_lang, catalogue) => {
      const other = flatten(catalogue);
      expect([...other.keys()].sort()).toEqual([...english.keys()].sort());
      for (const [key, text] of english) {
        expect(placeholders(other.get(key)!), key).toEqual(placeholders(text));
        expect(other.get(key)!.trim(), key).not.toBe('');
      }
    },
  );

  it('names every action kind, session phase and timeline event', () => {
    for (const kind of ACTION_KINDS) expect(english.has(`kind.${kind}`), kind).toBe(true);
    for (const phase of SESSION_PHASES) expect(english.has(`phase.${phase}`), phase).toBe(true);
    for (const event of ACTIVITY_EVENTS) {
      expect(english.has(`activity.event.${event}`), event).toBe(true);
    }
  });

  it('picks the language from the OS locale', () => {
    expect(pickLanguage('fr-CH')).toBe('fr');
    expect(pickLanguage('de-AT')).toBe('de');
    expect(pickLanguage('nb-NO')).toBe('nb');
    expect(pickLanguage('no')).toBe('nb');
    expect(pickLanguage('nn-NO')).toBe('nb');
    expect(pickLanguage('sv-SE')).toBe('en');
  });
});
