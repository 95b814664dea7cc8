// What the approver is shown of text that came from the engineer (DESIGN
// "Consent": unprintable characters made visible). Control, format (bidi,
// zero-width), separator, private-use and unassigned characters, invisible
// fillers, invisible combining marks, and the brackets used for the escape
// itself, are shown as ⟨U+XXXX⟩. Pure: used by the agent core for paths and
// command lines alike.

const INVISIBLE =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u115f\u1160\u3164\uffa0\u27e8\u27e9\ufffc\ufffd]/u;
/**
 * Grapheme joiner, variation selectors and the invisible Khmer inherent
 * vowels (alternation: a class would combine them).
 */
const INVISIBLE_MARK = /\u034f|[\u180b-\u180f]|[\ufe00-\ufe0f]|\u17b4|\u17b5/u;
const COMBINING = /\p{M}/u;

/** The ⟨U+XXXX⟩ form of one character. */
export function escapedChar(ch: string): string {
  return `⟨U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

function isInvisible(ch: string): boolean {
  return INVISIBLE.test(ch) || INVISIBLE_MARK.test(ch);
}

/**
 * `path` with every invisible or confusable character shown as ⟨U+XXXX⟩. In a
 * `/`-separated name that is not NFC, combining marks are shown too, so two
 * names that look alike (NFC vs NFD) are told apart.
 */
export function visiblePath(path: string): string {
  return path
    .split('/')
    .map((segment) => {
      const showMarks = segment !== segment.normalize('NFC');
      let out = '';
      for (const ch of segment)
        out += isInvisible(ch) || (showMarks && COMBINING.test(ch)) ? escapedChar(ch) : ch;
      return out;
    })
    .join('/');
}

/** `line` with every invisible or confusable character shown as ⟨U+XXXX⟩ (a tab stays a tab). */
export function visibleLine(line: string): string {
  let out = '';
  for (const ch of line) out += ch !== '\t' && isInvisible(ch) ? escapedChar(ch) : ch;
  return out;
}
