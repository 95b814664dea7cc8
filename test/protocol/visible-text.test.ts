import { describe, expect, it } from 'vitest';
import { escapedChar, visibleLine, visiblePath } from '../../protocol/visible-text';

describe('visible text', () => {
  it('escapes one character as ⟨U+XXXX⟩, at least four hex digits', () => {
    expect(escapedChar('\u0007')).toBe('⟨U+0007⟩');
    expect(escapedChar('\u{e0001}')).toBe('⟨U+E0001⟩');
  });

  it('keeps a tab in a command line and shows every other invisible character', () => {
    expect(visibleLine('a\tb\u200bc\u202ed\u034fe\ufe0ff')).toBe(
      'a\tb⟨U+200B⟩c⟨U+202E⟩d⟨U+034F⟩e⟨U+FE0F⟩f',
    );
    expect(visibleLine('⟨x⟩')).toBe('⟨U+27E8⟩x⟨U+27E9⟩');
  });

  it('shows a tab in a path, and combining marks only in a name that is not NFC', () => {
    expect(visiblePath('/a\tb')).toBe('/a⟨U+0009⟩b');
    expect(visiblePath('/cafe\u0301/caf\u00e9')).toBe('/cafe⟨U+0301⟩/café');
    expect(visibleLine('cafe\u0301')).toBe('cafe\u0301');
  });

  it('shows the invisible Khmer inherent vowels in paths and command lines', () => {
    expect(visiblePath('/x\u17b4y')).toBe('/x⟨U+17B4⟩y');
    expect(visibleLine('x\u17b4y')).toBe('x⟨U+17B4⟩y');
  });
});
